import os
import struct
import unittest

import numpy as np

from melissa_torch import ring
from melissa_torch.tests.support import temporary_directory


class RingLayoutTests(unittest.TestCase):
    def test_offsets_follow_the_protocol(self):
        lay = ring.layout(3, 10, 6, 10000)
        a = ring.align(4 * 10 * 6, 64)
        b = ring.align(4 * 10 * 10000, 64)
        self.assertEqual((lay.targets_offset, lay.losses_offset), (a, a + b))
        self.assertEqual(lay.stride, ring.align(a + b + ring.align(40, 64), 4096))
        self.assertEqual(lay.stride % 4096, 0)
        self.assertEqual(lay.offset0, 4096)
        self.assertEqual(lay.size, 4096 + 3 * lay.stride)

    def test_create_writes_the_header_and_views_share_the_file(self):
        with temporary_directory() as d:
            path = os.path.join(d, "ring")
            lay = ring.create(path, 2, 4, 3, 5)
            with open(path, "rb") as f:
                head = f.read(64)
            self.assertEqual(head[:8], b"MLSRING1")
            self.assertEqual(struct.unpack_from("<IIIIII", head, 8), (1, 2, 4, 3, 5, 0))
            self.assertEqual(struct.unpack_from("<QQ", head, 32), (lay.stride, 4096))
            self.assertEqual(head[48:], bytes(16))
            self.assertEqual(os.path.getsize(path), lay.size)
            r = ring.Ring(path)
            r.targets[1][2] = np.arange(5, dtype=np.float32)
            r.losses[1][3] = 7.5
            r.close()
            with open(path, "rb") as f:
                data = f.read()
            start = 4096 + lay.stride + lay.targets_offset + 2 * 5 * 4
            self.assertEqual(np.frombuffer(data, np.float32, 5, start).tolist(), [0, 1, 2, 3, 4])
            self.assertEqual(np.frombuffer(data, np.float32, 1, 4096 + lay.stride + lay.losses_offset + 12)[0], 7.5)

    def test_a_file_that_is_not_a_ring_is_refused(self):
        with temporary_directory() as d:
            path = os.path.join(d, "junk")
            with open(path, "wb") as f:
                f.write(b"NOTARING" + bytes(8192))
            with self.assertRaisesRegex(ValueError, "not a melissa ring"):
                ring.Ring(path)

    def test_a_stride_that_disagrees_with_the_sizes_is_refused(self):
        with temporary_directory() as d:
            path = os.path.join(d, "ring")
            lay = ring.create(path, 1, 4, 3, 5)
            with open(path, "r+b") as f:
                f.seek(32)
                f.write(struct.pack("<Q", lay.stride + 4096))
            with self.assertRaisesRegex(ValueError, "do not match"):
                ring.Ring(path)

    def test_slot_and_rows_are_checked(self):
        with temporary_directory() as d:
            path = os.path.join(d, "ring")
            ring.create(path, 2, 4, 3, 5)
            r = ring.Ring(path)
            with self.assertRaisesRegex(ValueError, "slot 2 out of range"):
                r.check_slot(2, 1)
            with self.assertRaisesRegex(ValueError, "rows 5 out of range"):
                r.check_slot(0, 5)
            r.close()


if __name__ == "__main__":
    unittest.main()
