"""The exported model: a TorchScript module taking RAW inputs (n, I) to RAW outputs (n, O).

    y = model((x - input_mean) / input_std).reshape(n, O) * output_std + output_mean

The statistics are buffers of the module (`in_mean`, `in_std`, `out_mean`, `out_std`), so a reader learns I and O
from `in_mean.numel()` and `out_mean.numel()` whether the file was scripted or traced (predict.py does). The
study's metadata, when the server sends it, is stored as the extra file `melissa.json`. Imported by the trainer
only after torch is known to be there.
"""

import copy
import json
import os

import torch


class Normalized(torch.nn.Module):
    """The user's model between the study's frozen input and output normalisations."""

    outputs: int

    def __init__(self, model: torch.nn.Module, outputs: int, in_mean, in_std, out_mean, out_std):
        super().__init__()
        self.model = model
        self.outputs = outputs
        self.register_buffer("in_mean", torch.tensor(in_mean, dtype=torch.float32))
        self.register_buffer("in_std", torch.tensor(in_std, dtype=torch.float32))
        self.register_buffer("out_mean", torch.tensor(out_mean, dtype=torch.float32))
        self.register_buffer("out_std", torch.tensor(out_std, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        y = self.model((x - self.in_mean) / self.in_std).reshape(n, self.outputs)
        return y * self.out_std + self.out_mean


def export_model(torch_module, model, inputs: int, outputs: int, stats: dict, path: str, metadata=None) -> str:
    """Writes the TorchScript file atomically (P.tmp, fsync, rename); returns "script" or "trace"."""
    del torch_module  # the same torch as imported here; kept for the trainer's call shape
    live = copy.deepcopy(model).to("cpu").eval()
    wrapper = Normalized(live, outputs, stats["input_mean"], stats["input_std"], stats["output_mean"],
                         stats["output_std"]).eval()
    try:
        exported = torch.jit.script(wrapper)
        method = "script"
    except Exception as exc:  # not scriptable (dynamic Python in the user's model): trace an example batch
        import sys

        sys.stderr.write(f"melissa_torch: torch.jit.script failed ({type(exc).__name__}: "
                         f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); tracing instead\n")
        generator = torch.Generator().manual_seed(0)  # never the global RNG: ranks must stay in step
        example = torch.randn((4, inputs), generator=generator) * wrapper.in_std + wrapper.in_mean
        with torch.no_grad():
            exported = torch.jit.trace(wrapper, (example,), check_trace=False)
        method = "trace"
    extra = {"melissa.json": json.dumps(metadata if metadata is not None else {}, sort_keys=True)}
    tmp = path + ".tmp"
    torch.jit.save(exported, tmp, _extra_files=extra)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return method
