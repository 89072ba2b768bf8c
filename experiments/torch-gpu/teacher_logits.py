#!/usr/bin/env python3
"""Writes the soft targets of kept weights (NAME.bin beside its results.json), the same files
`train.py --plan teachers` writes for its stage-1 ensemble, on whatever device is here: the mean of
their logits on every packed train photo in each flip view (train.write_train_logits).

  python3 teacher_logits.py --pack .gpu-pack --out OUT OUT-A/a.bin OUT-B/b.bin ...
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402
from score import kept_model, kept_name, read_split  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", default=".gpu-pack")
    parser.add_argument("--out", required=True, help="a folder; its ensemble-train-logits.* are replaced")
    parser.add_argument("bins", nargs="+")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    train_x, _, classes, ids = read_split(args.pack, "train")
    names = [kept_name(path) for path in args.bins]
    models = (kept_model(path, args.pack, len(classes))[1] for path in args.bins)
    train.write_train_logits(args.out, train.mean_flip_logits(models, train_x), ids, classes, names, os.path.join(args.out, "log.txt"))


if __name__ == "__main__":
    main()
