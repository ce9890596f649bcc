"""The baseline the bridge is measured against: the same model and optimiser trained from tensors already in
the process (pre-generated, normalised random), no ring, no pipe.

    python -m melissa_torch.bench --module M --model make_model --inputs I --outputs O --batch B --seconds S
                                  [--threads T] [--device cpu|cuda|auto] [--config JSON] [--seed N]

Prints one JSON line: {"samples_per_second": x, "steps": n}.
"""

import argparse
import json
import sys
import time

from melissa_torch import TORCH_MISSING

POOL_BATCHES = 8  # distinct batches cycled through, as the feeder does


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m melissa_torch.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--module", required=True, help="the model's Python file")
    p.add_argument("--model", default="make_model", help="its factory make_model(inputs, outputs, config)")
    p.add_argument("--inputs", type=int, required=True)
    p.add_argument("--outputs", type=int, required=True)
    p.add_argument("--batch", type=int, required=True, help="rows per step")
    p.add_argument("--seconds", type=float, default=5.0, help="timed seconds, after the warm-up")
    p.add_argument("--warmup", type=float, default=1.0, help="untimed seconds first (at least 5 steps)")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads when > 0")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    p.add_argument("--config", default="{}", help="the config mapping as JSON")
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        import torch
    except ImportError:
        sys.stderr.write(TORCH_MISSING.format(python=sys.executable) + "\n")
        return 3
    from melissa_torch.trainer import load_user_module

    config = json.loads(args.config)
    config.setdefault("batch_size", args.batch)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    torch.manual_seed(args.seed)
    module = load_user_module(args.module)
    model = getattr(module, args.model)(args.inputs, args.outputs, config).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    generator = torch.Generator().manual_seed(args.seed + 1)
    xs = torch.randn((POOL_BATCHES, args.batch, args.inputs), generator=generator).to(device)
    ys = torch.randn((POOL_BATCHES, args.batch, args.outputs), generator=generator).to(device)
    n, outputs = args.batch, args.outputs
    mse = torch.nn.functional.mse_loss

    def step(i):
        opt.zero_grad(set_to_none=True)
        pred = model(xs[i % POOL_BATCHES]).reshape(n, outputs)
        loss = mse(pred, ys[i % POOL_BATCHES])
        loss.backward()
        opt.step()
        return loss

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    i = 0
    end = time.perf_counter() + args.warmup
    while i < 5 or time.perf_counter() < end:
        step(i)
        i += 1
    sync()
    steps = 0
    start = time.perf_counter()
    end = start + args.seconds
    while True:
        step(i + steps)
        steps += 1
        if time.perf_counter() >= end:
            break
    sync()
    elapsed = time.perf_counter() - start
    print(json.dumps({"samples_per_second": steps * n / elapsed, "steps": steps}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
