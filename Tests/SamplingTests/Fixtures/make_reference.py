#!/usr/bin/env python3
"""Writes the scipy reference points the Sampling tests compare against (run from this directory).

Made with scipy 1.17.1 / numpy 2.4.6:
  sobol_d21_n256.csv        scipy.stats.qmc.Sobol(21, scramble=False).random(256)
  sobol_d5_n1024.csv        scipy.stats.qmc.Sobol(5, scramble=False).random(1024)
  sobol_d1111_n128_tail.csv scipy.stats.qmc.Sobol(1111, scramble=False).random(128), columns 1091..1110 only
  halton_d10_n256.csv       scipy.stats.qmc.Halton(10, scramble=False).random(256)
  halton_d3_n8200_tail.csv  scipy.stats.qmc.Halton(3, scramble=False).random(8200), rows 8000..8199 only
  normal_ppf.csv            p, scipy.stats.norm.ppf(p) for the listed p
Each CSV has one point per row, floats written with repr (shortest round-trip form), no header.
"""
import numpy as np
import scipy
from scipy.stats import norm, qmc


def write(name, rows):
    with open(name, "w") as f:
        for row in rows:
            f.write(",".join(repr(float(x)) for x in row) + "\n")


write("sobol_d21_n256.csv", qmc.Sobol(21, scramble=False).random(256))
write("sobol_d5_n1024.csv", qmc.Sobol(5, scramble=False).random(1024))
write("sobol_d1111_n128_tail.csv", qmc.Sobol(1111, scramble=False).random(128)[:, 1091:])
write("halton_d10_n256.csv", qmc.Halton(10, scramble=False).random(256))
write("halton_d3_n8200_tail.csv", qmc.Halton(3, scramble=False).random(8200)[8000:])
ps = [1e-300, 1e-100, 1e-20, 1e-12, 1e-9, 1e-5, 0.001, 0.02, 0.02425, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9,
      0.97575, 0.99, 0.999, 1 - 1e-9, 1 - 1e-12]
write("normal_ppf.csv", [(p, norm.ppf(p)) for p in ps])
print("scipy", scipy.__version__, "numpy", np.__version__)
