#!/usr/bin/env python3
"""The PyTorch side of the benchmark: what a PyTorch user would run instead, on the same weights and images.

Unit-wise saliency profiles s(x, y) (mean over (in, kh, kw) of |dL/dW| for every 4-D parameter and over the row
for every 2-D one but the classifier: filters for a ResNet, neurons for a ViT; eval mode, cross-entropy against the
true label), computed three ways, plus the training-step ceiling:
  loop        the authors' semantics: one image at a time, loss.backward()
  vmap8/32    functorch.vmap(grad(loss)) over 8 or 32 images per call (per-sample gradients of a batch)
  train       forward + backward of the mean batch loss (not a profile: the ceiling any engine works under)
Each is timed REPEATS times after a warm-up call; prints one JSON line of the median images per second.

Usage: /usr/bin/python3 pytorch_engines.py ARCH WEIGHTS.pth IMAGES.pth THREADS MODES REPEATS
  ARCH: a torchvision.models name (resnet18, resnet50, ...), cifar-resnet18-w16 (the default model's
  architecture, from tests/reference/pytorch_reference.py) or vit-tiny (torchvision's VisionTransformer at the size of
  the second embedded model, with a 1-channel patch embedding); IMAGES.pth holds {"images", "labels"};
  MODES: comma-separated subset of loop,vmap8,vmap32,train.
"""
import json, sys, time

import torch
import torchvision


def build(arch, classes):
    if arch == "cifar-resnet18-w16":
        from pytorch_reference import CifarResNet18  # copied beside this script by the build
        return CifarResNet18(in_channels=1, width=16, num_classes=classes)
    if arch == "vit-tiny":
        model = torchvision.models.VisionTransformer(image_size=28, patch_size=4, num_layers=6, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=classes)
        model.conv_proj = torch.nn.Conv2d(1, 64, kernel_size=4, stride=4)
        return model
    return getattr(torchvision.models, arch)(num_classes=classes)


def filter_means(gradients, batched):
    """Filters of every 4-D gradient and rows of every 2-D one but the last (the classifier): SPEC 1 and 8."""
    start = 1 if batched else 0
    rows = [i for i, g in enumerate(gradients) if g.dim() == 2 + start]
    return torch.cat([g.abs().flatten(start + 1).mean(start + 1) for i, g in enumerate(gradients)
                      if g.dim() == 4 + start or (g.dim() == 2 + start and i != rows[-1])], dim=start)


def loop(model, images, labels):
    weights = list(model.parameters())
    for i in range(images.shape[0]):
        model.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(images[i:i + 1]), labels[i:i + 1]).backward()
        filter_means([w.grad if w.grad is not None else torch.zeros_like(w) for w in weights], batched=False)


def vmap_grad(model, per_call):
    from functorch import grad, make_functional_with_buffers, vmap
    function, parameters, buffers = make_functional_with_buffers(model)

    def loss(parameters, buffers, image, label):
        return torch.nn.functional.cross_entropy(function(parameters, buffers, image[None]), label[None])

    per_sample = vmap(grad(loss), in_dims=(None, None, 0, 0))

    def run(images, labels):
        for start in range(0, images.shape[0], per_call):
            filter_means(per_sample(parameters, buffers, images[start:start + per_call], labels[start:start + per_call]), batched=True)
    return run


def train_step(model, per_call):
    def run(images, labels):
        for start in range(0, images.shape[0], per_call):
            model.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(images[start:start + per_call]), labels[start:start + per_call]).backward()
    return run


def rate(run, images, labels, warm_up, repeats):
    """The median of `repeats` timed runs over all images, after a warm-up call."""
    run(images[:warm_up], labels[:warm_up])
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(images, labels)
        rates.append(images.shape[0] / (time.perf_counter() - start))
    return sorted(rates)[len(rates) // 2]


def main():
    arch, weights, images_path, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    modes, repeats = sys.argv[5].split(","), int(sys.argv[6])
    torch.set_num_threads(threads)
    state = torch.load(weights, map_location="cpu")
    classes = next(v for k, v in state.items() if k.endswith(("fc.weight", "heads.head.weight"))).shape[0]
    model = build(arch, classes)
    model.load_state_dict(state)
    model.eval()
    data = torch.load(images_path, map_location="cpu")
    images, labels = data["images"], data["labels"]
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "images": int(images.shape[0])}
    engines = {
        "loop": (lambda x, y: loop(model, x, y), 1),
        "vmap8": (vmap_grad(model, 8), 8),
        "vmap32": (vmap_grad(model, 32), 32),
        "train": (train_step(model, 32), 32),
    }
    for mode in modes:
        run, warm_up = engines[mode]
        result[mode] = rate(run, images, labels, warm_up, repeats)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
