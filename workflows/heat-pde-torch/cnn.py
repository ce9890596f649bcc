"""A small convolutional surrogate for the 2-D heat field, what the native MLP trainer cannot express:
(parameters, time step) -> a dense layer to a coarse grid of `channels` feature maps -> upsampling blocks
(nearest ×2 + 3×3 convolution + activation) -> a 1-channel map resized to the field's shape -> flattened.

The field's shape comes from config["fields"][0]["shape"] (the study's fields; e.g. [100, 100]); options
(training.pytorch.options): coarse (default 16: the coarse grid's side), channels (default 32),
upsamplings (default 2), activation (relu, tanh or gelu; default gelu).
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


class HeatCNN(nn.Module):
    def __init__(self, inputs: int, height: int, width: int, coarse: int, channels: int, upsamplings: int,
                 activation: str):
        super().__init__()
        act = ACTIVATIONS[activation]
        self.height, self.width = height, width
        self.coarse, self.channels = coarse, channels
        self.dense = nn.Sequential(nn.Linear(inputs, 128), act(), nn.Linear(128, channels * coarse * coarse), act())
        blocks = []
        c = channels
        for _ in range(upsamplings):
            blocks += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c, max(c // 2, 8), 3, padding=1),
                       act()]
            c = max(c // 2, 8)
        self.up = nn.Sequential(*blocks)
        self.head = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        h = self.dense(x).reshape(n, self.channels, self.coarse, self.coarse)
        h = self.head(self.up(h))
        h = F.interpolate(h, size=(self.height, self.width), mode="bilinear", align_corners=False)
        return h.reshape(n, self.height * self.width)


def make_model(inputs: int, outputs: int, config: dict) -> nn.Module:
    fields = config.get("fields") or []
    shape = list(fields[0].get("shape") or []) if fields else []
    if len(shape) != 2:
        side = math.isqrt(outputs)
        if side * side != outputs:
            raise ValueError(f"cnn.py needs a 2-D field: fields[0].shape is {shape or 'missing'} and {outputs} "
                             "outputs are not a square")
        shape = [side, side]
    if len(fields) > 1 or shape[0] * shape[1] != outputs:
        raise ValueError(f"cnn.py models one 2-D field: fields[0].shape {shape} gives {shape[0] * shape[1]} "
                         f"values, the study has {outputs} outputs")
    activation = config.get("activation", "gelu")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r}: expected one of {', '.join(ACTIVATIONS)}")
    return HeatCNN(inputs, int(shape[0]), int(shape[1]), int(config.get("coarse", 16)),
                   int(config.get("channels", 32)), int(config.get("upsamplings", 2)), activation)
