"""Prediction from an exported model (protocol v1): `python -m melissa_torch.predict MODEL.pt`.

Loads the TorchScript file on CPU, then answers requests on stdin until EOF: a line `{"rows": n}` followed by
n·I float32 little-endian values (raw bytes) gets n·O float32 little-endian values on stdout. I and O come from
the file's normalisation buffers. Errors: one line on stderr, exit 1; torch missing: the clear message, exit 3.
"""

import json
import os
import sys

from melissa_torch import NUMPY_MISSING, TORCH_MISSING


def _read_exact(stream, count: int) -> bytes:
    chunks, left = [], count
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError(f"stdin ended after {count - left} of the {count} bytes of a request")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = os.fdopen(os.dup(1), "wb")  # the answers; a model's print goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if len(argv) != 1 or argv[0].startswith("-"):
        sys.stderr.write("usage: python -m melissa_torch.predict MODEL.pt  (requests on stdin, docs/training.md)\n")
        return 1
    try:
        import numpy as np
    except ImportError:
        sys.stderr.write(NUMPY_MISSING.format(python=sys.executable) + "\n")
        return 3
    try:
        import torch
    except ImportError:
        sys.stderr.write(TORCH_MISSING.format(python=sys.executable) + "\n")
        return 3
    path = argv[0]
    try:
        model = torch.jit.load(path, map_location="cpu")
        model.eval()
        inputs = int(model.in_mean.numel())
        outputs = int(model.out_mean.numel())
    except Exception as exc:
        sys.stderr.write(f"melissa_torch.predict: cannot load {path} as an exported melissa model: "
                         f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}\n")
        return 1
    stdin = sys.stdin.buffer
    try:
        while True:
            line = stdin.readline()
            if not line:
                return 0
            if not line.strip():
                continue
            request = json.loads(line)
            n = request.get("rows") if isinstance(request, dict) else None
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise ValueError(f'a request is {{"rows": n}} with n >= 0, got {line.strip()[:80]!r}')
            x = np.frombuffer(_read_exact(stdin, 4 * n * inputs), dtype="<f4").reshape(n, inputs)
            if n:
                with torch.no_grad():
                    y = model(torch.from_numpy(x.astype(np.float32)))
                data = y.detach().to(torch.float32).reshape(n, outputs).numpy().astype("<f4", copy=False).tobytes()
                out.write(data)
            out.flush()
    except Exception as exc:
        sys.stderr.write(f"melissa_torch.predict: {type(exc).__name__}: "
                         f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
