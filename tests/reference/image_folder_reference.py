#!/usr/bin/env python3
"""torchvision's ImageFolder and standard evaluation transform, for the C# image-folder reader (Debian's
python3-torchvision and python3-pil). Writes into OUTPUT (an argument; the C# tests pass a cache folder):
  images/<class>/...   five images made here with PIL from seeded numpy noise and gradients, of odd sizes:
                       RGB PNG, greyscale PNG, RGBA PNG (alpha dropped by convert('RGB')), RGB JPEG (quality 90),
                       greyscale JPEG, in classes 'b-cat' and 'a-dog' (so sorting, not creation order, numbers them)
  bad/<class>/...      a truncated PNG, a zero-byte JPEG, a text file named .png, and one good PNG
  reference.safetensors  'inputs' [5,3,224,224] f32: ImageFolder(images) with Resize(256), CenterCrop(224),
                       ToTensor(), Normalize(ImageNet mean, std); 'labels' [5]; 'grey' [5,1,224,224] f32: the
                       same with convert('L') and Normalize([0.5], [0.25]); metadata: the file order and classes

Run from the repository root:  /usr/bin/python3 tests/reference/image_folder_reference.py OUTPUT
"""
import json, os, sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import write_safetensors  # noqa: E402


def picture(rng, width, height, channels):
    y, x = np.mgrid[0:height, 0:width]
    base = [(x * 255 / width), (y * 255 / height), ((x + y) * 127 / (width + height))]
    layers = [np.clip(base[c % 3] + rng.normal(0, 25, (height, width)), 0, 255) for c in range(channels)]
    return np.stack(layers, axis=-1).astype(np.uint8)


def main():
    output = sys.argv[1]
    rng = np.random.default_rng(0)
    images = os.path.join(output, "images")
    for folder in ("a-dog", "b-cat"):
        os.makedirs(os.path.join(images, folder), exist_ok=True)
    Image.fromarray(picture(rng, 300, 260, 3), "RGB").save(os.path.join(images, "b-cat", "rgb.png"))
    Image.fromarray(picture(rng, 257, 300, 1)[:, :, 0], "L").save(os.path.join(images, "b-cat", "grey.png"))
    Image.fromarray(picture(rng, 320, 240, 4), "RGBA").save(os.path.join(images, "a-dog", "rgba.png"))
    Image.fromarray(picture(rng, 280, 290, 3), "RGB").save(os.path.join(images, "a-dog", "photo.jpg"), quality=90)
    Image.fromarray(picture(rng, 400, 256, 1)[:, :, 0], "L").save(os.path.join(images, "b-cat", "grey.jpeg"), quality=90)

    bad = os.path.join(output, "bad", "things")
    os.makedirs(bad, exist_ok=True)
    with open(os.path.join(images, "b-cat", "rgb.png"), "rb") as f:
        png = f.read()
    with open(os.path.join(bad, "truncated.png"), "wb") as f:
        f.write(png[: len(png) // 2])
    open(os.path.join(bad, "empty.jpg"), "wb").close()
    with open(os.path.join(bad, "notes.png"), "w") as f:
        f.write("not an image\n")
    Image.fromarray(picture(rng, 256, 256, 3), "RGB").save(os.path.join(bad, "good.png"))

    def load(convert, normalize):
        transform = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize])
        dataset = torchvision.datasets.ImageFolder(images, transform=transform, loader=lambda path: Image.open(path).convert(convert))
        return dataset, torch.stack([dataset[i][0] for i in range(len(dataset))])

    dataset, rgb = load("RGB", transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]))
    _, grey = load("L", transforms.Normalize([0.5], [0.25]))
    labels = torch.tensor([label for _, label in dataset.samples])
    files = [os.path.relpath(path, images) for path, _ in dataset.samples]
    write_safetensors(os.path.join(output, "reference.safetensors"), {"inputs": rgb, "labels": labels, "grey": grey},
                      {"files": json.dumps(files), "classes": json.dumps(dataset.classes), "torchvision": torchvision.__version__})
    print("files", files, "classes", dataset.classes)


if __name__ == "__main__":
    main()
