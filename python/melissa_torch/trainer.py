"""The PyTorch trainer process one melissa server rank drives (protocol v1, docs/training.md).

    <python> -m melissa_torch.trainer        # no arguments; PYTHONPATH holds melissa_torch, cwd = the study

Commands arrive on stdin, one JSON object per line; exactly one JSON reply per command goes to the ORIGINAL
stdout, in order. File descriptor 1 is redirected to stderr at start-up so that a user's print() lands in the
server's log and can never corrupt the channel. Batches live in a shared-memory ring (ring.py) mapped once at
`init`; tensors are views on it (no copy on CPU). The trainer exits 0 at EOF on stdin, 1 after a failed init,
3 when torch (or numpy) is missing, and dies with its server (PR_SET_PDEATHSIG) on Linux.
"""

import json
import os
import sys
import traceback

from melissa_torch import NUMPY_MISSING, PROTOCOL, TORCH_MISSING

STATE_FORMAT = "melissa-torch-state"
STATE_VERSION = 1


class CommandError(Exception):
    """A command the trainer refuses (bad arguments, wrong order): replied as `CommandError: message`."""


def _set_pdeathsig() -> None:
    """Asks Linux to SIGKILL this process when its parent dies (a server killed -9 leaves no trainer)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().replace("\r", " ").replace("\n", " | ")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _require(cmd: dict, key: str, kind, allow_none: bool = False):
    if key not in cmd:
        raise CommandError(f"{cmd.get('op')!r} needs the key {key!r}")
    value = cmd[key]
    if value is None and allow_none:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise CommandError(f"{cmd.get('op')!r}: {key!r} must be {name}, got {value!r}")
    return value


def load_user_module(path: str):
    """Imports the user's module from its file; its directory goes first on sys.path for its neighbours."""
    import importlib.util

    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"the model module {path} does not exist (training.pytorch.module)")
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}: not a Python module file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _hook(module, name, what: str):
    if name is None:
        return None
    fn = getattr(module, name, None)
    if fn is None or not callable(fn):
        raise AttributeError(f"{module.__file__} has no function {name!r} (training.pytorch.{what})")
    return fn


def local_rank(rank: int) -> int:
    for key in ("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"):
        value = os.environ.get(key)
        if value is not None and value.strip().isdigit():
            return int(value)
    return rank


class Trainer:
    """The state behind the commands: model, optimiser, ring views, kept weights."""

    def __init__(self, torch, np):
        self.torch = torch
        self.np = np
        self.ring = None
        self.pg = False
        self.kept = {}
        self.steps = 0

    # ---- init -------------------------------------------------------------------------------------------------
    def init(self, cmd: dict) -> dict:
        torch = self.torch
        protocol = _require(cmd, "protocol", int)
        if protocol != PROTOCOL:
            raise CommandError(f"protocol {protocol} requested, this trainer speaks protocol {PROTOCOL}")
        rank = _require(cmd, "rank", int)
        world = _require(cmd, "world_size", int)
        if world < 1 or not 0 <= rank < world:
            raise CommandError(f"rank {rank} of world_size {world}: need 0 <= rank < world_size")
        inputs = _require(cmd, "inputs", int)
        outputs = _require(cmd, "outputs", int)
        config = cmd.get("config") or {}
        if not isinstance(config, dict):
            raise CommandError(f"'config' must be a mapping, got {config!r}")
        seed = _require(cmd, "seed", int)
        threads = int(cmd.get("threads") or 0)
        self.rank, self.world, self.inputs, self.outputs = rank, world, inputs, outputs

        from melissa_torch.ring import Ring

        ring = Ring(_require(cmd, "ring", str))
        lay = ring.layout
        if (lay.inputs, lay.outputs) != (inputs, outputs):
            raise CommandError(f"the ring {ring.path} has {lay.inputs} inputs and {lay.outputs} outputs per row, "
                               f"init says {inputs} and {outputs}")
        self.ring = ring

        device_name = cmd.get("device") or "auto"
        if device_name not in ("auto", "cpu", "cuda"):
            raise CommandError(f"device {device_name!r}: expected auto, cpu or cuda")
        if device_name == "cuda" and not torch.cuda.is_available():
            raise CommandError(f"device cuda requested but torch {torch.__version__} sees no CUDA device")
        cuda = device_name == "cuda" or (device_name == "auto" and torch.cuda.is_available())
        if cuda:
            index = local_rank(rank) % torch.cuda.device_count() if world > 1 else 0
            device = torch.device("cuda", index)
            torch.cuda.set_device(device)
        else:
            device = torch.device("cpu")
        self.device = device
        self.cuda = cuda

        module = load_user_module(_require(cmd, "module", str))
        make_model = _hook(module, _require(cmd, "model", str), "model")
        make_optimizer = _hook(module, cmd.get("make_optimizer"), "make_optimizer")
        self.loss_hook = _hook(module, cmd.get("loss"), "loss")

        torch.manual_seed(seed)
        if threads > 0:
            torch.set_num_threads(threads)
        model = make_model(inputs, outputs, config)
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"{make_model.__name__}(inputs, outputs, config) returned {type(model).__name__}, "
                            "expected a torch.nn.Module")
        model = model.to(device)
        model.train()
        self.module = model
        self.net = model

        if world > 1:
            rendezvous = cmd.get("rendezvous")
            if not isinstance(rendezvous, str) or not rendezvous:
                raise CommandError(f"world_size {world} needs a rendezvous address (tcp://HOST:PORT)")
            import torch.distributed as dist
            from torch.nn.parallel import DistributedDataParallel

            dist.init_process_group("nccl" if cuda else "gloo", init_method=rendezvous, rank=rank,
                                    world_size=world)
            self.pg = True
            self.net = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)

        if make_optimizer is not None:
            opt = make_optimizer(model, config)
            if not isinstance(opt, torch.optim.Optimizer):
                raise TypeError(f"{make_optimizer.__name__}(model, config) returned {type(opt).__name__}, "
                                "expected a torch.optim.Optimizer")
        else:
            opt = self._default_optimizer(model, cmd.get("optimizer") or {})
        self.opt = opt
        self.initial_lrs = [float(g["lr"]) for g in opt.param_groups]
        self.lr_factor = 1.0

        # Tensors on the ring, made once per slot; on CUDA, device buffers the rows are copied into.
        self.x = [torch.from_numpy(a) for a in ring.inputs]
        self.y = [torch.from_numpy(a) for a in ring.targets]
        self.l = [torch.from_numpy(a) for a in ring.losses]
        if cuda:
            m = lay.max_rows
            self.dx = torch.empty((m, inputs), dtype=torch.float32, device=device)
            self.dy = torch.empty((m, outputs), dtype=torch.float32, device=device)
        count = sum(p.numel() for p in model.parameters() if p.requires_grad)
        return {"ok": True, "device": str(device), "parameters": count, "torch": torch.__version__}

    def _default_optimizer(self, model, spec: dict):
        torch = self.torch
        method = spec.get("method", "adam")
        lr = float(spec.get("learning_rate", 1e-3))
        wd = float(spec.get("weight_decay", 0.0) or 0.0)
        params = [p for p in model.parameters() if p.requires_grad]
        if method == "adam":
            betas = (float(spec.get("beta1", 0.9)), float(spec.get("beta2", 0.999)))
            # The native trainer's Adam decays the weights decoupled (AdamW) when weight_decay > 0: the same here.
            adam = torch.optim.AdamW if wd > 0 else torch.optim.Adam
            return adam(params, lr=lr, betas=betas, eps=float(spec.get("epsilon", 1e-8)), weight_decay=wd)
        if method == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=float(spec.get("momentum", 0.0) or 0.0), weight_decay=wd)
        raise CommandError(f"optimizer method {method!r}: expected adam or sgd (or a make_optimizer hook)")

    # ---- train / predict --------------------------------------------------------------------------------------
    def _rows(self, cmd: dict):
        k = cmd.get("slot")
        n = cmd.get("rows")
        self.ring.check_slot(k, n)
        return k, n

    def train(self, cmd: dict) -> dict:
        torch = self.torch
        k, n = self._rows(cmd)
        total = cmd.get("total")
        if not isinstance(total, int) or total < max(n, 1):
            raise CommandError(f"train: total {total!r} must be the global batch, at least rows ({n}) and 1")
        f = cmd.get("lr_factor", 1.0)
        if f != self.lr_factor:
            f = float(f)
            for group, lr0 in zip(self.opt.param_groups, self.initial_lrs):
                group["lr"] = lr0 * f
            self.lr_factor = f
        if self.cuda:
            x = self.dx[:n]
            x.copy_(self.x[k][:n])
            y = self.dy[:n]
            y.copy_(self.y[k][:n])
        else:
            x = self.x[k][:n]
            y = self.y[k][:n]
        opt = self.opt
        opt.zero_grad(set_to_none=True)
        pred = self.net(x)
        if pred.dim() != 2 or pred.shape[1] != self.outputs:
            pred = pred.reshape(n, self.outputs)
        if self.loss_hook is None:
            # One fused kernel forward and backward (as the in-process baseline's mse_loss); the rows' losses come
            # from the same prediction below, outside the graph.
            local = torch.nn.functional.mse_loss(pred, y, reduction="sum")
            scale = 1.0 / (total * self.outputs)
            loss = local * (scale * self.world)
        elif n == 0:
            local = pred.sum() * 0.0
            scale = 0.0
            loss = local
        else:
            local = self.loss_hook(pred, y)
            scale = n / total
            loss = local * (scale * self.world)
        loss.backward()
        with torch.no_grad():
            if n:
                per_row = torch.sub(pred.detach(), y).square_().mean(dim=1)
                self.l[k][:n].copy_(per_row)
        value = float(local.detach()) * scale
        opt.step()
        self.steps += 1
        return {"ok": True, "loss": value}

    def predict(self, cmd: dict) -> dict:
        torch = self.torch
        k, n = self._rows(cmd)
        model = self.module
        model.eval()
        try:
            with torch.no_grad():
                if self.cuda:
                    x = self.dx[:n]
                    x.copy_(self.x[k][:n])
                else:
                    x = self.x[k][:n]
                pred = model(x)
                self.y[k][:n].copy_(pred.reshape(n, self.outputs))
        finally:
            model.train()
        return {"ok": True}

    # ---- state ------------------------------------------------------------------------------------------------
    def save(self, cmd: dict) -> dict:
        path = _require(cmd, "path", str)
        state = {"format": STATE_FORMAT, "version": STATE_VERSION, "model": self.module.state_dict(),
                 "optimizer": self.opt.state_dict(), "initial_lrs": list(self.initial_lrs), "steps": self.steps}
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            self.torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_directory(path)
        return {"ok": True, "bytes": os.path.getsize(path)}

    def load(self, cmd: dict) -> dict:
        path = _require(cmd, "path", str)
        state = self.torch.load(path, map_location=self.device, weights_only=True)
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise CommandError(f"{path} is not a melissa-torch state file (from the trainer's save)")
        if state.get("version") != STATE_VERSION:
            raise CommandError(f"{path}: state version {state.get('version')!r}, this trainer reads {STATE_VERSION}")
        self.module.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        lrs = state.get("initial_lrs")
        if isinstance(lrs, list) and len(lrs) == len(self.opt.param_groups):
            self.initial_lrs = [float(v) for v in lrs]
        self.lr_factor = None  # the next train sets every group's lr from initial_lrs × its factor
        self.steps = int(state.get("steps", 0))
        return {"ok": True}

    def keep(self, cmd: dict) -> dict:
        name = _require(cmd, "name", str)
        self.kept[name] = {key: value.detach().to("cpu", copy=True) for key, value in self.module.state_dict().items()}
        return {"ok": True}

    def use(self, cmd: dict) -> dict:
        name = _require(cmd, "name", str)
        if name not in self.kept:
            known = ", ".join(sorted(self.kept)) or "none"
            raise CommandError(f"no weights kept under {name!r} (kept: {known})")
        self.module.load_state_dict(self.kept[name])
        return {"ok": True}

    def export(self, cmd: dict) -> dict:
        from melissa_torch.export import export_model

        path = _require(cmd, "path", str)
        stats = {}
        for key, size in (("input_mean", self.inputs), ("input_std", self.inputs), ("output_mean", self.outputs),
                          ("output_std", self.outputs)):
            values = _require(cmd, key, list)
            if len(values) != size:
                raise CommandError(f"export: {key} has {len(values)} values, expected {size}")
            stats[key] = values
        method = export_model(self.torch, self.module, self.inputs, self.outputs, stats, path, cmd.get("metadata"))
        return {"ok": True, "method": method}

    def quit(self) -> None:
        if self.pg:
            try:
                self.torch.distributed.destroy_process_group()
            except Exception:
                pass
            self.pg = False


def _fsync_directory(path: str) -> None:
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _import_torch():
    """(torch, numpy), or the reply for a missing one."""
    try:
        import numpy as np
    except ImportError:
        return None, {"ok": False, "error": NUMPY_MISSING.format(python=sys.executable), "missing": "numpy"}
    try:
        import torch
    except ImportError:
        return None, {"ok": False, "error": TORCH_MISSING.format(python=sys.executable), "missing": "torch"}
    return (torch, np), None


def main() -> int:
    # The channel first: replies go to the original stdout; fd 1 (and print) go to stderr from here on.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _set_pdeathsig()
    commands = sys.stdin.buffer

    def reply(obj) -> None:
        replies.write(json.dumps(obj) + "\n")
        replies.flush()

    def fail(exc: BaseException, op) -> None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(f"melissa_torch.trainer: {op or 'command'} failed:\n{text}")
        sys.stderr.flush()
        reply({"ok": False, "error": _one_line(exc), "traceback": text})

    trainer = None
    while True:
        line = commands.readline()
        if not line:
            if trainer is not None:
                trainer.quit()
            return 0
        if not line.strip():
            continue
        op = None
        try:
            cmd = json.loads(line)
            if not isinstance(cmd, dict):
                raise CommandError(f"a command is a JSON object, got {line.strip()[:80]!r}")
            op = cmd.get("op")
            if op == "init":
                if trainer is not None:
                    raise CommandError("init was already done")
                modules, missing = _import_torch()
                if missing is not None:
                    sys.stderr.write(f"melissa_torch.trainer: {missing['error']}\n")
                    sys.stderr.flush()
                    reply(missing)
                    return 3
                candidate = Trainer(*modules)
                try:
                    answer = candidate.init(cmd)
                except BaseException as exc:
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    fail(exc, op)
                    candidate.quit()
                    return 1
                trainer = candidate
                reply(answer)
                continue
            if op == "quit":
                reply({"ok": True})
                if trainer is not None:
                    trainer.quit()
                return 0
            if trainer is None:
                raise CommandError(f"{op!r} before init")
            handler = _HANDLERS.get(op)
            if handler is None:
                raise CommandError(f"unknown op {op!r}: expected one of init, {', '.join(_HANDLERS)}, quit")
            reply(handler(trainer, cmd))
        except Exception as exc:
            fail(exc, op)


_HANDLERS = {
    "train": Trainer.train,
    "predict": Trainer.predict,
    "save": Trainer.save,
    "load": Trainer.load,
    "keep": Trainer.keep,
    "use": Trainer.use,
    "export": Trainer.export,
}


if __name__ == "__main__":
    sys.exit(main())
