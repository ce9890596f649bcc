"""The paper's surrogate as a PyTorch module for `training.backend: pytorch` (docs/training.md):
an MLP from (parameters, time step) to the whole field, hidden layers from config["hidden"] (default
[256, 256]), activation config["activation"] (relu, tanh or gelu; default relu), nn.Linear with PyTorch's
default initialisation. Options come from the study's training.pytorch.options.
"""

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def make_model(inputs: int, outputs: int, config: dict) -> nn.Module:
    hidden = list(config.get("hidden", [256, 256]))
    name = config.get("activation", "relu")
    if name not in ACTIVATIONS:
        raise ValueError(f"activation {name!r}: expected one of {', '.join(ACTIVATIONS)}")
    layers, width = [], inputs
    for size in hidden:
        layers += [nn.Linear(width, int(size)), ACTIVATIONS[name]()]
        width = int(size)
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)
