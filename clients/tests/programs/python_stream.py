#!/usr/bin/env python3
"""Streams a known pattern through the Python binding (clients/tests/run-client-tests).

Same pattern as fortran_stream.f90: rank r holds 5 + r values of two fields; value k
of the global field at step t is k + 1000 t for "pressure" (float64) and
k + 1000 t + 0.5 for "density" (float32). Steps from MELISSA_TIME_STEPS. Runs alone
or under mpirun (the rank comes from Open MPI's environment). mpi4py is hidden, so the
binding takes its path without it (melissa_init_world); python_mpi4py.py tests the other.
Also checks the binding's own argument errors. Exit status 0 on success.
"""
import os
import sys

import numpy as np

sys.modules["mpi4py"] = None  # even where mpi4py is installed: test melissa_init_world
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python"))
import melissa_client as melissa  # noqa: E402

rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", "0"))
steps = int(os.environ["MELISSA_TIME_STEPS"])
local = 5 + rank
offset = 5 * rank + rank * (rank - 1) // 2

melissa.init("pressure", local)
melissa.init("density", local)

for bad, error in ((np.zeros(local, dtype=np.int32), TypeError), (np.zeros(local + 1), ValueError)):
    try:
        melissa.send("pressure", bad)
        sys.exit("python_stream: a bad array was accepted")
    except error:
        pass
try:
    melissa.send("nope", np.zeros(3))
    sys.exit("python_stream: an unknown field was accepted")
except melissa.MelissaError as e:
    assert e.name == "MELISSA_ERR_ARGUMENT", e

k = np.arange(offset, offset + local)
for t in range(steps):
    melissa.send("pressure", (k + 1000 * t).astype(np.float64))
    # a strided float32 view: the binding makes it contiguous
    wide = np.zeros(2 * local, dtype=np.float32)
    wide[::2] = k + 1000 * t + 0.5
    melissa.send("density", wide[::2])
try:
    melissa.send("pressure", np.zeros(local))
    sys.exit("python_stream: a step beyond MELISSA_TIME_STEPS was accepted")
except melissa.MelissaError as e:
    assert e.name == "MELISSA_ERR_TOO_MANY_STEPS", e
melissa.finalize()
if rank == 0:
    print(f"python_stream: sent {steps} steps")
