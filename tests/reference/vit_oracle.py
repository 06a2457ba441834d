#!/usr/bin/env python3
"""A PyTorch oracle for the Vision Transformer (Debian's python3-torch and python3-torchvision).

torchvision.models.VisionTransformer of a small size (image 32, patch 8, 2 layers, 2 heads, width 16, MLP 32,
10 classes), random weights from seed 0 with every bias, the class token and the LayerNorm affine parameters drawn
too (torchvision zeroes some of them, which would hide a misplaced one), written into OUTPUT (an argument):
  vit.pth          torch.save(model.state_dict())
  vit-linear.pth   the same with the older MLP names of torchvision's EncoderBlock (mlp.linear_1, mlp.linear_2)
  names.txt        'name d0,d1,...' of every named_parameters() entry, in order
  vit.safetensors  inputs [4,3,32,32] (f32) and the logits of the model in float64 on those inputs
  folder/          12 random 32x32 RGB PNGs in class folders class-0..class-3
  folder.safetensors  the folder's model inputs (ToTensor, ImageNet Normalize), labels, and the float64 profiles of
                   SPEC 8 from functorch vmap(grad): 'neurons' [12, units] and 'heads' [12, heads]
  neuron-names.txt, head-names.txt  the units' names in profile order

Run from the repository root:  /usr/bin/python3 tests/reference/vit_oracle.py OUTPUT
"""
import os, sys

import torch
import torchvision
from functorch import make_functional, vmap, grad

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import random_image_folder, write_safetensors  # noqa: E402


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
    folder_oracle(model, output)  # the model is float64 from here on


def per_sample_gradients(model, images, labels):
    """Gradients of CE(f(x_n), y_n) for each n, from functorch vmap(grad), in named_parameters() order."""
    function, parameters = make_functional(model)

    def loss(p, x, y):
        return torch.nn.functional.cross_entropy(function(p, x.unsqueeze(0)), y.unsqueeze(0))
    return vmap(grad(loss), in_dims=(None, 0, 0))(parameters, images, labels)


def unit_profiles(model, gradients):
    """SPEC 8: neuron-wise (4-D filters and rows of 2-D weights but the last, |g| averaged) and head-wise profiles."""
    named = list(model.named_parameters())
    classifier = max(i for i, (_, p) in enumerate(named) if p.dim() == 2)
    by_name = {name: g for (name, _), g in zip(named, gradients)}
    neurons, neuron_names = [], []
    for i, ((name, parameter), g) in enumerate(zip(named, gradients)):
        if parameter.dim() == 4 or (parameter.dim() == 2 and i != classifier):
            neurons.append(g.abs().flatten(2).mean(2))
            neuron_names += [f"{name}[{r}]" for r in range(parameter.shape[0])]
    heads, head_names = [], []
    for module_name, module in model.named_modules():
        if isinstance(module, torch.nn.MultiheadAttention):
            width, count = module.embed_dim, module.num_heads
            d = width // count
            g_in, g_out = by_name[f"{module_name}.in_proj_weight"].abs(), by_name[f"{module_name}.out_proj.weight"].abs()
            for h in range(count):
                rows = [c * width + h * d + j for c in range(3) for j in range(d)]
                owned = torch.cat([g_in[:, rows, :].flatten(1), g_out[:, :, h * d:(h + 1) * d].flatten(1)], 1)
                assert owned.shape[1] == 4 * d * width
                heads.append(owned.mean(1, keepdim=True))
                head_names.append(f"{module_name}.head[{h}]")
    return torch.cat(neurons, 1).detach(), neuron_names, torch.cat(heads, 1).detach(), head_names


def folder_oracle(model, output):
    """Neuron and head profiles of an image folder, as `saliency profile --dataset folder:... --normalize imagenet` reads it."""
    root = os.path.join(output, "folder")
    dataset, inputs, labels = random_image_folder(root, 12, 32, seed=3)
    gradients = per_sample_gradients(model, inputs.double(), labels)
    neurons, neuron_names, heads, head_names = unit_profiles(model, gradients)
    for file, names in (("neuron-names.txt", neuron_names), ("head-names.txt", head_names)):
        with open(os.path.join(output, file), "w") as f:
            f.write("\n".join(names) + "\n")
    write_safetensors(os.path.join(output, "folder.safetensors"), {"inputs": inputs, "labels": labels, "neurons": neurons, "heads": heads},
                      {"files": ",".join(os.path.relpath(path, root) for path, _ in dataset.samples)})
    print(f"folder: {len(dataset)} images, {neurons.shape[1]} neurons, {heads.shape[1]} heads")


if __name__ == "__main__":
    main()
