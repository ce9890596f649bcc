"""The paper's surrogate as a PyTorch module for `training.backend: pytorch` (docs/training.md):
an MLP from (parameters, time step) to the whole field, hidden layers from config["hidden"] (default
[256, 256]), activation config["activation"] (relu, tanh or gelu; default relu). Options come from the
study's training.pytorch.options.

config["init"] chooses the initial weights: "torch" (the default: nn.Linear's own, uniform within
±1/sqrt(fan_in) for weights and biases, which is also the native trainer's scheme) or "he" (He-uniform, bound
sqrt(6/fan_in), before ReLU and GELU, LeCun-uniform, sqrt(3/fan_in), before tanh and for the output layer; zero
biases: the native trainer's scheme until 2026-12-04), for scripts/compare-backends.
"""

import math

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def make_model(inputs: int, outputs: int, config: dict) -> nn.Module:
    hidden = list(config.get("hidden", [256, 256]))
    name = config.get("activation", "relu")
    if name not in ACTIVATIONS:
        raise ValueError(f"activation {name!r}: expected one of {', '.join(ACTIVATIONS)}")
    init = config.get("init", "torch")
    if init not in ("torch", "he"):
        raise ValueError(f"init {init!r}: expected torch or he")
    layers, width = [], inputs
    for size in hidden:
        layers += [nn.Linear(width, int(size)), ACTIVATIONS[name]()]
        width = int(size)
    layers.append(nn.Linear(width, outputs))
    if init == "he":
        linears = [layer for layer in layers if isinstance(layer, nn.Linear)]
        with torch.no_grad():
            for index, layer in enumerate(linears):
                hidden_layer = index < len(linears) - 1
                gain = 6.0 if hidden_layer and name != "tanh" else 3.0
                bound = math.sqrt(gain / layer.in_features)
                layer.weight.uniform_(-bound, bound)
                layer.bias.zero_()
    return nn.Sequential(*layers)
