#!/usr/bin/env python3
"""The one-off GPU experiment (README.md beside this file): does training far longer than the 2-core
machine allows, on the same backbones and photos, lift the student? Stage 1 fine-tunes whole
networks (MobileNetV2-0.35 students, Tiny Darknet teachers) in parallel processes for a fixed wall
time each; stage 2 distils the stage-1 ensemble into MobileNetV2-0.35 students on the very same
augmented views ("function matching"). Every run is scored on val with the shipped four flips.

  python3 train.py --pack .gpu-pack --out OUT --stage1 200 --stage2 220
"""
import argparse
import io
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_port import linear_tf_weights, load_linear, load_tfjs, tf_weights  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
STUDENT = "mobilenet_v2_0.35"
TEACHER = "darknet_tiny"


# float32 on both sides agrees to ~3e-5 on logits of magnitude ~10; a wrong layer is off by far more.
PARITY_TOLERANCE = 1e-3


def read_pack(pack):
    """pack.json: classes; per backbone registry name its folder, input range and embedding layer; heads."""
    with open(os.path.join(pack, "pack.json")) as f:
        return json.load(f)


def log(line, path=None):
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {line}", flush=True)
    if path:
        with open(path, "a") as f:
            f.write(f"[{stamp}] {line}\n")


# ---------- data ----------
def decode_split(pack, split):
    with open(os.path.join(pack, f"{split}.json")) as f:
        meta = json.load(f)
    blob = open(os.path.join(pack, f"{split}.bin"), "rb").read()
    side = meta["side"]

    def decode(entry):
        with Image.open(io.BytesIO(blob[entry["offset"] : entry["offset"] + entry["length"]])) as im:
            pixels = np.asarray(im.convert("RGB"))
        if pixels.shape != (side, side, 3):
            raise ValueError(f"{entry['id']}: decoded {pixels.shape}, expected {(side, side, 3)}")
        return pixels

    with ThreadPoolExecutor(16) as pool:
        images = np.stack(list(pool.map(decode, meta["index"])))
    labels = np.array([entry["label"] for entry in meta["index"]], dtype=np.int64)
    return images, labels, meta["classes"], [entry["id"] for entry in meta["index"]]


def prepare(pack, work, smoke):
    """Decodes both splits once into .npy files that every run process maps."""
    for split in ("train", "val"):
        images, labels, classes, ids = decode_split(pack, split)
        if smoke:
            keep = np.concatenate([np.flatnonzero(labels == c)[: (12 if split == "train" else 4)] for c in range(len(classes))])
            images, labels, ids = images[keep], labels[keep], [ids[i] for i in keep]
        np.save(os.path.join(work, f"{split}-images.npy"), images)
        np.save(os.path.join(work, f"{split}-labels.npy"), labels)
        with open(os.path.join(work, f"{split}-meta.json"), "w") as f:
            json.dump({"classes": classes, "ids": ids}, f)
    return classes


def load_split(work, split):
    images = torch.from_numpy(np.load(os.path.join(work, f"{split}-images.npy"))).to(DEVICE)
    labels = torch.from_numpy(np.load(os.path.join(work, f"{split}-labels.npy"))).to(DEVICE)
    return images.permute(0, 3, 1, 2).contiguous(), labels  # uint8 NCHW


# ---------- models ----------
class Classifier(nn.Module):
    def __init__(self, kind, pack, classes):
        super().__init__()
        described = read_pack(pack)
        backbone = described["backbones"][kind]
        self.kind = kind
        self.value_range = backbone["range"]
        self.tap = backbone["layer"]
        self.backbone = load_tfjs(os.path.join(pack, backbone["folder"]), [self.tap] if self.tap else None)
        with torch.no_grad():
            dim = self.embed(torch.zeros(1, 3, 64, 64)).shape[1]
        head = described["heads"]["student" if kind == STUDENT else "teacher"]
        if len(head["hidden"]) != 1:
            raise ValueError(f"heads with one hidden layer only, got {head['hidden']}")
        self.hidden = nn.Linear(dim, head["hidden"][0])
        self.dropout = nn.Dropout(head["dropout"])
        self.logits = nn.Linear(head["hidden"][0], classes)

    def embed(self, unit):  # unit: float NCHW in [0, 1]
        lo, hi = self.value_range
        features = self.backbone(unit * (hi - lo) + lo)
        return features.mean(dim=(2, 3)) if features.ndim == 4 else features

    def forward(self, unit):
        return self.logits(self.dropout(F.relu(self.hidden(self.embed(unit)))))

    def head_layers(self):
        return (("head_dense_0", self.hidden), ("head_logits", self.logits))

    def export(self):
        """Every weight by TensorFlow.js name: the backbone's own, the head's named as models/default's."""
        weights = tf_weights(self.backbone)
        for name, layer in self.head_layers():
            weights.update(linear_tf_weights(layer, name))
        return weights

    def load_head(self, weights):
        for name, layer in self.head_layers():
            load_linear(layer, name, weights)


def load_kept(kind, pack, classes, path):
    """A Classifier on the device with the state a run saved at `path` (its weight average)."""
    model = Classifier(kind, pack, classes).to(DEVICE).to(memory_format=torch.channels_last)
    model.load_state_dict(torch.load(path, map_location=DEVICE))
    return model


# ---------- augmentation (on the GPU, one draw per photo per step) ----------
def augment(x, gen):
    """Geometry, then colour: random resized crop, rotation, flips, then jitter (photometric)."""
    return photometric(geometric(x, gen), gen)


def uniform_draws(n, device, gen):
    return lambda lo, hi: torch.rand(n, device=device, generator=gen) * (hi - lo) + lo


def geometric(x, gen):
    """Random resized crop (35-100 % of the area, aspect 3:4-4:3), rotation within ±30°, both flips."""
    n = x.shape[0]
    dev = x.device
    uniform = uniform_draws(n, dev, gen)
    area = uniform(0.35, 1.0)
    ratio = torch.exp(uniform(math.log(3 / 4), math.log(4 / 3)))
    sx = torch.sqrt(area * ratio).clamp(max=1.0)
    sy = torch.sqrt(area / ratio).clamp(max=1.0)
    angle = uniform(-math.pi / 6, math.pi / 6)
    fx = torch.where(torch.rand(n, device=dev, generator=gen) < 0.5, -1.0, 1.0)
    fy = torch.where(torch.rand(n, device=dev, generator=gen) < 0.5, -1.0, 1.0)
    tx = uniform(-1, 1) * (1 - sx)
    ty = uniform(-1, 1) * (1 - sy)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [
            torch.stack([cos * sx * fx, -sin * sy * fy, tx], 1),
            torch.stack([sin * sx * fx, cos * sy * fy, ty], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def photometric(x, gen):
    """Saturation, contrast and brightness each scaled by 0.75-1.25; x in [0, 1] NCHW."""
    n = x.shape[0]
    uniform = uniform_draws(n, x.device, gen)
    gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    saturation = uniform(0.75, 1.25).view(n, 1, 1, 1)
    x = gray + (x - gray) * saturation
    contrast = uniform(0.75, 1.25).view(n, 1, 1, 1)
    mean = gray.mean(dim=(2, 3), keepdim=True)
    x = mean + (x - mean) * contrast
    x = x * uniform(0.75, 1.25).view(n, 1, 1, 1)
    return x.clamp(0.0, 1.0)


def mix(x, y, gen):
    """CutMix (half the batches), mixup (a quarter) or neither; y are soft targets."""
    choice = torch.rand(1, generator=gen, device=x.device).item()
    if choice >= 0.75:
        return x, y
    perm = torch.randperm(x.shape[0], device=x.device, generator=gen)
    if choice < 0.5:
        lam = float(np.random.beta(1.0, 1.0))
        side = x.shape[-1]
        cut = int(side * math.sqrt(1 - lam))
        cy, cx = np.random.randint(side), np.random.randint(side)
        y0, y1 = max(cy - cut // 2, 0), min(cy + cut // 2, side)
        x0, x1 = max(cx - cut // 2, 0), min(cx + cut // 2, side)
        x = x.clone()
        x[:, :, y0:y1, x0:x1] = x[perm][:, :, y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (side * side)
    else:
        lam = float(np.random.beta(0.4, 0.4))
        x = lam * x + (1 - lam) * x[perm]
    return x, lam * y + (1 - lam) * y[perm]


# ---------- evaluation ----------
FLIPS = {"id": (), "h": (3,), "v": (2,), "hv": (2, 3)}  # core's flip views, on NCHW


@torch.no_grad()
def flip_logits(model, images, batch=128, bfloat16=True):
    """[views, N, K]: the model's logits for every photo in each of core's four flip views."""
    model.eval()
    out = []
    for start in range(0, images.shape[0], batch):
        x = images[start : start + batch].float() / 255
        with autocast(bfloat16):
            out.append(torch.stack([model(torch.flip(x, dims) if dims else x).float() for dims in FLIPS.values()]))
    return torch.cat(out, dim=1)


def val_logits(model, images, bfloat16=True):
    """Logits averaged over the four flip views, as the shipped model's card asks."""
    return flip_logits(model, images, bfloat16=bfloat16).mean(0)


def metrics(logits, labels, classes):
    logits = logits.float().cpu()
    labels = labels.cpu()
    pred = logits.argmax(1)
    f1 = []
    for c in range(classes):
        tp = ((pred == c) & (labels == c)).sum().item()
        fp = ((pred == c) & (labels != c)).sum().item()
        fn = ((pred != c) & (labels == c)).sum().item()
        f1.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    top3 = (logits.topk(3, 1).indices == labels[:, None]).any(1).float().mean().item()
    return {
        "accuracy": (pred == labels).float().mean().item(),
        "macroF1": float(np.mean(f1)),
        "top3": top3,
        "perClassF1": f1,
        "ece": ece(torch.softmax(logits, 1), labels),
        "eceAfterTemperature": ece(torch.softmax(logits / fit_temperature(logits, labels), 1), labels),
    }


def ece(probs, labels, bins=15):
    confidence, pred = probs.max(1)
    correct = (pred == labels).float()
    total = 0.0
    for b in range(bins):
        inside = (confidence > b / bins) & (confidence <= (b + 1) / bins)
        if inside.any():
            total += inside.float().mean().item() * abs(confidence[inside].mean().item() - correct[inside].mean().item())
    return total


def fit_temperature(logits, labels):
    best = (float("inf"), 1.0)
    for t in np.exp(np.linspace(math.log(0.3), math.log(5), 200)):
        nll = F.cross_entropy(logits / float(t), labels).item()
        best = min(best, (nll, float(t)))
    return best[1]


def autocast(enabled=True):
    """bfloat16 on a GPU (training and the scores in results.json); `enabled=False` keeps float32."""
    if DEVICE == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=enabled)
    return torch.autocast("cpu", enabled=False)


# ---------- one training run (a child process) ----------
def class_weights(labels, classes, beta=0.999):
    counts = torch.bincount(labels, minlength=classes).float()
    weights = (1 - beta) / (1 - beta ** counts)
    return weights / weights.mean()


class Ema:
    def __init__(self, model, decay):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model):
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)
            else:
                self.shadow[k].copy_(v)


def save_weights(model, work, name):
    """
    float32 little-endian in the sorted order of the TensorFlow.js names; returns that layout
    (results' "weights": name and shape of each).
    """
    weights = model.export()
    names = sorted(weights)
    np.concatenate([weights[n].astype("<f4").ravel() for n in names]).tofile(os.path.join(work, f"{name}.bin"))
    return [{"name": n, "shape": list(weights[n].shape)} for n in names]


def shuffled_batches(count, batch, gen):
    """(epoch, indices) forever: every epoch a new order, the last partial batch dropped."""
    epoch = 0
    while True:
        order = torch.randperm(count, device=DEVICE, generator=gen)
        for first in range(0, count - batch + 1, batch):
            yield epoch, order[first : first + batch]
        epoch += 1


def training_loss(model, x, target, weights, teachers, kd_alpha, temperature):
    """Re-weighted soft-target cross-entropy; with teachers, blended with KL to their mean logits."""
    model.train()
    with autocast():
        logits = model(x).float()
        sample_weight = target @ weights
        ce = -(target * F.log_softmax(logits, 1)).sum(1)
        loss = (sample_weight * ce).sum() / sample_weight.sum()
        if not teachers:
            return loss
        with torch.no_grad():
            teacher_logits = torch.stack([t(x).float() for t in teachers]).mean(0)
        kd = F.kl_div(
            F.log_softmax(logits / temperature, 1),
            F.softmax(teacher_logits / temperature, 1),
            reduction="batchmean",
        )
        return (1 - kd_alpha) * loss + kd_alpha * kd * temperature**2


def run(spec):
    torch.manual_seed(spec["seed"])
    np.random.seed(spec["seed"])
    torch.set_num_threads(2)
    work, pack = spec["work"], spec["pack"]
    with open(os.path.join(work, "train-meta.json")) as f:
        classes = len(json.load(f)["classes"])
    train_x, train_y = load_split(work, "train")
    val_x, val_y = load_split(work, "val")
    gen = torch.Generator(device=DEVICE)
    gen.manual_seed(spec["seed"])

    model = Classifier(spec["kind"], pack, classes).to(DEVICE).to(memory_format=torch.channels_last)
    teachers = []
    for path, kind in spec.get("teachers", []):
        teachers.append(load_kept(kind, pack, classes, path).eval())

    head = [p for n, p in model.named_parameters() if not n.startswith("backbone.")]
    decay = [p for n, p in model.named_parameters() if n.startswith("backbone.") and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if n.startswith("backbone.") and p.ndim <= 1]
    lr = spec["lr"]
    optimizer = torch.optim.AdamW(
        [
            {"params": head, "lr": lr * 3, "weight_decay": 0.02},
            {"params": decay, "lr": lr, "weight_decay": 0.02},
            {"params": no_decay, "lr": lr, "weight_decay": 0.0},
        ]
    )
    base = [g["lr"] for g in optimizer.param_groups]
    weights = class_weights(train_y, classes).to(DEVICE)
    ema = Ema(model, spec.get("ema", 0.998))
    batch = spec.get("batch", 64)
    kd_alpha, temperature = spec.get("kdAlpha", 0.7), spec.get("temperature", 1.0)

    start = time.time()
    steps = epochs = 0
    curve = []
    for epoch, idx in shuffled_batches(train_x.shape[0], batch, gen):
        progress = (time.time() - start) / spec["seconds"]
        if progress >= 1:
            break
        if epoch > epochs:
            epochs = epoch
            if epochs % 10 == 0:
                curve.append({"epoch": epochs, "seconds": round(time.time() - start, 1), "loss": loss.item()})
        # 3 % warm-up, then a cosine to zero over the run's wall time
        factor = min(1.0, progress / 0.03) * 0.5 * (1 + math.cos(math.pi * progress))
        for group, lr0 in zip(optimizer.param_groups, base):
            group["lr"] = lr0 * factor
        x = augment(train_x[idx].float() / 255, gen).contiguous(memory_format=torch.channels_last)
        target = F.one_hot(train_y[idx], classes).float() * 0.9 + 0.1 / classes
        x, target = mix(x, target, gen)
        loss = training_loss(model, x, target, weights, teachers, kd_alpha, temperature)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        ema.update(model)
        steps += 1

    raw_logits = val_logits(model, val_x)
    if spec.get("keep") == "last":
        layout = save_weights(model, work, spec["name"])
    model.load_state_dict(ema.shadow)
    logits = val_logits(model, val_x)
    torch.save(model.state_dict(), os.path.join(work, f"{spec['name']}.pt"))
    if spec.get("keep") != "last":
        layout = save_weights(model, work, spec["name"])
    result = {
        "name": spec["name"],
        "spec": {k: v for k, v in spec.items() if k not in ("work", "pack")},
        "steps": steps,
        "epochs": epochs,
        "seconds": round(time.time() - start, 1),
        "ema": metrics(logits, val_y, classes),
        "last": metrics(raw_logits, val_y, classes),
        "valLogits": [[round(v, 4) for v in row] for row in logits.cpu().tolist()],
        "weights": layout,
        "curve": curve,
    }
    with open(os.path.join(work, f"{spec['name']}.json"), "w") as f:
        json.dump(result, f)


# ---------- orchestration ----------
def run_parallel(specs, work, logfile, classes):
    procs = []
    for spec in specs:
        with open(os.path.join(work, f"{spec['name']}.spec.json"), "w") as f:
            json.dump(spec, f)
        out = open(os.path.join(work, f"{spec['name']}.log"), "w")
        procs.append((spec, subprocess.Popen([sys.executable, __file__, "--child", os.path.join(work, f"{spec['name']}.spec.json")], stdout=out, stderr=subprocess.STDOUT)))
    results = {}
    failed = []
    for spec, proc in procs:
        code = proc.wait()
        path = os.path.join(work, f"{spec['name']}.json")
        if code != 0 or not os.path.exists(path):
            tail = open(os.path.join(work, f"{spec['name']}.log")).read()[-1500:]
            log(f"{spec['name']} FAILED (exit {code}): {tail}", logfile)
            failed.append(spec["name"])
            continue
        with open(path) as f:
            results[spec["name"]] = json.load(f)
        r = results[spec["name"]]
        f1 = r["ema"]["perClassF1"]
        worst = min(range(len(classes)), key=lambda c: f1[c])
        log(
            f"{r['name']}: {r['epochs']} epochs in {r['seconds']} s; EMA acc {r['ema']['accuracy']:.3f} macro-F1 {r['ema']['macroF1']:.3f} "
            f"lowest F1 {f1[worst]:.2f} ({classes[worst]}) ECE {r['ema']['ece']:.3f}/{r['ema']['eceAfterTemperature']:.3f}; "
            f"last acc {r['last']['accuracy']:.3f} macro-F1 {r['last']['macroF1']:.3f}",
            logfile,
        )
    return results, failed


def stop_if_failed(failed, logfile):
    """After results.json holds what finished: a failed run makes the whole command fail."""
    if failed:
        log(f"{len(failed)} runs failed: {', '.join(failed)}", logfile)
        sys.exit(1)


def ensemble(results, names, val_y, classes):
    logits = torch.tensor([results[n]["valLogits"] for n in names]).mean(0)
    return metrics(logits, val_y, classes)


@torch.no_grad()
def parity(pack, model_dir):
    """Largest difference between this port's outputs and tfjs's (pack.ts) on 16 exact val photos."""
    with open(os.path.join(pack, "parity.json")) as f:
        reference = json.load(f)
    n, side = reference["count"], reference["side"]
    pixels = np.fromfile(os.path.join(pack, "parity.bin"), np.uint8).reshape(n, side, side, 3)
    unit = torch.from_numpy(pixels).permute(0, 3, 1, 2).float().to(DEVICE) / 255
    checks = {"student": (model_dir, reference["studentRange"])}
    for name, backbone in read_pack(pack)["backbones"].items():
        checks[name] = (os.path.join(pack, backbone["folder"]), backbone["range"])
    out = {}
    for name, (folder, (lo, hi)) in checks.items():
        model = load_tfjs(folder).to(DEVICE).eval()
        ours = model(unit * (hi - lo) + lo).float().cpu().numpy()
        out[name] = float(np.abs(ours - np.array(reference["outputs"][name])).max())
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--pack", default=".gpu-pack")
    parser.add_argument("--out", default="out")
    parser.add_argument("--work", default="/tmp/pifu-gpu")
    parser.add_argument("--student", default="models/default", help="an exported student, for the parity check")
    parser.add_argument("--stage1", type=float, default=200)
    parser.add_argument("--stage2", type=float, default=220, help="0: no stage 2; the stage-1 networks' weights are kept instead")
    parser.add_argument("--seed-offset", type=int, default=0, help="added to every run's seed (a second ensemble)")
    parser.add_argument("--plan", choices=["teachers", "seeds"], default="teachers", help="seeds: six MobileNetV2 runs only, last weights kept")
    parser.add_argument("--smoke", action="store_true", help="a few photos per class, to check the script end to end")
    args = parser.parse_args()
    if args.child:
        with open(args.child) as f:
            run(json.load(f))
        return

    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    logfile = os.path.join(args.out, "log.txt")
    gpu = torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu"
    log(f"torch {torch.__version__} on {gpu}", logfile)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    differences = parity(args.pack, args.student)
    log(f"parity with tfjs (largest absolute difference): {differences}", logfile)
    if max(differences.values()) > PARITY_TOLERANCE:
        log(f"the port disagrees with tfjs by more than {PARITY_TOLERANCE}: nothing trained", logfile)
        sys.exit(1)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    classes = prepare(args.pack, args.work, args.smoke)
    val_y = torch.from_numpy(np.load(os.path.join(args.work, "val-labels.npy")))
    log(f"decoded: {len(np.load(os.path.join(args.work, 'train-labels.npy')))} train, {len(val_y)} val", logfile)
    common = {"work": args.work, "pack": os.path.abspath(args.pack)}

    summary = {"gpu": gpu, "torch": torch.__version__, "parity": differences, "runs": {}, "ensembles": {}}
    plan = plan_seeds if args.plan == "seeds" else plan_teachers
    plan(args, common, summary, val_y, classes, logfile)


def plan_seeds(args, common, summary, val_y, classes, logfile):
    """Six MobileNetV2 students (two learning rates), final weights kept."""
    specs = [
        {**common, "name": f"mnv2-lr{lr:g}-s{s}", "kind": STUDENT, "seed": s, "lr": lr, "seconds": args.stage1, "keep": "last"}
        for lr, seeds in ((3e-4, (2, 3, 4)), (1e-3, (4, 5, 6)))
        for s in seeds
    ]
    results, failed = run_parallel(specs, args.work, logfile, classes)
    summary["runs"].update(results)
    write_summary(args.out, summary)
    keep_weights(args, list(results), logfile)
    stop_if_failed(failed, logfile)


def plan_teachers(args, common, summary, val_y, classes, logfile):
    """Stage 1: students and Darknet teachers; stage 2: students distilled from the stage-1 ensemble."""
    o = args.seed_offset
    stage1 = [
        {**common, "name": f"mnv2-s{s + o}", "kind": STUDENT, "seed": s + o, "lr": 1e-3, "seconds": args.stage1} for s in (1, 2, 3)
    ] + [
        {**common, "name": f"mnv2-lr3e4-s{1 + o}", "kind": STUDENT, "seed": 1 + o, "lr": 3e-4, "seconds": args.stage1},
    ] + [{**common, "name": f"darknet-s{s + o}", "kind": TEACHER, "seed": s + o, "lr": 1e-3, "seconds": args.stage1} for s in (1, 2)]
    results, failed = run_parallel(stage1, args.work, logfile, classes)
    summary["runs"].update(results)
    if results:
        m = summary["ensembles"]["stage1-all"] = ensemble(results, list(results), val_y, len(classes))
        log(f"stage-1 ensemble of {len(results)}: acc {m['accuracy']:.3f} macro-F1 {m['macroF1']:.3f} ECE {m['ece']:.3f}", logfile)
    write_summary(args.out, summary)
    stop_if_failed(failed, logfile)
    write_ensemble_train_logits(args, results, len(classes), logfile)
    if args.stage2 <= 0:
        keep_weights(args, best_by_macro_f1(summary["runs"], list(results))[:KEPT_WEIGHTS], logfile)
        return

    teachers = [[os.path.join(args.work, f"{n}.pt"), r["spec"]["kind"]] for n, r in results.items()]
    stage2 = [
        {**common, "name": f"kd-all-s{s}", "kind": STUDENT, "seed": s, "lr": 1e-3, "seconds": args.stage2, "teachers": teachers}
        for s in (1, 2, 3)
    ] + [
        {
            **common,
            "name": "kd-darknet-s1",
            "kind": STUDENT,
            "seed": 1,
            "lr": 1e-3,
            "seconds": args.stage2,
            "teachers": [t for t in teachers if t[1] == TEACHER],
        }
    ]
    results2, failed = run_parallel(stage2, args.work, logfile, classes)
    summary["runs"].update(results2)
    kd = [n for n in results2 if n.startswith("kd-all")]
    if kd:
        summary["ensembles"]["kd-all"] = ensemble(summary["runs"], kd, val_y, len(classes))
    write_summary(args.out, summary)
    students = [n for n, r in summary["runs"].items() if r["spec"]["kind"] == STUDENT]
    keep_weights(args, best_by_macro_f1(summary["runs"], students)[: KEPT_WEIGHTS - 1], logfile)
    stop_if_failed(failed, logfile)


# The device tool returns at most 8 files: results, log, the ensemble's train logits (2) and four
# networks' weights (three after stage 2, leaving one for the caller's copy of stdout).
KEPT_WEIGHTS = 4


def best_by_macro_f1(runs, names):
    return sorted(names, key=lambda n: runs[n]["ema"]["macroF1"], reverse=True)


def write_ensemble_train_logits(args, results, classes, logfile):
    """The stage-1 ensemble's soft targets on the train photos (write_train_logits)."""
    train_x, _ = load_split(args.work, "train")
    models = (load_kept(run["spec"]["kind"], args.pack, classes, os.path.join(args.work, f"{name}.pt")) for name, run in results.items())
    with open(os.path.join(args.work, "train-meta.json")) as f:
        meta = json.load(f)
    write_train_logits(args.out, mean_flip_logits(models, train_x), meta["ids"], meta["classes"], list(results), logfile)


def mean_flip_logits(models, images):
    """[views, photos, classes]: the models' mean logits on every photo in each of core's flip views."""
    total, count = None, 0
    for model in models:
        logits = flip_logits(model, images).cpu()
        total, count = (logits if total is None else total + logits), count + 1
    return total / count


def write_train_logits(out, mean, ids, classes, models, logfile):
    """
    OUT/ensemble-train-logits.bin: an ensemble's mean logits on every train photo in each flip view,
    float32 [views, photos, classes] in train.json's photo order, with ensemble-train-logits.json
    naming views, photo ids, class ids and models: soft targets a student trained elsewhere (the tfjs pipeline,
    `npm run student -- --teacher-logits`) distils from.
    """
    mean = mean.numpy().astype("<f4")
    mean.tofile(os.path.join(out, "ensemble-train-logits.bin"))
    with open(os.path.join(out, "ensemble-train-logits.json"), "w") as f:
        json.dump({"views": list(FLIPS), "ids": ids, "classes": classes, "shape": list(mean.shape), "models": models}, f)
    log(f"ensemble train logits: {list(mean.shape)} from {len(models)} models", logfile)


def keep_weights(args, names, logfile):
    for name in names:
        os.replace(os.path.join(args.work, f"{name}.bin"), os.path.join(args.out, f"{name}.bin"))
    log(f"kept weights of {names}", logfile)


def write_summary(out, summary):
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    main()
