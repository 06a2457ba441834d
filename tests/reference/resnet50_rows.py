#!/usr/bin/env python3
"""torchvision's ResNet-50 at 224x224 through our CLI, against a float64 PyTorch recomputation (issue 36).

  prepare OUT    writes OUT/resnet50.pth (torch.save of the state_dict: resnet50 with 4 classes, random weights from
                 seed 0, BatchNorm statistics from three batches of 4 random images in train mode) and OUT/folder/
                 (12 random 224x224 RGB PNGs in 4 class folders)
  compare OUT PROFILES
                 reads PROFILES (written by `saliency profile --model OUT/resnet50.pth --arch resnet50
                 --dataset folder:OUT/folder --normalize imagenet --indices ... --out PROFILES`), recomputes each
                 image's filter-wise profile in float64 from the same inputs, and prints per image the row's
                 relative L1 error and its largest entry's error as a share of the row's largest entry

Run from the repository root with Debian's python: /usr/bin/python3 tests/reference/resnet50_rows.py prepare OUT
"""
import os, sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import filter_profile, random_image_folder, read_safetensors  # noqa: E402


def build():
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=4)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, 224, 224))
    return model.eval()


def prepare(out):
    os.makedirs(out, exist_ok=True)
    torch.save(build().state_dict(), os.path.join(out, "resnet50.pth"))
    random_image_folder(os.path.join(out, "folder"), 12, 224, seed=1)


def compare(out, profiles_path):
    ours, _ = read_safetensors(profiles_path)
    model = build().double()
    inputs, labels, rows = ours["inputs"].double(), ours["labels"], ours["profiles"].double()
    worst = 0.0
    for i in range(rows.shape[0]):
        exact = filter_profile(model, inputs[i], int(labels[i]))
        with torch.no_grad():
            loss = float(torch.nn.functional.cross_entropy(model(inputs[i:i + 1]), labels[i:i + 1]))
        l1 = float((rows[i] - exact).abs().sum() / exact.abs().sum())
        largest = float((rows[i] - exact).abs().max() / exact.abs().max())
        worst = max(worst, l1, largest)
        print(f"row {i}: label {int(labels[i])}, loss {loss:.3g}, relative L1 {l1:.2e}, largest entry {largest:.2e} ({rows.shape[1]} filters)")
    print(f"worst {worst:.2e}")


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        compare(sys.argv[2], sys.argv[3])
