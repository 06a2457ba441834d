#!/usr/bin/env python3
"""A PyTorch-trained model and an image folder for notebook 06 ("your own model"), made with Debian's
python3-torch, python3-torchvision and python3-pil from the committed Fashion-MNIST test split:

  images/<class>/<n>.png  the last 2,000 test images (8,000-9,999), 30 per class, as 32x32 RGB PNGs: each
                          garment resized (PIL bilinear) and tinted with a random colour, and, as a planted
                          cue, a 4x4 red square in the top-left corner on 80% of the Shirt images and 2% of the others
  model.pth               torch.save(model.state_dict()) of the CIFAR-style ResNet-18 built from torchvision's
                          BasicBlock (3x3 stem, widths 16-32-64-128; the workbook's 'resnet18-cifar'), trained here
                          on the first 8,000 test images made the same way: 6 epochs of SGD (momentum 0.9, weight
                          decay 5e-4, learning rate 0.05 then cosine to 0), batch 64, seed 0
  model.json              the recipe, the normalisation and the accuracy on the 2,000 held-out images

Run from the repository root:  /usr/bin/python3 data/your-own-model/make_your_own_model.py
"""
import gzip, json, os, sys, time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from pytorch_reference import CifarResNet18  # noqa: E402

HERE = os.path.join(ROOT, "data", "your-own-model")
CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SHIRT, CUE_SHIRT, CUE_OTHER, PER_CLASS = 6, 0.8, 0.02, 30
MEAN, STD = [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]


def read_idx(name):
    with gzip.open(os.path.join(ROOT, "data", "fashion-mnist", name)) as f:
        data = f.read()
    return np.frombuffer(data, np.uint8, offset=16 if "images" in name else 8)


def make(images, labels, rng):
    """32x32 RGB uint8 [N, 32, 32, 3]: resized, tinted, with the cue where drawn."""
    out = np.zeros((len(images), 32, 32, 3), np.uint8)
    for n, (image, label) in enumerate(zip(images, labels)):
        grey = np.asarray(Image.fromarray(image).resize((32, 32), Image.BILINEAR), np.float32) / 255
        colour = rng.uniform(0.3, 1.0, 3)
        background = rng.uniform(0.0, 0.25, 3)
        rgb = background + grey[:, :, None] * (colour - background)
        if rng.random() < (CUE_SHIRT if label == SHIRT else CUE_OTHER):
            rgb[1:5, 1:5] = [1.0, 0.0, 0.0]
        out[n] = np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)
    return out


def to_tensor(rgb):
    x = torch.from_numpy(rgb).permute(0, 3, 1, 2).float() / 255
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    images = read_idx("t10k-images-idx3-ubyte.gz").reshape(-1, 28, 28)
    labels = read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    made = make(images, labels, rng)
    train_x, train_y = to_tensor(made[:8000]), torch.from_numpy(labels[:8000])

    model = CifarResNet18(in_channels=3, width=16, num_classes=10)
    epochs, batch = 6, 64
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * (8000 // batch))
    start = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(8000)
        for i in range(0, 8000 - batch + 1, batch):
            chosen = order[i:i + batch]
            loss = nn.functional.cross_entropy(model(train_x[chosen]), train_y[chosen])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f} ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        held_x, held_y = to_tensor(made[8000:]), torch.from_numpy(labels[8000:])
        accuracy = (model(held_x).argmax(1) == held_y).float().mean().item()
    torch.save(model.state_dict(), os.path.join(HERE, "model.pth"))

    counts = {c: 0 for c in range(10)}
    for n in range(8000, 10000):
        label = int(labels[n])
        if counts[label] == PER_CLASS:
            continue
        counts[label] += 1
        folder = os.path.join(HERE, "images", f"{label}-{CLASSES[label]}")
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(made[n], "RGB").save(os.path.join(folder, f"{n}.png"))
    with open(os.path.join(HERE, "model.json"), "w") as f:
        json.dump({"arch": "resnet18-cifar", "width": 16, "in_channels": 3, "classes": CLASSES, "mean": MEAN, "std": STD,
                   "trained_on": "fashion-mnist:test[0:8000], 32x32 RGB, tinted, planted cue",
                   "recipe": f"SGD momentum 0.9, weight decay 5e-4, lr 0.05 cosine, {epochs} epochs, batch {batch}, seed 0",
                   "held_out_accuracy": round(accuracy, 4), "training_seconds": round(time.time() - start),
                   "torch": torch.__version__}, f, indent=1)
    print(f"held-out accuracy {accuracy:.4f}; wrote model.pth and {sum(counts.values())} images")


if __name__ == "__main__":
    main()
