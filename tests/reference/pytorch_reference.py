#!/usr/bin/env python3
"""Independent PyTorch reference for the C# tests (Debian's python3-torch and python3-torchvision).

Writes tests/fixtures/:
  parameter-names.json   named_parameters() names and shapes and state_dict() keys of the
                         CIFAR-style ResNet-18 (1 channel, w = 16, 10 classes) built here in
                         PyTorch, and of torchvision's resnet18 and resnet50.
  default-model-logits.json  logits of the committed model (loaded from its safetensors file by
                         the plain reader below) for the first 16 Fashion-MNIST test images.
  reference-saliency.safetensors  for the committed model, from the definitions, in float64, one
                         image at a time in eval mode: filter-wise profiles s of the first 8 test images
                         with a loss above 1e-3, μ and σ (sample std) over test images 0-63,
                         z = (s - μ) / σ of those 8 images and their top-10 filter indices.

Run from the repository root:  /usr/bin/python3 tests/reference/pytorch_reference.py
"""
import gzip, hashlib, json, os, struct, sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
MODEL = os.path.join(ROOT, "data", "models", "fashion-resnet18-w16.safetensors")
STATISTICS = os.path.join(ROOT, "data", "statistics", "fashion-resnet18-w16.fashion-mnist-test.safetensors")


class CifarResNet18(nn.Module):
    """ResNet-18 for small images: 3x3 stem, stride 1, no max-pool; torchvision's names."""

    def __init__(self, in_channels=1, width=16, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.inplanes = width
        self.layer1 = self._stage(width, 1)
        self.layer2 = self._stage(width * 2, 2)
        self.layer3 = self._stage(width * 4, 2)
        self.layer4 = self._stage(width * 8, 2)
        self.fc = nn.Linear(width * 8, num_classes)

    def _stage(self, planes, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        blocks = [BasicBlock(self.inplanes, planes, stride, downsample), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def describe(model):
    return {
        "parameters": [[name, list(p.shape)] for name, p in model.named_parameters()],
        "state_dict": list(model.state_dict().keys()),
    }


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = bytearray(data[8 + n + start:8 + n + end])
        tensors[name] = torch.frombuffer(raw, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors, header.get("__metadata__", {})


def random_image_folder(root, count, size, seed):
    """`count` random size x size RGB PNGs in root/class-0..class-3 (image n in class n % 4), read back as torchvision's
    ImageFolder with ToTensor and ImageNet's Normalize, as `saliency ... --dataset folder:root --normalize imagenet`
    reads them: (dataset, inputs [N, 3, size, size], labels [N])."""
    from PIL import Image
    from torchvision import transforms
    generator = torch.Generator().manual_seed(seed)
    for n in range(count):
        pixels = (torch.rand(size, size, 3, generator=generator) * 255).to(torch.uint8).numpy()
        os.makedirs(os.path.join(root, f"class-{n % 4}"), exist_ok=True)
        Image.fromarray(pixels, "RGB").save(os.path.join(root, f"class-{n % 4}", f"image-{n:02d}.png"))
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    dataset = torchvision.datasets.ImageFolder(root, transform=transform)
    inputs = torch.stack([dataset[i][0] for i in range(len(dataset))])
    labels = torch.tensor([label for _, label in dataset.samples])
    return dataset, inputs, labels


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    names = {torch.float64: "F64", torch.float32: "F32", torch.int64: "I64"}
    for name, tensor in tensors.items():
        data = tensor.contiguous().numpy().tobytes()
        header[name] = {"dtype": names[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def filter_profile(model, image, label):
    """s(x, y): mean over (in, kh, kw) of |dL/dW| for every 4-D weight, in named_parameters order."""
    model.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(image.unsqueeze(0)), torch.tensor([label]))
    weights = [p for _, p in model.named_parameters() if p.dim() == 4]
    grads = torch.autograd.grad(loss, weights)
    return torch.cat([g.abs().mean(dim=(1, 2, 3)) for g in grads])


def saliency_reference(model, images, labels, model_sha):
    # float64 throughout: the reference carries no float32 rounding of its own.
    model, images = model.double(), images.double()
    profiles = torch.stack([filter_profile(model, images[i], int(labels[i])) for i in range(64)]).double()
    mean, std = profiles.mean(0), profiles.std(0, unbiased=True)
    safe_std = torch.where(std <= 1e-14, torch.ones_like(std), std)
    # Profiles are compared for images whose loss is not vanishing: for p_y within 1e-3 of 1 the
    # profile's scale is set by float32 rounding of the forward pass (relative 1e-3 and worse),
    # which no float32 implementation can match to 1e-5.
    with torch.no_grad():
        losses = nn.functional.cross_entropy(model(images), torch.tensor(labels), reduction="none")
    chosen = [i for i in range(64) if losses[i] > 1e-3][:8]
    z = (profiles[chosen] - mean) / safe_std
    top10 = torch.stack([torch.argsort(row, descending=True)[:10] for row in z])
    names = [f"{n}[{c}]" for n, p in model.named_parameters() if p.dim() == 4 for c in range(p.shape[0])]
    write_safetensors(os.path.join(FIXTURES, "reference-saliency.safetensors"),
                      {"indices": torch.tensor(chosen), "losses": losses[chosen], "profiles": profiles[chosen],
                       "mean": mean, "std": std, "z": z, "top10": top10},
                      {"model_sha256": model_sha, "filter_names": ",".join(names), "images": "the first 8 of fashion-mnist:test[0:64] with loss > 1e-3",
                       "statistics_images": "fashion-mnist:test[0:64]", "torch": torch.__version__})
    print("wrote reference-saliency.safetensors")


def boosted_heatmap(model, image, label, mean, safe_std, k=10, boost=100.0):
    """SPEC section 3 from the definitions: g = d cos(z, z') / dx by a double backward, then
    |max over channels of g|, clip above the 99th percentile, raise below the 90th, min-max."""
    x = image.unsqueeze(0).clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(x), torch.tensor([label]))
    weights = [p for _, p in model.named_parameters() if p.dim() == 4]
    grads = torch.autograd.grad(loss, weights, create_graph=True)
    z = (torch.cat([g.abs().mean(dim=(1, 2, 3)) for g in grads]) - mean) / safe_std
    target = z.detach().clone()
    top = torch.argsort(target, descending=True)[:k]
    target[top] = target[top] * boost
    similarity = nn.functional.cosine_similarity(z.unsqueeze(0), target.unsqueeze(0)).sum()
    gradient = torch.autograd.grad(similarity, x)[0][0]
    h = gradient.max(dim=0).values.abs().numpy()
    high, low = np.percentile(h, 99), np.percentile(h, 90)
    h = np.minimum(np.maximum(h, low), high)
    h = (h - h.min()) / (h.max() - h.min())
    return gradient, torch.from_numpy(h), top


def heatmap_reference(model, images, labels, model_sha):
    """Heatmaps of three test images with the committed statistics' mu and sigma, in float64."""
    tensors, metadata = read_safetensors(STATISTICS)
    mean, std = tensors["mean"].double(), tensors["std"].double()
    safe_std = torch.where(std <= 1e-14, torch.ones_like(std), std)
    model, images = model.double(), images.double()
    chosen = [12, 23, 42]
    results = [boosted_heatmap(model, images[i], int(labels[i]), mean, safe_std) for i in chosen]
    write_safetensors(os.path.join(FIXTURES, "reference-heatmaps.safetensors"),
                      {"indices": torch.tensor(chosen), "gradients": torch.stack([r[0] for r in results]),
                       "heatmaps": torch.stack([r[1] for r in results]), "top10": torch.stack([r[2] for r in results])},
                      {"model_sha256": model_sha, "statistics_model": metadata.get("model_fingerprint", ""),
                       "k": "10", "boost": "100", "torch": torch.__version__})
    print("wrote reference-heatmaps.safetensors")


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    names = {
        "resnet18-cifar": describe(CifarResNet18()),
        "resnet18": describe(torchvision.models.resnet18()),
        "resnet50": describe(torchvision.models.resnet50()),
    }
    with open(os.path.join(FIXTURES, "parameter-names.json"), "w") as f:
        json.dump(names, f, indent=1)
    print("wrote parameter-names.json")

    if not os.path.exists(MODEL):
        print("no committed model: skipped default-model-logits.json")
        return
    tensors, metadata = read_safetensors(MODEL)
    model = CifarResNet18(int(metadata["in_channels"]), int(metadata["width"]), int(metadata["num_classes"]))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    with gzip.open(os.path.join(ROOT, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")) as f:
        pixels = f.read()[16:16 + 64 * 784]
    with gzip.open(os.path.join(ROOT, "data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz")) as f:
        labels = list(f.read()[8:8 + 64])
    images = torch.tensor(list(pixels), dtype=torch.float32).reshape(64, 1, 28, 28) / 255.0
    images = (images - float(metadata["mean"])) / float(metadata["std"])
    with torch.no_grad():
        logits = model(images[:16])
    with open(MODEL, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(FIXTURES, "default-model-logits.json"), "w") as f:
        json.dump({"model_sha256": sha, "torch": torch.__version__, "images": "fashion-mnist:test[0:16]",
                   "logits": logits.tolist()}, f, indent=1)
    print("wrote default-model-logits.json")
    saliency_reference(model, images, labels, sha)
    heatmap_reference(model, images, labels, sha)


if __name__ == "__main__":
    sys.exit(main())
