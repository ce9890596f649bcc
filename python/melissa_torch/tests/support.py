"""Shared pieces of the melissa_torch tests: paths, small models, direct torch references."""

import os
import tempfile
import textwrap

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SURROGATE = os.path.join(REPO, "workflows", "heat-pde-torch", "surrogate.py")
CNN = os.path.join(REPO, "workflows", "heat-pde-torch", "cnn.py")
TIMEOUT = 300  # seconds a trainer may take to reply before a test fails instead of hanging (loaded machine)

SMALL = {"hidden": [16, 16], "activation": "tanh"}


def write_module(directory: str, name: str, source: str) -> str:
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(textwrap.dedent(source))
    return path


def batch(rng, n, inputs, outputs):
    return (rng.standard_normal((n, inputs), dtype=np.float32), rng.standard_normal((n, outputs), dtype=np.float32))


def reference(module_path, inputs, outputs, config, seed, lr=1e-3):
    """The model and Adam built in this process exactly as the trainer builds them."""
    import torch

    from melissa_torch.trainer import load_user_module

    torch.manual_seed(seed)
    model = load_user_module(module_path).make_model(inputs, outputs, config)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    return model, opt


def temporary_directory():
    return tempfile.TemporaryDirectory(prefix="melissa-torch-test-")
