#!/usr/bin/env python3
"""named_parameters() names and shapes, in order, and state_dict() keys of torchvision's models, for the
layout tests of the C# architectures (Debian's python3-torchvision 0.14). Writes
tests/fixtures/torchvision-layouts.json; also records each model's filter count (output channels of its
4-D parameters), which the authors' ImageNet statistics files must match.

Run from the repository root:  /usr/bin/python3 tests/reference/torchvision_layouts.py
"""
import json, os

import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(ROOT, "tests", "fixtures", "torchvision-layouts.json")

MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(),
    "resnet34": lambda: torchvision.models.resnet34(),
    "resnet50": lambda: torchvision.models.resnet50(),
    "resnet101": lambda: torchvision.models.resnet101(),
    "resnet152": lambda: torchvision.models.resnet152(),
    "vgg11": lambda: torchvision.models.vgg11(),
    "vgg11_bn": lambda: torchvision.models.vgg11_bn(),
    "vgg16": lambda: torchvision.models.vgg16(),
    "vgg16_bn": lambda: torchvision.models.vgg16_bn(),
    "vgg19": lambda: torchvision.models.vgg19(),
    "vgg19_bn": lambda: torchvision.models.vgg19_bn(),
    "densenet121": lambda: torchvision.models.densenet121(),
    "inception_v3": lambda: torchvision.models.inception_v3(init_weights=False, aux_logits=True),
    "vit_b_16": lambda: torchvision.models.vit_b_16(),
    "vit_b_32": lambda: torchvision.models.vit_b_32(),
}


def describe(model):
    parameters = [[name, list(p.shape)] for name, p in model.named_parameters()]
    return {
        "torchvision": torchvision.__version__,
        "parameters": parameters,
        "state_dict": list(model.state_dict().keys()),
        "filters": sum(shape[0] for _, shape in parameters if len(shape) == 4),
    }


def main():
    torch.manual_seed(0)
    layouts = {name: describe(build()) for name, build in MODELS.items()}
    with open(OUTPUT, "w") as f:
        json.dump(layouts, f, indent=1)
    for name, layout in layouts.items():
        print(f"{name}: {len(layout['parameters'])} parameters, {layout['filters']} filters")
    print("wrote", os.path.relpath(OUTPUT, ROOT))


if __name__ == "__main__":
    main()
