"""A small pure-Python stand-in for the server side of protocol v1: one ring per rank, N trainer processes
(`world_size` N, rendezvous on 127.0.0.1 and a free port), random normalised batches, losses read back.

    python -m melissa_torch.feeder --module M --model F --inputs I --outputs O --batch B --seconds S
                                   [--ranks N] [--device auto|cpu|cuda] [--threads T] [--baseline] [--repeat R]

prints one JSON line per measurement: samples/s through the ring (all ranks; B rows per rank and step), and on
cuda the GPU's busy fraction over the timed window (torch.cuda.utilization(), else nvidia-smi, else "unknown").
With --baseline it also runs `python -m melissa_torch.bench` on the same model, batch and threads and prints the
ratio ring / in-process. Needs numpy (and torch in the trainers); nothing of the Swift side.

As a library (the tests): `Feeder(...)` starts the trainers, `call`/`broadcast` exchange commands, `fill` writes
rows into a slot, `close` quits them and removes the rings.
"""

import argparse
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time

from melissa_torch import PROTOCOL
from melissa_torch import ring as ringmod

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TrainerFailed(RuntimeError):
    """A trainer replied ok:false (`reply` holds the reply) or died (`reply` is None)."""

    def __init__(self, message, reply=None, rank=None):
        super().__init__(message)
        self.reply = reply
        self.rank = rank


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TrainerProcess:
    """One `python -m melissa_torch.trainer` with its pipes; replies read with a deadline (no hang)."""

    def __init__(self, rank, python=sys.executable, env=None, cwd=None, stderr=None):
        environment = dict(os.environ if env is None else env)
        environment["PYTHONPATH"] = PACKAGE_PARENT + (os.pathsep + environment["PYTHONPATH"]
                                                      if environment.get("PYTHONPATH") else "")
        self.rank = rank
        self.proc = subprocess.Popen([python, "-m", "melissa_torch.trainer"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=stderr, env=environment, cwd=cwd, bufsize=0)
        self._buffer = b""

    def send(self, obj) -> None:
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())

    def recv(self, timeout=None) -> dict:
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise TimeoutError(f"trainer rank {self.rank}: no reply within {timeout} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = self.proc.wait(timeout=30)
                raise TrainerFailed(f"trainer rank {self.rank} exited (status {code}) without replying",
                                    rank=self.rank)
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close_stdin(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass


class Feeder:
    """N trainers, each with its own ring of `slots` slots of `max_rows` rows."""

    def __init__(self, module, inputs, outputs, max_rows, model="make_model", ranks=1, slots=2, device="cpu",
                 config=None, optimizer=None, seed=0, threads=0, make_optimizer=None, loss=None,
                 python=sys.executable, directory=None, env=None, stderr=None, timeout=None):
        self.ranks, self.inputs, self.outputs, self.max_rows = ranks, inputs, outputs, max_rows
        self.timeout = timeout
        directory = directory or ringmod.default_directory()
        self.ring_paths, self.rings, self.procs = [], [], []
        tag = f"melissa-ring-{os.getpid()}-{int(time.time() * 1e6)}"
        try:
            for r in range(ranks):
                path = os.path.join(directory, f"{tag}-{r}")
                ringmod.create(path, slots, max_rows, inputs, outputs)
                self.ring_paths.append(path)
                self.rings.append(ringmod.Ring(path))
            rendezvous = f"tcp://127.0.0.1:{free_port()}" if ranks > 1 else None
            full_config = dict(config or {})
            full_config.setdefault("batch_size", max_rows)
            full_config.setdefault("fields", [{"name": "field", "size": outputs, "shape": [outputs]}])
            full_config.setdefault("parameters", [f"p{i}" for i in range(inputs)])
            opt = {"method": "adam", "learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                   "weight_decay": 0.0, "momentum": 0.0}
            opt.update(optimizer or {})
            for r in range(ranks):
                self.procs.append(TrainerProcess(r, python=python, env=env, stderr=stderr))
            self.init_replies = self.broadcast([
                {"op": "init", "protocol": PROTOCOL, "rank": r, "world_size": ranks, "rendezvous": rendezvous,
                 "device": device, "module": os.path.abspath(module), "model": model,
                 "make_optimizer": make_optimizer, "loss": loss, "inputs": inputs, "outputs": outputs,
                 "config": full_config, "optimizer": opt, "seed": seed, "threads": threads,
                 "ring": self.ring_paths[r]} for r in range(ranks)])
        except BaseException:
            self.close(kill=True)
            raise

    # ---- commands ---------------------------------------------------------------------------------------------
    def call(self, rank, obj, check=True) -> dict:
        self.procs[rank].send(obj)
        return self._recv(rank, check)

    def broadcast(self, objs, check=True) -> list:
        """Sends to every rank (one object for all, or one per rank) before reading any reply (collectives)."""
        objs = objs if isinstance(objs, list) else [objs] * self.ranks
        for r, obj in enumerate(objs):
            self.procs[r].send(obj)
        replies = [self._recv(r, False) for r in range(self.ranks)]
        if check:
            for r, reply in enumerate(replies):
                if not reply.get("ok"):
                    raise TrainerFailed(f"trainer rank {r}: {reply.get('error')}", reply, r)
        return replies

    def _recv(self, rank, check) -> dict:
        reply = self.procs[rank].recv(self.timeout)
        if check and not reply.get("ok"):
            raise TrainerFailed(f"trainer rank {rank}: {reply.get('error')}", reply, rank)
        return reply

    def fill(self, rank, slot, x, y=None) -> int:
        """Writes rows x (n, I) and targets y (n, O) into rank's slot; returns n."""
        ring = self.rings[rank]
        n = len(x)
        ring.inputs[slot][:n] = x
        if y is not None:
            ring.targets[slot][:n] = y
        return n

    def train(self, slot, rows, lr_factor=1.0) -> list:
        """One step on every rank: rows[r] rows of slot `slot`; returns the per-rank losses."""
        total = sum(rows)
        replies = self.broadcast([{"op": "train", "slot": slot, "rows": rows[r], "total": total,
                                   "lr_factor": lr_factor} for r in range(self.ranks)])
        return [reply["loss"] for reply in replies]

    def close(self, kill=False) -> list:
        """Quits the trainers (kills them with kill=True) and removes the rings; returns their exit statuses."""
        codes = []
        for p in self.procs:
            if not kill and p.proc.poll() is None:
                try:
                    p.send({"op": "quit"})
                except OSError:
                    pass
            p.close_stdin()
        for p in self.procs:
            try:
                codes.append(p.proc.wait(timeout=5 if kill else 60))
            except subprocess.TimeoutExpired:
                p.proc.kill()
                codes.append(p.proc.wait())
            if p.proc.stdout:
                p.proc.stdout.close()
        self.procs = []
        for ring in self.rings:
            ring.close()
        self.rings = []
        for path in self.ring_paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self.ring_paths = []
        return codes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close(kill=exc[0] is not None)


# ---- GPU busy fraction ------------------------------------------------------------------------------------------
class GpuSampler:
    """Samples the GPU's utilisation (percent) in a thread; `fraction()` is the mean / 100, or "unknown"."""

    def __init__(self, index=0, period=0.2):
        self.index, self.period = index, period
        self.samples = []
        self._stop = threading.Event()
        self._read = self._pick()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _pick(self):
        try:
            import torch

            torch.cuda.utilization(self.index)
            return lambda: float(torch.cuda.utilization(self.index))
        except Exception:
            pass
        try:
            def smi():
                out = subprocess.run(["nvidia-smi", f"--id={self.index}", "--query-gpu=utilization.gpu",
                                      "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=5)
                return float(out.stdout.strip().splitlines()[0])

            smi()
            return smi
        except Exception:
            return None

    def _run(self):
        while not self._stop.is_set():
            try:
                self.samples.append(self._read())
            except Exception:
                pass
            self._stop.wait(self.period)

    def __enter__(self):
        if self._read is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def fraction(self):
        if not self.samples:
            return "unknown"
        return round(sum(self.samples) / len(self.samples) / 100.0, 3)


# ---- the measurement ------------------------------------------------------------------------------------------
POOL_BATCHES = 8


def measure(args) -> dict:
    import numpy as np

    rng = np.random.default_rng(args.seed + 1)
    b = args.batch
    pool_x = rng.standard_normal((args.ranks, POOL_BATCHES, b, args.inputs), dtype=np.float32)
    pool_y = rng.standard_normal((args.ranks, POOL_BATCHES, b, args.outputs), dtype=np.float32)
    feeder = Feeder(args.module, args.inputs, args.outputs, b, model=args.model, ranks=args.ranks,
                    slots=args.slots, device=args.device, config=json.loads(args.config), seed=args.seed,
                    threads=args.threads, optimizer={"learning_rate": args.learning_rate})
    try:
        device = feeder.init_replies[0]["device"]
        slots = args.slots
        total = b * args.ranks
        commands = [[{"op": "train", "slot": s, "rows": b, "total": total, "lr_factor": 1.0}
                     for _ in range(args.ranks)] for s in range(slots)]

        def fill(step):
            s, p = step % slots, step % POOL_BATCHES
            for r in range(args.ranks):
                feeder.rings[r].inputs[s][:b] = pool_x[r, p]
                feeder.rings[r].targets[s][:b] = pool_y[r, p]

        def run(first, until):
            """Steps from `first` until the clock passes `until` (at least 5): the next slot is filled while
            the trainers work on this one, as the server does. Returns (steps, last losses)."""
            step = first
            losses = None
            while True:
                for r, proc in enumerate(feeder.procs):
                    proc.send(commands[step % slots][r])
                fill(step + 1)
                losses = [feeder._recv(r, True)["loss"] for r in range(args.ranks)]
                step += 1
                if step - first >= 5 and time.perf_counter() >= until:
                    return step - first, losses

        fill(0)
        warm, _ = run(0, time.perf_counter() + args.warmup)
        gpu = None
        index = int(device.split(":")[1]) if device.startswith("cuda:") else 0
        sampler = GpuSampler(index) if device.startswith("cuda") else None
        start = time.perf_counter()
        if sampler is not None:
            with sampler:
                steps, losses = run(warm, start + args.seconds)
            gpu = sampler.fraction()
        else:
            steps, losses = run(warm, start + args.seconds)
        elapsed = time.perf_counter() - start
    finally:
        feeder.close()
    result = {"samples_per_second": steps * total / elapsed, "steps": steps, "ranks": args.ranks, "batch": b,
              "device": device, "loss": sum(losses)}
    if gpu is not None:
        result["gpu_busy"] = gpu
    return result


def baseline(args) -> dict:
    command = [sys.executable, "-m", "melissa_torch.bench", "--module", args.module, "--model", args.model,
               "--inputs", str(args.inputs), "--outputs", str(args.outputs), "--batch", str(args.batch),
               "--seconds", str(args.seconds), "--warmup", str(args.warmup), "--threads", str(args.threads),
               "--device", args.device, "--config", args.config, "--learning-rate", str(args.learning_rate),
               "--seed", str(args.seed)]
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_PARENT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m melissa_torch.feeder",
                                description="Feeds trainers through the shared-memory ring and prints samples/s.")
    p.add_argument("--module", required=True, help="the model's Python file")
    p.add_argument("--model", default="make_model", help="its factory make_model(inputs, outputs, config)")
    p.add_argument("--inputs", type=int, required=True)
    p.add_argument("--outputs", type=int, required=True)
    p.add_argument("--batch", type=int, required=True, help="rows per rank and step")
    p.add_argument("--seconds", type=float, default=5.0, help="timed seconds, after the warm-up")
    p.add_argument("--warmup", type=float, default=1.0, help="untimed seconds first (at least 5 steps)")
    p.add_argument("--ranks", type=int, default=1, help="trainer processes (DDP over gloo, nccl on cuda)")
    p.add_argument("--slots", type=int, default=2, help="ring slots per rank")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0, help="torch threads per trainer when > 0")
    p.add_argument("--config", default="{}", help="the config mapping as JSON")
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--baseline", action="store_true",
                   help="also run melissa_torch.bench (1 process, same model) and print the ratio")
    p.add_argument("--repeat", type=int, default=1, help="measurements (alternating with the baseline)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    args.module = os.path.abspath(args.module)
    ring_rates, base_rates = [], []
    try:
        for _ in range(max(1, args.repeat)):
            result = measure(args)
            ring_rates.append(result["samples_per_second"])
            print(json.dumps({"ring": result}), flush=True)
            if args.baseline:
                base = baseline(args)
                base_rates.append(base["samples_per_second"])
                print(json.dumps({"in_process": base}), flush=True)
    except TrainerFailed as exc:
        sys.stderr.write(f"melissa_torch.feeder: {exc}\n")
        return 1
    if args.baseline:
        ring_best, base_best = max(ring_rates), max(base_rates)
        print(json.dumps({"ring_samples_per_second": ring_best, "in_process_samples_per_second": base_best,
                          "ratio": ring_best / base_best, "batch": args.batch, "ranks": args.ranks,
                          "measurements": len(ring_rates)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
