#!/usr/bin/env python3
"""Scores weights that train.py kept (NAME.bin beside its results.json) on the packed val photos, in
float32 on whatever device is here, and the mean of their logits.

  python3 score.py --pack .gpu-pack OUT/a.bin OUT/b.bin OTHER-OUT/c.bin ...
"""
import argparse
import functools
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402
from tfjs_port import load_tf_weights  # noqa: E402


def read_kept(path, layout):
    flat = np.fromfile(path, "<f4")
    weights, offset = {}, 0
    for entry in layout:
        count = int(np.prod(entry["shape"]))
        weights[entry["name"]] = flat[offset : offset + count].reshape(entry["shape"])
        offset += count
    if offset != flat.size:
        raise ValueError(f"{path}: {flat.size} floats, the layout names {offset}")
    return weights


def kept_name(path):
    """NAME for OUT/NAME.bin: the run's name in the results.json beside it."""
    return os.path.basename(path).removesuffix(".bin")


@functools.lru_cache(maxsize=None)
def read_results(folder):
    with open(os.path.join(folder, "results.json")) as f:
        return json.load(f)


def kept_model(path, pack, classes):
    """(name, float32 Classifier on the device) for NAME.bin, read with the layout its results.json records."""
    name = kept_name(path)
    run = read_results(os.path.dirname(os.path.abspath(path)))["runs"][name]
    model = train.Classifier(run["spec"]["kind"], pack, classes)
    weights = read_kept(path, run["weights"])
    load_tf_weights(model.backbone, weights)
    model.load_head(weights)
    return name, model.to(train.DEVICE)


def read_split(pack, split):
    """(uint8 NCHW images on the device, labels, classes, photo ids)."""
    images, labels, classes, ids = train.decode_split(pack, split)
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(train.DEVICE), torch.from_numpy(labels), classes, ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", default=".gpu-pack")
    parser.add_argument("bins", nargs="+")
    args = parser.parse_args()
    val_x, val_y, classes, _ = read_split(args.pack, "val")
    all_logits = []
    for path in args.bins:
        name, model = kept_model(path, args.pack, len(classes))
        logits = train.val_logits(model, val_x, bfloat16=False).cpu()
        all_logits.append(logits)
        m = train.metrics(logits, val_y, len(classes))
        print(f"{name}: accuracy {m['accuracy']:.3f} macro-F1 {m['macroF1']:.3f}", flush=True)
    m = train.metrics(torch.stack(all_logits).mean(0), val_y, len(classes))
    print(f"mean of {len(all_logits)}: accuracy {m['accuracy']:.3f} macro-F1 {m['macroF1']:.3f} ECE {m['ece']:.3f} "
          f"(after temperature {m['eceAfterTemperature']:.3f})")


if __name__ == "__main__":
    main()
