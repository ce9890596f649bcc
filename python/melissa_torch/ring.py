"""The shared-memory ring of batch slots between a server rank and its trainer (protocol v1).

All little-endian. Header (64 bytes at offset 0):
  0  magic b"MLSRING1"   8 u32 version=1   12 u32 S slots   16 u32 M max rows per slot
  20 u32 I inputs        24 u32 O outputs  28 u32 0         32 u64 slot stride   40 u64 offset of slot 0 (4096)
  48 16 zero bytes
Slot k at offset0 + k*stride: inputs float32 [M][I] at +0, targets float32 [M][O] at +A, losses float32 [M]
at +A+B, with A = align64(4*M*I), B = align64(4*M*O), stride = align4096(A + B + align64(4*M)).

This module is the one place that knows these offsets: `layout` computes them, `create` writes a ring (the
Python feeder and the tests; the Swift server writes the same bytes), `Ring` maps one and hands out numpy views.
Needs numpy only.
"""

import mmap
import os
import struct
from typing import NamedTuple

MAGIC = b"MLSRING1"
VERSION = 1
HEADER = struct.Struct("<8sIIIIIIQQ16s")  # 64 bytes
OFFSET0 = 4096


def align(value: int, to: int) -> int:
    """`value` rounded up to a multiple of `to`."""
    return (value + to - 1) // to * to


class Layout(NamedTuple):
    slots: int
    max_rows: int
    inputs: int
    outputs: int
    targets_offset: int  # A, from the slot's start
    losses_offset: int  # A + B
    stride: int
    offset0: int

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self.offset0 + self.slots * self.stride

    def slot_offset(self, k: int) -> int:
        return self.offset0 + k * self.stride


def layout(slots: int, max_rows: int, inputs: int, outputs: int) -> Layout:
    """The offsets of a ring of `slots` slots of `max_rows` rows of `inputs` inputs and `outputs` outputs."""
    for name, value in (("slots", slots), ("max_rows", max_rows), ("inputs", inputs), ("outputs", outputs)):
        if not isinstance(value, int) or value < 1 or value >= 2**32:
            raise ValueError(f"ring: {name} must be an integer in [1, 2^32), got {value!r}")
    a = align(4 * max_rows * inputs, 64)
    b = align(4 * max_rows * outputs, 64)
    stride = align(a + b + align(4 * max_rows, 64), 4096)
    return Layout(slots, max_rows, inputs, outputs, a, a + b, stride, OFFSET0)


def encode_header(lay: Layout) -> bytes:
    return HEADER.pack(MAGIC, VERSION, lay.slots, lay.max_rows, lay.inputs, lay.outputs, 0, lay.stride,
                       lay.offset0, bytes(16))


def decode_header(data: bytes, path: str = "ring") -> Layout:
    """The layout a header describes, checked against the layout its sizes imply."""
    if len(data) < HEADER.size:
        raise ValueError(f"{path}: {len(data)} bytes, shorter than the 64-byte ring header")
    magic, version, s, m, i, o, _, stride, offset0, _ = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"{path}: not a melissa ring (magic {magic!r}, expected {MAGIC!r})")
    if version != VERSION:
        raise ValueError(f"{path}: ring version {version}, this trainer reads version {VERSION}")
    lay = layout(s, m, i, o)
    if stride != lay.stride or offset0 != lay.offset0:
        raise ValueError(f"{path}: slot stride {stride} / offset {offset0} do not match the layout of "
                         f"{s} slots × {m} rows × ({i} inputs, {o} outputs): expected {lay.stride} / {lay.offset0}")
    return lay


def create(path: str, slots: int, max_rows: int, inputs: int, outputs: int) -> Layout:
    """Writes an empty ring file at `path` (zeroed slots) and returns its layout."""
    lay = layout(slots, max_rows, inputs, outputs)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.truncate(lay.size)
        f.write(encode_header(lay))
    os.replace(tmp, path)
    return lay


def default_directory() -> str:
    """/dev/shm when it exists, else the current directory (the protocol's choice)."""
    return "/dev/shm" if os.path.isdir("/dev/shm") else os.getcwd()


class Ring:
    """A mapped ring (read/write) with numpy views on every slot, made once.

    `inputs[k]` (M, I), `targets[k]` (M, O), `losses[k]` (M,) are float32 numpy arrays on the mapping itself:
    writing into them writes the shared memory. Slice rows per command (`ring.inputs[k][:n]`).
    """

    def __init__(self, path: str):
        import numpy as np

        self.path = path
        with open(path, "r+b") as f:
            head = f.read(HEADER.size)
            self.layout = decode_header(head, path)
            size = os.fstat(f.fileno()).st_size
            if size < self.layout.size:
                raise ValueError(f"{path}: {size} bytes, the layout in its header needs {self.layout.size}")
            self._mm = mmap.mmap(f.fileno(), self.layout.size, access=mmap.ACCESS_WRITE)
        lay = self.layout
        m, i, o = lay.max_rows, lay.inputs, lay.outputs
        self.inputs, self.targets, self.losses = [], [], []
        for k in range(lay.slots):
            base = lay.slot_offset(k)
            self.inputs.append(np.frombuffer(self._mm, np.float32, m * i, base).reshape(m, i))
            self.targets.append(np.frombuffer(self._mm, np.float32, m * o, base + lay.targets_offset).reshape(m, o))
            self.losses.append(np.frombuffer(self._mm, np.float32, m, base + lay.losses_offset))

    def check_slot(self, k, n) -> None:
        """Raises ValueError unless slot k exists and n rows fit in it."""
        if not isinstance(k, int) or not 0 <= k < self.layout.slots:
            raise ValueError(f"slot {k!r} out of range: the ring has {self.layout.slots} slots")
        if not isinstance(n, int) or not 0 <= n <= self.layout.max_rows:
            raise ValueError(f"rows {n!r} out of range: a slot holds 0..{self.layout.max_rows} rows")

    def close(self) -> None:
        """Drops the views and unmaps (views handed out elsewhere must be gone first)."""
        self.inputs = self.targets = self.losses = []
        try:
            self._mm.close()
        except BufferError:
            pass  # a view still exported somewhere: the mapping goes with the process
