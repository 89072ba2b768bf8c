#!/usr/bin/env python3
"""Joins soft-target pairs (ensemble-train-logits.json + .bin, as train.py and teacher_logits.py write
them) of ensembles scored on the same photos into one pair: the mean logits of all their models, each
pair weighted by how many models it averages.

  python3 merge_logits.py --out OUT A/ensemble-train-logits.json B/ensemble-train-logits.json ...
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402


def read_pair(path):
    """(meta, [views, photos, classes] logits) of NAME.json and the NAME.bin beside it (either may be named)."""
    stem, ext = os.path.splitext(path)
    if ext not in (".json", ".bin"):
        raise ValueError(f"{path}: name a soft-target pair by its .json (or its .bin)")
    with open(stem + ".json") as f:
        meta = json.load(f)
    logits = np.fromfile(stem + ".bin", "<f4")
    if logits.size != int(np.prod(meta["shape"])):
        raise ValueError(f"{path}: its .bin holds {logits.size} floats, its shape {meta['shape']} needs {int(np.prod(meta['shape']))}")
    return meta, logits.reshape(meta["shape"])


def folder_name(path):
    return os.path.basename(os.path.dirname(os.path.abspath(path)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, help="a folder; its ensemble-train-logits.* are replaced")
    parser.add_argument("pairs", nargs="+", help="ensemble-train-logits.json files (each with its .bin beside it)")
    args = parser.parse_args()
    pairs = [read_pair(path) for path in args.pairs]
    first = pairs[0][0]
    for path, (meta, _) in zip(args.pairs, pairs):
        for key in ("views", "ids", "classes", "shape"):
            if meta[key] != first[key]:
                raise ValueError(f"{path}: its {key} differ from {args.pairs[0]}'s; only pairs of the same photos, views and classes join")
    # Runs of different calls share names (mnv2-s1), so each model is named with its pair's folder.
    models = [f"{folder_name(path)}/{name}" for path, (meta, _) in zip(args.pairs, pairs) for name in meta["models"]]
    if len(set(models)) != len(models):
        raise ValueError(f"a pair is given twice, or two pairs' folders share a name: {models}")
    total = sum(logits * len(meta["models"]) for meta, logits in pairs) / len(models)
    os.makedirs(args.out, exist_ok=True)
    train.write_train_logits(args.out, torch.from_numpy(total), first["ids"], first["classes"], models, os.path.join(args.out, "log.txt"))


if __name__ == "__main__":
    main()
