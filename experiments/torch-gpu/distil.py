#!/usr/bin/env python3
"""Distils precomputed soft targets (a teacher-logits pair from train.py --plan teachers,
teacher_logits.py or merge_logits.py) into a kept MobileNetV2-0.35 student, on whatever device is
here: the teachers are not run again, so a CPU can do it (about 60 photos a second on 2 cores).

Each step shows every photo in one of the flip views its targets were computed in, so student and
teachers see the same pixels ("function matching"), with colour jitter only (a crop or rotation
would change what the teachers saw). Loss: re-weighted cross-entropy (label smoothing 0.1) +
alpha * T^2 * KL(teachers_T || student_T); AdamW with a cosine schedule over the wall time; weight
average (EMA). Writes OUT/NAME.bin and OUT/results.json in train.py's format, so score.py and
`npm run import-student` read it.

  python3 distil.py --pack .gpu-pack --init OUT/mnv2-s3.bin --targets ENS/ensemble-train-logits.json \\
    --out DIR --seconds 1800
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402
from merge_logits import read_pair  # noqa: E402
from score import kept_model, kept_name, read_results, read_split  # noqa: E402


def aligned_targets(path, ids, classes):
    """(the pair's meta, [views, photos, classes] soft targets in the pack's photo order); a pair that lacks a photo is refused."""
    meta, logits = read_pair(path)
    if meta["classes"] != classes:
        raise ValueError(f"{path}: classes {meta['classes']}, the pack's {classes}")
    if meta["views"] != list(train.FLIPS):
        raise ValueError(f"{path}: views {meta['views']}, expected {list(train.FLIPS)}")
    where = {photo: i for i, photo in enumerate(meta["ids"])}
    missing = [photo for photo in ids if photo not in where]
    if missing:
        raise ValueError(f"{path} has no targets for {len(missing)} packed train photos (e.g. {missing[0]})")
    return meta, torch.from_numpy(logits[:, [where[photo] for photo in ids]].copy())


def folder_and_name(path):
    """FOLDER/NAME of a file: where it came from, without this machine's paths."""
    absolute = os.path.abspath(path)
    return f"{os.path.basename(os.path.dirname(absolute))}/{os.path.basename(absolute)}"


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def flipped(x, views):
    """Each photo of NCHW `x` in its own flip view (an index into train.FLIPS)."""
    out = x.clone()
    for view, dims in enumerate(train.FLIPS.values()):
        chosen = views == view
        if dims and chosen.any():
            out[chosen] = torch.flip(x[chosen], dims)
    return out


def distil(args):
    torch.manual_seed(args.seed)
    train_x, train_y, classes, ids = read_split(args.pack, "train")
    val_x, val_y, _, _ = read_split(args.pack, "val")
    targets_meta, targets = aligned_targets(args.targets, ids, classes)
    targets = targets.to(train.DEVICE)
    k = len(classes)
    init_name, model = kept_model(args.init, args.pack, k)
    model = model.to(memory_format=torch.channels_last)
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.02}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr
    )
    weights = train.class_weights(train_y.to(train.DEVICE), k)
    ema = train.Ema(model, args.ema)
    gen = torch.Generator(device=train.DEVICE)
    gen.manual_seed(args.seed)
    start = time.time()
    steps = epochs = 0
    curve = []
    for epoch, idx in train.shuffled_batches(train_x.shape[0], args.batch, gen):
        progress = (time.time() - start) / args.seconds
        if progress >= 1:
            break
        if epoch > epochs:
            epochs = epoch
            curve.append({"epoch": epochs, "seconds": round(time.time() - start, 1), "loss": round(loss.item(), 4)})
            train.log(f"epoch {epochs}: loss {loss.item():.4f} ({time.time() - start:.0f} s)")
        factor = min(1.0, progress / 0.03) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in optimizer.param_groups:
            group["lr"] = args.lr * factor
        views = torch.randint(len(train.FLIPS), (idx.shape[0],), device=train.DEVICE, generator=gen)
        x = flipped(train_x[idx].float() / 255, views)
        x = train.photometric(x, gen).contiguous(memory_format=torch.channels_last)
        teacher = targets[views, idx]
        labels = F.one_hot(train_y[idx].to(train.DEVICE), k).float() * 0.9 + 0.1 / k
        model.train()
        with train.autocast():
            logits = model(x).float()
        sample_weight = labels @ weights
        ce = (sample_weight * -(labels * F.log_softmax(logits, 1)).sum(1)).sum() / sample_weight.sum()
        t = args.temperature
        kd = F.kl_div(F.log_softmax(logits / t, 1), F.softmax(teacher / t, 1), reduction="batchmean")
        loss = ce + args.alpha * t * t * kd
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        ema.update(model)
        steps += 1

    last = train.metrics(train.val_logits(model, val_x, bfloat16=False), val_y, k)
    model.load_state_dict(ema.shadow)
    averaged = train.metrics(train.val_logits(model, val_x, bfloat16=False), val_y, k)
    os.makedirs(args.out, exist_ok=True)
    name = args.name or f"{init_name}-kd"
    layout = train.save_weights(model, args.out, name)
    init_spec = read_results(os.path.dirname(os.path.abspath(args.init)))["runs"][kept_name(args.init)]["spec"]
    spec = {
        "kind": init_spec["kind"],
        "seed": args.seed,
        "init": folder_and_name(args.init),
        "initSpec": init_spec,
        "targets": folder_and_name(args.targets),
        "targetModels": targets_meta["models"],
        "targetsBinSha256": file_sha256(os.path.splitext(args.targets)[0] + ".bin"),
        "temperature": args.temperature,
        "alpha": args.alpha,
        "lr": args.lr,
        "batch": args.batch,
        "ema": args.ema,
        "seconds": args.seconds,
    }
    run = {"name": name, "spec": spec, "steps": steps, "epochs": epochs, "seconds": round(time.time() - start, 1),
           "ema": averaged, "last": last, "weights": layout, "curve": curve}
    device = torch.cuda.get_device_name(0) if train.DEVICE == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"gpu": device, "torch": torch.__version__, "runs": {name: run}}, f)
    train.log(f"{name}: {epochs} epochs, {steps} steps; val EMA accuracy {averaged['accuracy']:.3f} macro-F1 "
              f"{averaged['macroF1']:.3f} ECE {averaged['ece']:.3f}; last {last['accuracy']:.3f} / {last['macroF1']:.3f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", default=".gpu-pack")
    parser.add_argument("--init", required=True, help="kept student weights OUT/NAME.bin (results.json beside)")
    parser.add_argument("--targets", required=True, help="ensemble-train-logits.json (its .bin beside it)")
    parser.add_argument("--out", required=True, help="folder for NAME.bin and results.json (replaced)")
    parser.add_argument("--name", help="run name (default: the init's name + -kd)")
    parser.add_argument("--seconds", type=float, default=1800)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--ema", type=float, default=0.998)
    parser.add_argument("--seed", type=int, default=1)
    distil(parser.parse_args())


if __name__ == "__main__":
    main()
