"""melissa_torch: the PyTorch trainer behind the melissa server (protocol v1, docs/training.md).

Modules:
  trainer  `python -m melissa_torch.trainer`: the trainer process one server rank drives over stdin/stdout,
           batches in a shared-memory ring (ring.py).
  ring     the ring layout: create (feeder, tests) and map (trainer), the one place for the offsets.
  predict  `python -m melissa_torch.predict MODEL.pt`: raw float32 rows in, raw float32 outputs out.
  bench    `python -m melissa_torch.bench`: the same model trained from in-process tensors (the baseline).
  feeder   a small pure-Python stand-in for the server: a ring per rank, N trainers, random batches.

Nothing here imports torch at import time: a missing torch gives a clear message, never a traceback.
"""

PROTOCOL = 1
TORCH_MISSING = "PyTorch is not installed for {python}: pip install torch (https://pytorch.org)"
NUMPY_MISSING = "NumPy is not installed for {python}: pip install numpy (https://numpy.org)"
