"""Loads a model folder written by `vecnet train` (or vecnet.multimodal.train.ModelFiles) into the
seed's MultimodalModel, from model.safetensors and from model.pth, and prints the logits of both
on given inputs: the check that PyTorch reads what Java trained.

    /usr/bin/python3 weights/python/load_java_model.py MODEL_DIR INPUTS.safetensors

INPUTS.safetensors holds "images" [N,3,H,W] float32 and "ids" [N,T] (int64 or float32 of whole
numbers; texts of equal length, so that the seed's lstm_out[:, -1] is each text's last word).
Prints one JSON object: {"safetensors": [[...], ...], "pth": [[...], ...], "keys": 127}.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import load_file  # noqa: E402
from seed_model import MultimodalModel, TinyResNet  # noqa: E402


def build(sd):
    widths = tuple(int(sd["resnet.%d.0.conv1.weight" % (4 + l)].shape[0]) for l in range(4))
    rows, dim = sd["embedding.weight"].shape
    hidden = sd["lstm.weight_hh_l0"].shape[1]
    classes = sd["fc.weight"].shape[0]
    backbone = None if widths == (64, 128, 256, 512) else TinyResNet(widths)
    return MultimodalModel(classes, backbone=backbone, num_embeddings=rows, embedding_dim=dim, hidden_size=hidden,
                           image_features=widths[3])


def logits(sd, images, ids):
    model = build(sd)
    model.load_state_dict(sd, strict=True)
    model.eval()
    with torch.no_grad():
        return model(images, ids).tolist()


def main():
    folder, inputs = sys.argv[1], sys.argv[2]
    x, _ = load_file(inputs)
    images, ids = x["images"].float(), x["ids"].long()
    st, _ = load_file(os.path.join(folder, "model.safetensors"))
    pth = torch.load(os.path.join(folder, "model.pth"))
    assert list(st) == list(pth), "the two files list different keys"
    print(json.dumps({"safetensors": logits(st, images, ids), "pth": logits(pth, images, ids), "keys": len(st)}))


if __name__ == "__main__":
    main()
