#!/usr/bin/env python3
"""PyTorch reference profiles of the first 1,024 Fashion-MNIST test images for the committed default model.

Writes FOLDER/first-images.safetensors:
  float64  filter-wise profiles s (mean over (in, kh, kw) of |dL/dW|, every 4-D weight in named_parameters
           order), model and images in float64, one image at a time in eval mode: the reference.
  float32  the same in float32, one image at a time: what PyTorch's own float32 gives, to see which rows
           are float32-chaotic in PyTorch too.
  labels   the true labels used.

Usage: /usr/bin/python3 tests/reference/first_images_reference.py FOLDER  (the tests run it through PythonReference)
"""
import copy, gzip, hashlib, os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import CifarResNet18, MODEL, ROOT, filter_profile, read_safetensors, write_safetensors  # noqa: E402

COUNT = 1024


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    tensors, metadata = read_safetensors(MODEL)
    model = CifarResNet18(int(metadata["in_channels"]), int(metadata["width"]), int(metadata["num_classes"]))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    with gzip.open(os.path.join(ROOT, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")) as f:
        pixels = f.read()[16:16 + COUNT * 784]
    with gzip.open(os.path.join(ROOT, "data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz")) as f:
        labels = list(f.read()[8:8 + COUNT])
    images = torch.tensor(list(pixels), dtype=torch.float32).reshape(COUNT, 1, 28, 28) / 255.0
    images = (images - float(metadata["mean"])) / float(metadata["std"])
    exact = copy.deepcopy(model).double()
    float64 = torch.stack([filter_profile(exact, images[i].double(), labels[i]) for i in range(COUNT)])
    float32 = torch.stack([filter_profile(model, images[i], labels[i]) for i in range(COUNT)])
    with open(MODEL, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    write_safetensors(os.path.join(folder, "first-images.safetensors"),
                      {"float64": float64.double(), "float32": float32.float(), "labels": torch.tensor(labels, dtype=torch.int64)},
                      {"model_sha256": sha, "images": f"fashion-mnist:test[0:{COUNT}]", "torch": torch.__version__})
    print(f"wrote first-images.safetensors ({COUNT} images)")


if __name__ == "__main__":
    main()
