"""SSIM of fixed arrays by scikit-image, the reference of the trust tests' StructuralSimilarity (SPEC §9).

Writes JSON to stdout: for each case the two maps (row-major), their size, skimage's structural_similarity with
data_range 1 on the maps as they are ("raw", values already in [0, 1]), and on each map min-max scaled to [0, 1]
("normalised", as the trust tests compare heatmaps). Run by Debian's python3 with python3-skimage.
"""
import json
import sys

import numpy as np
from skimage.metrics import structural_similarity


def scaled(m):
    low, high = m.min(), m.max()
    return (m - low) / (high - low) if high > low else np.zeros_like(m)


def main():
    rng = np.random.RandomState(0)
    cases = []
    for h, w, kind in [(7, 7, "noise"), (12, 9, "noise"), (28, 28, "noise"), (28, 28, "related"), (16, 20, "blob")]:
        a = rng.rand(h, w)
        if kind == "related":
            b = np.clip(a + 0.1 * rng.randn(h, w), 0, 1)
        elif kind == "blob":
            y, x = np.mgrid[0:h, 0:w]
            a = np.exp(-((y - 5.0) ** 2 + (x - 7.0) ** 2) / 8.0)
            b = np.exp(-((y - 6.0) ** 2 + (x - 9.0) ** 2) / 10.0) * 3.0 - 1.0
        else:
            b = rng.rand(h, w)
        cases.append({
            "height": h, "width": w,
            "first": a.ravel().tolist(), "second": b.ravel().tolist(),
            "raw": float(structural_similarity(a, b, data_range=1.0)) if kind != "blob" else None,
            "normalised": float(structural_similarity(scaled(a), scaled(b), data_range=1.0)),
        })
    json.dump(cases, sys.stdout)


if __name__ == "__main__":
    main()
