"""TensorFlow.js layers models (Keras 2 JSON topology + weight shards) rebuilt as PyTorch modules.

Only the layer kinds of the project's backbones and exported students are supported; anything else
raises, so a port never runs with a layer silently skipped. Tensors are NCHW inside; TensorFlow's
"same" padding (asymmetric for even totals) is reproduced exactly.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_model_json(folder):
    with open(os.path.join(folder, "model.json")) as f:
        return json.load(f)


def read_weights(folder, model_json):
    """Every weight of the manifest by name, dequantized to float32, in TensorFlow's layout."""
    weights = {}
    for group in model_json["weightsManifest"]:
        buffer = b"".join(open(os.path.join(folder, path), "rb").read() for path in group["paths"])
        offset = 0
        for entry in group["weights"]:
            count = int(np.prod(entry["shape"])) if entry["shape"] else 1
            quantization = entry.get("quantization")
            if quantization is None:
                if entry["dtype"] != "float32":
                    raise ValueError(f"{entry['name']}: unsupported dtype {entry['dtype']}")
                values = np.frombuffer(buffer, "<f4", count, offset)
                offset += 4 * count
            elif quantization["dtype"] == "float16":
                values = np.frombuffer(buffer, "<f2", count, offset).astype(np.float32)
                offset += 2 * count
            elif quantization["dtype"] in ("uint8", "uint16"):
                width = 1 if quantization["dtype"] == "uint8" else 2
                raw = np.frombuffer(buffer, "<u1" if width == 1 else "<u2", count, offset)
                values = raw.astype(np.float32) * quantization["scale"] + quantization["min"]
                offset += width * count
            else:
                raise ValueError(f"{entry['name']}: unsupported quantization {quantization['dtype']}")
            weights[entry["name"]] = values.reshape(entry["shape"]).copy()
    return weights


def tf_same_padding(x, kernel, strides, dilation, value=0.0):
    """Pads like TensorFlow's "same": the odd pixel of an even total goes after (bottom/right)."""
    pads = []
    for size, k, s, d in zip(x.shape[2:], kernel, strides, dilation):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)


def activation(name):
    if name in (None, "linear"):
        return lambda x: x
    if name == "relu":
        return F.relu
    if name == "relu6":
        return F.relu6
    raise ValueError(f"unsupported activation {name}")


class Conv(nn.Module):
    def __init__(self, name, cfg, weights, depthwise):
        super().__init__()
        self.tf_name = name
        self.depthwise = depthwise
        self.kernel = tuple(cfg["kernel_size"])
        self.strides = tuple(cfg["strides"])
        self.dilation = tuple(cfg.get("dilation_rate", [1, 1]))
        self.same = cfg["padding"] == "same"
        self.act = activation(cfg.get("activation"))
        if depthwise:
            _, _, cin, mult = weights[f"{name}/depthwise_kernel"].shape  # kh, kw, in, multiplier
            cout, groups = cin * mult, cin
        else:
            _, _, cin, cout = weights[f"{name}/kernel"].shape  # kh, kw, in, out
            groups = 1
        self.conv = nn.Conv2d(
            cin,
            cout,
            self.kernel,
            stride=self.strides,
            dilation=self.dilation,
            groups=groups,
            bias=cfg.get("use_bias", True),
        )
        self.load(weights)

    @torch.no_grad()
    def load(self, weights):
        name = self.tf_name
        if self.depthwise:
            kernel = weights[f"{name}/depthwise_kernel"]
            kh, kw, cin, mult = kernel.shape
            torch_kernel = kernel.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
        else:
            torch_kernel = weights[f"{name}/kernel"].transpose(3, 2, 0, 1)
        self.conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(torch_kernel)))
        if self.conv.bias is not None:
            self.conv.bias.copy_(torch.from_numpy(weights[f"{name}/bias"]))

    def forward(self, x):
        if self.same:
            x = tf_same_padding(x, self.kernel, self.strides, self.dilation)
        return self.act(self.conv(x))

    def tf_weights(self):
        kernel = self.conv.weight.detach().float().cpu().numpy()
        out = {}
        if self.depthwise:
            cin_mult, _, kh, kw = kernel.shape
            cin = self.conv.groups
            out[f"{self.tf_name}/depthwise_kernel"] = kernel.reshape(cin, cin_mult // cin, kh, kw).transpose(2, 3, 0, 1)
        else:
            out[f"{self.tf_name}/kernel"] = kernel.transpose(2, 3, 1, 0)
        if self.conv.bias is not None:
            out[f"{self.tf_name}/bias"] = self.conv.bias.detach().float().cpu().numpy()
        return out


class BatchNorm(nn.Module):
    def __init__(self, name, cfg, weights):
        super().__init__()
        self.tf_name = name
        channels = weights[f"{name}/moving_mean"].shape[0]
        self.bn = nn.BatchNorm2d(channels, eps=cfg["epsilon"], momentum=1 - cfg["momentum"])
        self.scale = cfg.get("scale", True)
        self.center = cfg.get("center", True)
        if not self.scale:
            self.bn.weight.requires_grad_(False)
        if not self.center:
            self.bn.bias.requires_grad_(False)
        self.load(weights)

    @torch.no_grad()
    def load(self, weights):
        name = self.tf_name
        self.bn.running_mean.copy_(torch.from_numpy(weights[f"{name}/moving_mean"]))
        self.bn.running_var.copy_(torch.from_numpy(weights[f"{name}/moving_variance"]))
        if self.scale:
            self.bn.weight.copy_(torch.from_numpy(weights[f"{name}/gamma"]))
        if self.center:
            self.bn.bias.copy_(torch.from_numpy(weights[f"{name}/beta"]))

    def forward(self, x):
        return self.bn(x)

    def tf_weights(self):
        def np_of(t):
            return t.detach().float().cpu().numpy()

        out = {f"{self.tf_name}/moving_mean": np_of(self.bn.running_mean)}
        out[f"{self.tf_name}/moving_variance"] = np_of(self.bn.running_var)
        if self.scale:
            out[f"{self.tf_name}/gamma"] = np_of(self.bn.weight)
        if self.center:
            out[f"{self.tf_name}/beta"] = np_of(self.bn.bias)
        return out


@torch.no_grad()
def load_linear(linear, name, weights):
    """Sets a torch Linear from the tfjs Dense weights `name`/kernel ([in, out]) and `name`/bias."""
    linear.weight.copy_(torch.from_numpy(weights[f"{name}/kernel"].T.copy()))
    if linear.bias is not None:
        linear.bias.copy_(torch.from_numpy(weights[f"{name}/bias"]))


def linear_tf_weights(linear, name):
    """A torch Linear's weights as the tfjs Dense layer `name` holds them."""
    out = {f"{name}/kernel": linear.weight.detach().float().cpu().numpy().T}
    if linear.bias is not None:
        out[f"{name}/bias"] = linear.bias.detach().float().cpu().numpy()
    return out


class Dense(nn.Module):
    def __init__(self, name, cfg, weights):
        super().__init__()
        self.tf_name = name
        kernel = weights[f"{name}/kernel"]
        self.linear = nn.Linear(kernel.shape[0], kernel.shape[1], bias=cfg.get("use_bias", True))
        self.act = activation(cfg.get("activation"))
        self.load(weights)

    def load(self, weights):
        load_linear(self.linear, self.tf_name, weights)

    def forward(self, x):
        return self.act(self.linear(x))

    def tf_weights(self):
        return linear_tf_weights(self.linear, self.tf_name)


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def relu_layer(cfg):
    max_value = cfg.get("max_value")
    slope = cfg.get("negative_slope", 0.0) or 0.0
    threshold = cfg.get("threshold", 0.0) or 0.0
    if slope or threshold:
        raise ValueError("ReLU with negative_slope or threshold is not supported")
    return Lambda(F.relu if max_value is None else (lambda x: torch.clamp(x, 0.0, float(max_value))))


def max_pool_layer(cfg):
    size = tuple(cfg["pool_size"])
    strides = tuple(cfg.get("strides") or size)
    same = cfg["padding"] == "same"

    def pool(x):
        if same:
            x = tf_same_padding(x, size, strides, (1, 1), value=float("-inf"))
        return F.max_pool2d(x, size, strides)

    return Lambda(pool)


def zero_padding_layer(cfg):
    padding = cfg["padding"]
    if isinstance(padding, int):
        padding = [[padding, padding], [padding, padding]]
    (top, bottom), (left, right) = padding
    return Lambda(lambda x: F.pad(x, (left, right, top, bottom)))


def build_layer(layer, weights):
    kind = layer["class_name"]
    cfg = layer["config"]
    name = cfg.get("name", layer.get("name"))
    if kind == "Conv2D":
        return Conv(name, cfg, weights, depthwise=False)
    if kind == "DepthwiseConv2D":
        return Conv(name, cfg, weights, depthwise=True)
    if kind == "BatchNormalization":
        return BatchNorm(name, cfg, weights)
    if kind == "Dense":
        return Dense(name, cfg, weights)
    if kind == "ReLU":
        return relu_layer(cfg)
    if kind == "LeakyReLU":
        return Lambda(lambda x, a=float(cfg["alpha"]): F.leaky_relu(x, a))
    if kind == "ZeroPadding2D":
        return zero_padding_layer(cfg)
    if kind == "MaxPooling2D":
        return max_pool_layer(cfg)
    if kind == "GlobalAveragePooling2D":
        return Lambda(lambda x: x.mean(dim=(2, 3)))
    if kind == "Add":
        return Lambda(lambda *xs: sum(xs[1:], xs[0]))
    if kind == "Dropout":
        return nn.Dropout(cfg["rate"])
    if kind == "Activation":
        return Lambda(activation(cfg["activation"]))
    if kind in ("Model", "Functional"):
        return Graph(cfg, weights)
    if kind == "Sequential":
        return Chain(cfg, weights)
    raise ValueError(f"unsupported layer {kind} ({name})")


def key(name):
    return name.replace(".", "_")


class Chain(nn.Module):
    def __init__(self, cfg, weights):
        super().__init__()
        layers = cfg["layers"] if isinstance(cfg, dict) else cfg
        self.layers = nn.ModuleList(build_layer(layer, weights) for layer in layers if layer["class_name"] != "InputLayer")

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Graph(nn.Module):
    """A functional Keras model; `outputs` names layers to stop at instead of the model's own outputs."""

    def __init__(self, cfg, weights, outputs=None):
        super().__init__()
        self.inputs = [entry[0] for entry in cfg["input_layers"]]
        self.outputs = outputs or [entry[0] for entry in cfg["output_layers"]]
        self.nodes = []
        self.modules_by_name = nn.ModuleDict()
        wanted = set(self.outputs)
        for layer in cfg["layers"]:
            name = layer.get("name", layer["config"].get("name"))
            if layer["class_name"] == "InputLayer":
                continue
            nodes = layer["inbound_nodes"]
            if len(nodes) != 1:
                raise ValueError(f"layer {name} is called {len(nodes)} times; shared layers are not supported")
            self.nodes.append((name, [entry[0] for entry in nodes[0]]))
            self.modules_by_name[key(name)] = build_layer(layer, weights)
            wanted.discard(name)
            if not wanted:
                break
        if wanted:
            raise ValueError(f"outputs not found: {sorted(wanted)}")

    def forward(self, *xs):
        values = dict(zip(self.inputs, xs))
        for name, inbound in self.nodes:
            values[name] = self.modules_by_name[key(name)](*(values[i] for i in inbound))
        result = [values[name] for name in self.outputs]
        return result[0] if len(result) == 1 else result


def load_tfjs(folder, outputs=None):
    """The layers model in `folder` as a torch module taking NCHW input in the model's own range."""
    model_json = read_model_json(folder)
    topology = model_json["modelTopology"]
    topology = topology.get("model_config", topology)
    weights = read_weights(folder, model_json)
    if topology["class_name"] in ("Model", "Functional"):
        return Graph(topology["config"], weights, outputs)
    if outputs:
        raise ValueError("outputs can only be chosen in a functional model")
    return build_layer(topology, weights)


def tf_weights(module):
    """Every ported weight of `module` by its TensorFlow.js name, in TensorFlow's layout."""
    out = {}
    for sub in module.modules():
        if isinstance(sub, (Conv, BatchNorm, Dense)):
            out.update(sub.tf_weights())
    return out


def load_tf_weights(module, weights):
    """The inverse of tf_weights: sets every ported weight of `module` from TensorFlow.js names."""
    for sub in module.modules():
        if isinstance(sub, (Conv, BatchNorm, Dense)):
            sub.load(weights)
