"""Writes the 1000 ImageNet class names, in torchvision's class order, to the resource file that
`vecnet classify` bundles: multimodal/src/main/resources/vecnet/imagenet_classes.txt (one name a line).

Run from the repository root:    /usr/bin/python3 weights/python/write_imagenet_classes.py

The names come from torchvision itself (torchvision.models._meta._IMAGENET_CATEGORIES, the list that
ResNet18_Weights.IMAGENET1K_V1.meta["categories"] returns), so line k is the name of logit k.
"""

import os

from torchvision.models._meta import _IMAGENET_CATEGORIES

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "multimodal", "src", "main",
                   "resources", "vecnet", "imagenet_classes.txt")


def main():
    names = list(_IMAGENET_CATEGORIES)
    assert len(names) == 1000, len(names)
    for n in names:
        assert "\n" not in n and n == n.strip(), repr(n)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(names) + "\n")
    print("wrote %d names to %s" % (len(names), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
