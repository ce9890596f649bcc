#!/usr/bin/env python3
"""front-2d: a cheap 2-parameter simulation whose difficulty is local in parameter space.

The benchmark problem of active sampling (docs/active-sampling.md, "The benchmark problem").
Parameters (a, b) in [0, 1]^2; a 1-D field u of N = 200 values on x_i = i / (N - 1); T time steps
(default 16), t = s / (T - 1) for step s = 0 .. T - 1:

    u(x, t; a, b) = 1 + 0.3 b sin(pi x) + (0.6 + 0.4 a) tanh((x - x_f(t; a, b)) / w(a, b))

    x_f(t; a, b) = 0.2 + 0.1 b + (0.35 + 0.25 a) t                      the front moves right
    w(a, b)      = W / (1 + K g(a, b)),  W = 0.15, K = 30                the front's width
    g(a, b)      = exp(-((a - 0.85)^2 + (b - 0.85)^2) / (2 s^2)),  s = 0.08

Away from (0.85, 0.85) the front is a gentle tanh of width 0.15 (30 grid spacings), a smooth function of
(a, b, t). Near (0.85, 0.85) it sharpens to width 0.0048, about one grid spacing (1/199), and its width
changes thirtyfold within 0.2 of the corner point: within one parameter-space radius s of the centre
(2 % of the square) w < 0.008, within 2 s (8 %) w < 0.03; outside 3 s (beyond 0.24) w > 0.11. The field
is a closed form: deterministic (bit for bit, in any process) and costs microseconds.

    solver.py [--steps T] A B           stream T steps to melissa (launched by melissa: MELISSA_* variables)
    solver.py [--steps T] --print A B S print step S's field, one value per line (repr: exact float64)
    solver.py [--steps T] --print A B all   every step, one line each, values separated by blanks
    solver.py --self-test               check determinism, where the front is, and the cost (a few seconds)
"""
import argparse
import math
import os
import sys
import time

import numpy as np

SIZE = 200          # values per time step
STEPS = 16          # default time steps
CENTRE = (0.85, 0.85)
SIGMA = 0.08
WIDTH_SMOOTH = 0.15
SHARPENING = 30.0

X = np.linspace(0.0, 1.0, SIZE)


def hardness(a, b):
    """g(a, b): 1 at the centre of the hard region, < 0.012 beyond 3 sigma (0.24) from it."""
    return math.exp(-((a - CENTRE[0]) ** 2 + (b - CENTRE[1]) ** 2) / (2.0 * SIGMA ** 2))


def width(a, b):
    """The front's width w(a, b): 0.15 in most of the square, 0.0048 at (0.85, 0.85)."""
    return WIDTH_SMOOTH / (1.0 + SHARPENING * hardness(a, b))


def front_position(a, b, step, steps=STEPS):
    t = step / (steps - 1) if steps > 1 else 0.0
    return 0.2 + 0.1 * b + (0.35 + 0.25 * a) * t


def field(a, b, step, steps=STEPS):
    """The field at one step: a float64 array of SIZE values."""
    if not (0 <= step < steps):
        raise ValueError(f"step {step} is outside 0 .. {steps - 1}")
    a, b = float(a), float(b)
    xf = front_position(a, b, step, steps)
    return 1.0 + 0.3 * b * np.sin(np.pi * X) + (0.6 + 0.4 * a) * np.tanh((X - xf) / width(a, b))


def fields(a, b, steps=STEPS):
    """Every step: a (steps, SIZE) float64 array."""
    return np.stack([field(a, b, s, steps) for s in range(steps)])


def stream(a, b, steps):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    sys.path.insert(0, os.path.join(root, "python"))
    import melissa_client as melissa

    try:
        melissa.init("u", SIZE)
        for s in range(steps):
            melissa.send("u", field(a, b, s, steps))
        melissa.finalize()
    except melissa.MelissaError as error:
        print(f"front-2d: {error}", file=sys.stderr)
        sys.exit(3)


def self_test():
    """Determinism, the front where the docstring says, the cost. Exits 1 on failure."""
    import subprocess

    problems = []

    def check(condition, message):
        if not condition:
            problems.append(message)

    # Deterministic: twice in this process, and in another process through --print (repr round-trips).
    a, b = 0.8312, 0.8777
    first, second = fields(a, b), fields(a, b)
    check(np.array_equal(first, second), "two evaluations of the same (a, b) differ")
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--print", repr(a), repr(b), "7"],
                         check=True, capture_output=True, text=True).stdout
    printed = np.array([float(v) for v in out.split()])
    check(printed.shape == (SIZE,) and np.array_equal(printed, first[7]),
          "solver.py --print differs from the in-process field (not bit for bit)")

    # The front: steepest slope max|du/dx| (finite differences), over all steps.
    def steepness(a, b):
        u = fields(a, b)
        return float(np.abs(np.diff(u, axis=1)).max() * (SIZE - 1))

    centre = steepness(*CENTRE)
    smooth_points = [(0.1, 0.1), (0.5, 0.5), (0.2, 0.9), (0.9, 0.2), (0.55, 0.85), (0.85, 0.55), (1.0, 0.0)]
    smooth = max(steepness(p, q) for p, q in smooth_points)
    check(centre > 100, f"at (0.85, 0.85) the steepest slope is {centre:.1f}, expected > 100 (a sharp front)")
    check(smooth < 10, f"away from (0.85, 0.85) the steepest slope is {smooth:.1f}, expected < 10 (smooth)")
    check(width(*CENTRE) < 1.0 / (SIZE - 1), "the front at the centre is wider than one grid spacing")
    check(width(0.85 + 3 * SIGMA, 0.85) > 0.1 and width(0.85, 0.85 - 3 * SIGMA) > 0.1,
          "the front is not smooth 3 sigma from the centre")
    # The hard region is local: the share of a fine grid of (a, b) where w < 0.03 is about 8 %.
    grid = np.linspace(0, 1, 101)
    hard = np.mean([[width(p, q) < 0.03 for q in grid] for p in grid])
    check(0.04 < hard < 0.12, f"{hard:.1%} of the square has a sharp front (w < 0.03); expected about 8 %")
    # The front moves and stays inside the domain.
    for p, q in [(0.0, 0.0), (1.0, 1.0), CENTRE]:
        start, end = front_position(p, q, 0), front_position(p, q, STEPS - 1)
        check(0.1 < start < end < 0.95, f"front at ({p}, {q}) runs {start:.2f} -> {end:.2f}")
    # The field's norm is far from 0 (relative errors are meaningful) and finite.
    norms = [np.linalg.norm(field(p, q, s)) for p in (0, 0.5, 1) for q in (0, 0.5, 1) for s in (0, STEPS - 1)]
    check(min(norms) > 0.3 * math.sqrt(SIZE), f"a field's norm is small ({min(norms):.2f})")

    # Cost: a whole run (every step) is far under 0.2 s.
    begin = time.perf_counter()
    for _ in range(20):
        fields(0.3, 0.7)
    per_run = (time.perf_counter() - begin) / 20
    check(per_run < 0.2, f"one run takes {per_run * 1e3:.1f} ms, expected < 200 ms")

    for message in problems:
        print(f"front-2d self-test: FAIL: {message}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"front-2d self-test: ok (deterministic bit for bit; steepest slope {centre:.0f} at (0.85, 0.85), "
          f"at most {smooth:.1f} elsewhere; {hard:.1%} of the square has w < 0.03; {per_run * 1e3:.2f} ms a run)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=None,
                        help=f"time steps (default: $MELISSA_TIME_STEPS, else {STEPS})")
    parser.add_argument("--print", dest="print_step", action="store_true",
                        help="print the field of step S (or all) instead of streaming")
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("values", nargs="*", help="A B (and S with --print)")
    args = parser.parse_args()

    if args.self_test:
        self_test()
        return
    steps = args.steps if args.steps is not None else int(os.environ.get("MELISSA_TIME_STEPS", STEPS))
    if steps < 1:
        parser.error("--steps must be at least 1")
    expected = 3 if args.print_step else 2
    if len(args.values) != expected:
        parser.error(f"expected {'A B S' if args.print_step else 'A B'}, got {len(args.values)} value(s)")
    try:
        a, b = float(args.values[0]), float(args.values[1])
    except ValueError:
        parser.error(f"A and B must be numbers, got {args.values[0]!r} {args.values[1]!r}")
    if not (0.0 <= a <= 1.0 and 0.0 <= b <= 1.0):
        print(f"front-2d: warning: ({a}, {b}) is outside [0, 1]^2", file=sys.stderr)

    if args.print_step:
        if args.values[2] == "all":
            for row in fields(a, b, steps):
                print(" ".join(repr(float(v)) for v in row))
        else:
            try:
                step = int(args.values[2])
                values = field(a, b, step, steps)
            except ValueError as error:
                parser.error(f"S: {error}")
            print("\n".join(repr(float(v)) for v in values))
        return
    if "MELISSA_SIMULATION_ID" not in os.environ:
        parser.error("not launched by melissa (no MELISSA_SIMULATION_ID): use --print A B S to see a field")
    stream(a, b, steps)


if __name__ == "__main__":
    main()
