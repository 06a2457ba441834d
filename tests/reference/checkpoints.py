#!/usr/bin/env python3
"""PyTorch checkpoints that are not ours, for the C# loader's tests (Debian's python3-torch and
python3-torchvision). Writes tests/fixtures/checkpoints/:
  densenet-small.pth          torchvision's DenseNet class (growth 8, blocks 2-2-2-2, 16 initial features,
                              bottleneck 2, 10 classes, 3 channels), random weights, BatchNorm statistics
                              from a few batches in train mode: torch.save(model.state_dict())
  densenet-small-wrapped.pth  the same as a training script would save it from DataParallel:
                              {'state_dict': {'module.<key>': ...}, 'epoch': 3}
  densenet-small-whole.pth    torch.save(model): a pickled whole model (refused, with its own message)
  densenet-small-legacy.pth   the pre-1.6 non-zip format (refused, with its own message)
  resnet18-cifar-w8.pth       the CIFAR-style ResNet-18 (1 channel, w 8) under a 'model' key, without
                              BatchNorm's num_batches_tracked (as older PyTorch wrote it)
  checkpoints.json            inputs and the float64 logits PyTorch computes from them in eval mode

Run from the repository root:  /usr/bin/python3 tests/reference/checkpoints.py
"""
import json, os, sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import CifarResNet18  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(ROOT, "tests", "fixtures", "checkpoints")


def settle_batch_norm(model, channels, size):
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, channels, size, size))
    model.eval()


def main():
    os.makedirs(OUTPUT, exist_ok=True)
    torch.manual_seed(0)
    densenet = torchvision.models.DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2, num_classes=10)
    settle_batch_norm(densenet, 3, 32)
    torch.save(densenet.state_dict(), os.path.join(OUTPUT, "densenet-small.pth"))
    wrapped = {"module." + key: value for key, value in densenet.state_dict().items()}
    torch.save({"state_dict": wrapped, "epoch": 3}, os.path.join(OUTPUT, "densenet-small-wrapped.pth"))
    torch.save(densenet, os.path.join(OUTPUT, "densenet-small-whole.pth"))
    torch.save(densenet.state_dict(), os.path.join(OUTPUT, "densenet-small-legacy.pth"), _use_new_zipfile_serialization=False)

    resnet = CifarResNet18(in_channels=1, width=8, num_classes=10)
    settle_batch_norm(resnet, 1, 28)
    state = {key: value for key, value in resnet.state_dict().items() if not key.endswith("num_batches_tracked")}
    torch.save({"model": state}, os.path.join(OUTPUT, "resnet18-cifar-w8.pth"))

    densenet_inputs = torch.randn(2, 3, 32, 32)
    resnet_inputs = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        densenet_logits = densenet.double()(densenet_inputs.double())
        resnet_logits = resnet.double()(resnet_inputs.double())
    fixture = {
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "densenet-small": {"inputs": densenet_inputs.flatten().tolist(), "shape": list(densenet_inputs.shape), "logits": densenet_logits.tolist()},
        "resnet18-cifar-w8": {"inputs": resnet_inputs.flatten().tolist(), "shape": list(resnet_inputs.shape), "logits": resnet_logits.tolist()},
    }
    with open(os.path.join(OUTPUT, "checkpoints.json"), "w") as f:
        json.dump(fixture, f)
    for name in sorted(os.listdir(OUTPUT)):
        print(name, os.path.getsize(os.path.join(OUTPUT, name)))


if __name__ == "__main__":
    main()
