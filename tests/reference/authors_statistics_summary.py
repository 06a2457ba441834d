#!/usr/bin/env python3
"""An independent reading of the authors' ImageNet statistics files (../shared/fixtures/authors-imagenet-stats),
for the C# import test: per file, the entry count, the first and last three values of mean and std, and their
sums in float64. Writes tests/fixtures/authors-statistics-summary.json (Debian's python3-torch).

Run from the repository root:  /usr/bin/python3 tests/reference/authors_statistics_summary.py
"""
import glob, json, os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "authors-imagenet-stats")
OUTPUT = os.path.join(ROOT, "tests", "fixtures", "authors-statistics-summary.json")


def main():
    summary = {}
    for path in sorted(glob.glob(os.path.join(FOLDER, "*.pth"))):
        content = torch.load(path, map_location="cpu")
        mean, std = content["mean"].double(), content["std"].double()
        summary[os.path.basename(path)] = {
            "entries": int(mean.numel()),
            "mean_head": mean[:3].tolist(), "mean_tail": mean[-3:].tolist(), "mean_sum": float(mean.sum()),
            "std_head": std[:3].tolist(), "std_tail": std[-3:].tolist(), "std_sum": float(std.sum()),
            "std_zero": int((std <= 1e-14).sum()),
        }
    with open(OUTPUT, "w") as f:
        json.dump(summary, f, indent=1)
    for name, entry in summary.items():
        print(name, entry["entries"], "zero std:", entry["std_zero"])


if __name__ == "__main__":
    main()
