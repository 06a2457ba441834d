#!/usr/bin/env python3
"""A PyTorch oracle for the Vision Transformer (Debian's python3-torch and python3-torchvision).

torchvision.models.VisionTransformer of a small size (image 32, patch 8, 2 layers, 2 heads, width 16, MLP 32,
10 classes), random weights from seed 0 with every bias, the class token and the LayerNorm affine parameters drawn
too (torchvision zeroes some of them, which would hide a misplaced one), written into OUTPUT (an argument):
  vit.pth          torch.save(model.state_dict())
  vit-linear.pth   the same with the older MLP names of torchvision's EncoderBlock (mlp.linear_1, mlp.linear_2)
  names.txt        'name d0,d1,...' of every named_parameters() entry, in order
  vit.safetensors  inputs [4,3,32,32] (f32) and the logits of the model in float64 on those inputs

Run from the repository root:  /usr/bin/python3 tests/reference/vit_oracle.py OUTPUT
"""
import os, sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import write_safetensors  # noqa: E402


def main():
    output = sys.argv[1]
    os.makedirs(output, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                                 hidden_dim=16, mlp_dim=32, num_classes=10)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() == 1 or name == "class_token":
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln.weight") else 0.0))
            if name == "heads.head.weight":
                parameter.copy_(torch.randn_like(parameter) * 0.2)  # torchvision zeroes the head
    model.eval()
    torch.save(model.state_dict(), os.path.join(output, "vit.pth"))
    older = {k.replace(".mlp.0.", ".mlp.linear_1.").replace(".mlp.3.", ".mlp.linear_2."): v for k, v in model.state_dict().items()}
    torch.save(older, os.path.join(output, "vit-linear.pth"))
    with open(os.path.join(output, "names.txt"), "w") as f:
        for name, parameter in model.named_parameters():
            f.write(f"{name} {','.join(str(d) for d in parameter.shape)}\n")
    inputs = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        logits = model.double()(inputs.double())
    write_safetensors(os.path.join(output, "vit.safetensors"), {"inputs": inputs, "logits": logits}, {"script": "vit_oracle.py"})
    print(f"logits {logits.shape[0]}x{logits.shape[1]}, largest {logits.abs().max().item():.3f}")


if __name__ == "__main__":
    main()
