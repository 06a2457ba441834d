#!/usr/bin/env python3
"""The PyTorch anchor of the benchmark: what a PyTorch user would run instead, on the same weights and images.
Filter-wise saliency profiles with the authors' semantics (one image at a time, eval mode, cross-entropy
against the true label, backward, mean over (in, kh, kw) of |grad| for every 4-D parameter), timed after one
warm-up image. Prints one JSON line: {"seconds_per_image": ..., "images": ..., "torch": ...}.

Usage: /usr/bin/python3 pytorch_anchor.py ARCH WEIGHTS.pth IMAGES.pth THREADS
"""
import json, sys, time

import torch
import torchvision


def profile(model, image, label):
    model.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(image[None]), label[None])
    loss.backward()
    return torch.cat([p.grad.abs().mean(dim=(1, 2, 3)) for p in model.parameters() if p.dim() == 4 and p.grad is not None])


def main():
    arch, weights, images_path, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(threads)
    model = getattr(torchvision.models, arch)()
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()
    data = torch.load(images_path, map_location="cpu")
    images, labels = data["images"], data["labels"]
    profile(model, images[0], labels[0])  # warm-up
    start = time.perf_counter()
    for i in range(images.shape[0]):
        profile(model, images[i], labels[i])
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds_per_image": seconds / images.shape[0], "images": int(images.shape[0]), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
