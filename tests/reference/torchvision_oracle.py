#!/usr/bin/env python3
"""A PyTorch oracle for checkpoints that are not ours (Debian's python3-torch and python3-torchvision).

For torchvision's resnet18 and densenet121 (10 classes, random weights from seed 0, BatchNorm statistics
from three batches of 8 in train mode, small RGB inputs 3x32x32) writes into OUTPUT (an argument; the
C# tests pass a cache folder, since the checkpoints weigh 28-45 MB each and are not committed):
  <arch>.pth          torch.save(model.state_dict())
  <arch>-wrapped.pth  torch.save(nn.DataParallel(model).state_dict()): every key prefixed 'module.'
  folder/, folder.safetensors  16 random 32x32 RGB PNGs in 4 class folders, and for the resnet18 checkpoint the
                      inputs torchvision's ImageFolder makes of them (ToTensor, Normalize with ImageNet's mean and
                      std), their labels, float64 profiles and sensitivity (below)
  <arch>.safetensors  from the definitions, in float64, one image at a time, in eval mode:
                      inputs [16,3,32,32] (f32; the reference uses their exact float64 values), labels,
                      logits, filter-wise profiles s [16,F], mu and sigma (sample std) over the 16 profiles,
                      and for two images the SPEC section 3 heatmap with those mu and sigma (k = 10,
                      boost 100): the input gradient, the heatmap, the boosted filters.
                      'sensitivity' [16]: how far each float64 profile moves (relative L1, the largest of three
                      draws) when every ReLU input x carries float32-sized error (Gaussian, 1e-6 max|x|). Some images have ReLU inputs within rounding of zero: their profile jumps
                      (measured 1e-3 and more; a float32 run of PyTorch or ours may land on either side), so
                      the tests hold them only to the worst bound. At 3x32x32 this flags 4 (resnet18) and 8
                      (densenet121) of the 16 images; at 3x64x64 it flagged 11 of resnet18's, and our float32
                      loop engine did land on the other side for 3 of those (errors 1.4e-3 to 2.2e-3). 'heatmap_sensitivity' [2] likewise for the
                      input gradient (relative L2). The two heatmap images are the first whose input
                      gradient moves by less than 1e-4 under that noise and whose 10th and 11th largest z
                      differ by more than 1e-3 relative: random weights leave many filters dead (s = 0) on
                      all images but one, and those tie at z = (n-1)/sqrt(n), so elsewhere the boosted set
                      would be decided by rounding.

Run from the repository root:  /usr/bin/python3 tests/reference/torchvision_oracle.py OUTPUT
"""
import os, sys

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import boosted_heatmap, filter_profile, random_image_folder, write_safetensors  # noqa: E402

ARCHITECTURES = {"resnet18": torchvision.models.resnet18, "densenet121": torchvision.models.densenet121}
IMAGES, SIZE, HEATMAPS, MARGIN, NOISE, DRAWS, STEADY = 16, 32, 2, 1e-3, 1e-6, 3, 1e-4


def build(name):
    torch.manual_seed(0)
    model = ARCHITECTURES[name](num_classes=10)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, SIZE, SIZE))
    return model.eval()


class RoundingNoise:
    """Adds NOISE * max|x| * N(0, 1) to every nn.ReLU's input x while active: the error of a float32 forward pass
    (measured on these models: 4e-7 to 2e-6 of each layer's largest activation), simulated in float64."""

    def __init__(self, model, seed):
        self.generator = torch.Generator().manual_seed(seed)
        self.handles = [m.register_forward_pre_hook(self.perturb) for m in model.modules() if isinstance(m, nn.ReLU)]

    def perturb(self, module, inputs):
        x = inputs[0]
        return (x + NOISE * x.abs().max() * torch.randn(x.shape, generator=self.generator, dtype=x.dtype),)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()


def worst_under_noise(compute, model, error):
    worst = 0.0
    for draw in range(DRAWS):
        with RoundingNoise(model, seed=100 + draw):
            worst = max(worst, error(compute()))
    return worst


def oracle(name, output):
    model = build(name)
    torch.save(model.state_dict(), os.path.join(output, f"{name}.pth"))
    torch.save(nn.DataParallel(model).state_dict(), os.path.join(output, f"{name}-wrapped.pth"))

    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(IMAGES, 3, SIZE, SIZE, generator=generator)
    labels = torch.randint(0, 10, (IMAGES,), generator=generator)
    model, images = model.double(), inputs.double()
    with torch.no_grad():
        logits = model(images)
    profiles = torch.stack([filter_profile(model, images[i], int(labels[i])) for i in range(IMAGES)])
    def profile_error(i):
        return lambda noisy: ((noisy - profiles[i]).abs().sum() / profiles[i].abs().sum()).item()
    sensitivity = torch.tensor([worst_under_noise(lambda: filter_profile(model, images[i], int(labels[i])), model, profile_error(i))
                                for i in range(IMAGES)], dtype=torch.float64)
    mean, std = profiles.mean(0), profiles.std(0, unbiased=True)
    safe_std = torch.where(std <= 1e-14, torch.ones_like(std), std)
    z = (profiles - mean) / safe_std
    ranked = z.sort(dim=1, descending=True).values
    heatmaps, chosen, heatmap_sensitivity = [], [], []
    for i in range(IMAGES):
        if len(chosen) == HEATMAPS:
            break
        if sensitivity[i] >= STEADY or (ranked[i, 9] - ranked[i, 10]) <= MARGIN * ranked[i, 9].abs():
            continue
        result = boosted_heatmap(model, images[i], int(labels[i]), mean, safe_std)
        moved = worst_under_noise(lambda: boosted_heatmap(model, images[i], int(labels[i]), mean, safe_std)[0], model,
                                  lambda noisy: ((noisy - result[0]).norm() / result[0].norm()).item())
        if moved < STEADY:
            heatmaps.append(result)
            chosen.append(i)
            heatmap_sensitivity.append(moved)
    assert len(chosen) == HEATMAPS, f"only {len(chosen)} well-conditioned images with a clear top 10"
    write_safetensors(os.path.join(output, f"{name}.safetensors"),
                      {"inputs": inputs, "labels": labels, "heatmap_indices": torch.tensor(chosen), "sensitivity": sensitivity,
                       "heatmap_sensitivity": torch.tensor(heatmap_sensitivity, dtype=torch.float64), "logits": logits, "profiles": profiles, "mean": mean, "std": std,
                       "gradients": torch.stack([h[0] for h in heatmaps]), "heatmaps": torch.stack([h[1] for h in heatmaps]),
                       "top10": torch.stack([h[2] for h in heatmaps])},
                      {"architecture": name, "torch": torch.__version__, "torchvision": torchvision.__version__})
    print(f"{name}: {profiles.shape[1]} filters; profile sensitivity {['%.0e' % v for v in sensitivity.tolist()]}; heatmaps of {chosen} (sensitivity {['%.0e' % v for v in heatmap_sensitivity]})")


def folder_oracle(output):
    """The resnet18 checkpoint on an image folder, as `saliency profile --dataset folder:...` reads it."""
    root = os.path.join(output, "folder")
    dataset, inputs, labels = random_image_folder(root, IMAGES, SIZE, seed=2)
    model = torchvision.models.resnet18(num_classes=10)
    model.load_state_dict(torch.load(os.path.join(output, "resnet18.pth")))
    model = model.eval().double()
    images = inputs.double()
    profiles = torch.stack([filter_profile(model, images[i], int(labels[i])) for i in range(len(dataset))])
    sensitivity = torch.tensor([worst_under_noise(lambda: filter_profile(model, images[i], int(labels[i])), model,
                                                  lambda noisy: ((noisy - profiles[i]).abs().sum() / profiles[i].abs().sum()).item())
                                for i in range(len(dataset))], dtype=torch.float64)
    write_safetensors(os.path.join(output, "folder.safetensors"),
                      {"inputs": inputs, "labels": labels, "profiles": profiles, "sensitivity": sensitivity},
                      {"files": ",".join(os.path.relpath(path, root) for path, _ in dataset.samples)})
    print(f"folder: {len(dataset)} images; profile sensitivity {['%.0e' % v for v in sensitivity.tolist()]}")


def main():
    output = sys.argv[1]
    os.makedirs(output, exist_ok=True)
    for name in ARCHITECTURES:
        oracle(name, output)
    folder_oracle(output)


if __name__ == "__main__":
    main()
