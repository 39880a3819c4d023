"""PyTorch's side of the cold-start and folder cases of bench/compare.sh: the job of `vecnet classify`, as a script.

    /usr/bin/python3 bench/python/cold_torch.py WEIGHTS.pth IMAGE            one picture: import, load, preprocess, forward
    /usr/bin/python3 bench/python/cold_torch.py WEIGHTS.pth FOLDER [--batch 8] [--workers 1]

One picture: what a user would write to classify it with torchvision's ResNet-18: import torch and
torchvision, build resnet18(), load the state_dict from the .pth, Image.open(...).convert("RGB"),
Resize(256), CenterCrop(224), ToTensor, Normalize(ImageNet), forward in eval + inference_mode, print
the top 5 (class index, probability, logit), as `vecnet classify` prints them.

A folder: the pictures in name order (the suffixes `vecnet classify` reads) through a DataLoader
(batch_size --batch, num_workers --workers: decoding runs in worker processes while the model
computes, in order), the top 5 of each picture printed. Torch uses its default thread count (one per
core), as vecnet does; both are timed from outside as the wall time of the whole process.
"""

import argparse
import os
import sys
import time

T0 = time.perf_counter()

import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms  # noqa: E402

SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff")
PRE = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])


class Pictures(torch.utils.data.Dataset):
    def __init__(self, files):
        self.files = files

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with open(self.files[i], "rb") as f:
            return PRE(Image.open(f).convert("RGB"))


def show(name, logits):
    p = logits.softmax(0)
    top = p.topk(5)
    lines = [name]
    for r, (prob, k) in enumerate(zip(top.values.tolist(), top.indices.tolist())):
        lines.append("  %d. class %-4d %6.2f %%   (logit %.4f)" % (r + 1, k, 100.0 * prob, logits[k].item()))
    return "\n".join(lines)


def main(argv):
    p = argparse.ArgumentParser(usage=__doc__)
    p.add_argument("weights")
    p.add_argument("target")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args(argv)
    weights, target = a.weights, a.target
    model = torchvision.models.resnet18(weights=None)
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()
    out = []
    with torch.inference_mode():
        if os.path.isdir(target):
            files = sorted(os.path.join(target, f) for f in os.listdir(target) if f.lower().endswith(SUFFIXES))
            loader = torch.utils.data.DataLoader(Pictures(files), batch_size=a.batch, num_workers=a.workers,
                                                 shuffle=False)
            i = 0
            for batch in loader:
                for row in model(batch):
                    out.append(show(files[i], row))
                    i += 1
        else:
            with open(target, "rb") as f:
                x = PRE(Image.open(f).convert("RGB")).unsqueeze(0)
            out.append(show(target, model(x)[0]))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stderr.write("cold_torch: %.2f s in the script after start\n" % (time.perf_counter() - T0))


if __name__ == "__main__":
    main(sys.argv[1:])
