"""Write a full-size random-init state_dict for loader smoke tests and benchmarks (not committed: about 47 MB).

    /usr/bin/python3 weights/python/make_resnet18.py OUT.pth [OUT.safetensors] [--seed-model] [--seed N] [--randomize-bn]

Default: torchvision.models.resnet18() (weights=None, torch.manual_seed(N), N = 0), 122 keys conv1.weight .. fc.bias.
--seed-model: the seed's MultimodalModel(num_classes=10) instead (127 keys resnet.0.weight .. fc.bias, 59 MB).
--randomize-bn: BatchNorm running_mean N(0,0.1), running_var U(0.5,1.5), weight U(0.5,1.5), bias N(0,0.1), so that
eval-mode BN is not the identity (the default init makes it one). The .pth is torch.save(state_dict) in the zip
format; the optional second file is the same state_dict as safetensors (written by safetensors_io.py).
Same arguments give the same bytes.
"""

import argparse
import os
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from seed_model import MultimodalModel  # noqa: E402


def build(seed_model=False, seed=0, randomize_bn=False):
    torch.manual_seed(seed)
    model = MultimodalModel(num_classes=10) if seed_model else torchvision.models.resnet18(weights=None)
    if randomize_bn:
        g = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    c = m.num_features
                    m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                    m.running_var.copy_(0.5 + torch.rand(c, generator=g))
                    m.weight.copy_(0.5 + torch.rand(c, generator=g))
                    m.bias.copy_(0.1 * torch.randn(c, generator=g))
    return model.eval()


def main(argv=None):
    p = argparse.ArgumentParser(description="Write a full-size random-init resnet18 (or seed model) state_dict.")
    p.add_argument("pth", help="OUT.pth")
    p.add_argument("safetensors", nargs="?", help="optional OUT.safetensors with the same tensors")
    p.add_argument("--seed-model", action="store_true", help="the seed MultimodalModel(num_classes=10) instead")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--randomize-bn", action="store_true", help="non-trivial BatchNorm statistics and affine")
    args = p.parse_args(argv)
    t0 = time.time()
    torch.set_num_threads(1)
    sd = build(args.seed_model, args.seed, args.randomize_bn).state_dict()
    torch.save(sd, args.pth)
    print("wrote %s: %d tensors, %d bytes" % (args.pth, len(sd), os.path.getsize(args.pth)))
    if args.safetensors:
        n = safetensors_io.save_file(sd, args.safetensors, {"format": "pt"})
        print("wrote %s: %d bytes" % (args.safetensors, n))
    print("%.1f s" % (time.time() - t0))


if __name__ == "__main__":
    main()
