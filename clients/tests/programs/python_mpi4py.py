#!/usr/bin/env python3
"""Two simulations in one MPI job through mpi4py communicators (clients/tests/run-client-tests).

Run with 4 ranks: COMM_WORLD is split in two halves; half h is simulation h
(MELISSA_SIMULATION_ID set per half before melissa.init, read by the half's rank 0) and
streams the pattern of python_stream.py on its own 2-rank communicator.
"""
import os
import sys

import numpy as np
from mpi4py import MPI

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python"))
import melissa_client as melissa  # noqa: E402

world = MPI.COMM_WORLD
half = world.Get_rank() // 2
comm = world.Split(color=half, key=world.Get_rank())
rank = comm.Get_rank()
os.environ["MELISSA_SIMULATION_ID"] = str(half)
steps = int(os.environ["MELISSA_TIME_STEPS"])
local = 5 + rank
offset = 5 * rank + rank * (rank - 1) // 2

melissa.init("pressure", local, comm)
melissa.init("density", local, comm)
k = np.arange(offset, offset + local)
for t in range(steps):
    melissa.send("pressure", (k + 1000 * t).astype(np.float64))
    melissa.send("density", (k + 1000 * t + 0.5).astype(np.float32))
melissa.finalize()
comm.Free()
if world.Get_rank() == 0:
    print(f"python_mpi4py: sent {steps} steps from 2 simulations")
