"""Write the models, inputs and PyTorch reference outputs that bench/compare.sh times on every peer.

    /usr/bin/python3 bench/python/compare_export.py OUT_DIR

The same weights reach all three peers: PyTorch builds the models (seeded), saves their state_dicts as
safetensors (what vecnet loads) and exports the same modules to ONNX (what ONNX Runtime loads):

    resnet18.safetensors / resnet18.onnx   torchvision resnet18(weights=None), torch.manual_seed(0), BatchNorm
                                           statistics and affine randomized (else eval BN is the identity);
                                           ONNX input "image" (N,3,224,224) with a dynamic N, output "logits"
    fusion.safetensors / fusion_t16.onnx   the seed's MultimodalModel(num_classes=10), seed 0, BN randomized;
                                           inputs "image" (1,3,224,224), "text" (1,16) int64; output "logits"
    text_t16.onnx, text_t128.onnx          its text branch alone: Embedding -> LSTM -> output at the last token,
                                           input "text" (1,T) int64, output "features" (1,256)
    inputs.safetensors                     image_b1, image_b8 (N(0,1) pixels), tokens_16, tokens_128 (I64 ids
                                           in [0,10000)), gemm_a, gemm_b (1024,1024) U(-1,1)
    torch_ref.safetensors                  PyTorch's output for every case (gemm in float64, cast to float32)

ONNX opset 13, exported by torch.onnx.export in eval mode. Same arguments give the same tensors.
"""

import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "weights", "python"))
import safetensors_io  # noqa: E402
from make_resnet18 import build  # noqa: E402

OPSET = 13
GEMM = 1024


class TextBranch(torch.nn.Module):
    """The fusion model's text features: text (N,T) int64 -> lstm(embedding(text))[0][:, -1, :] (N,256)."""

    def __init__(self, model):
        super().__init__()
        self.embedding = model.embedding
        self.lstm = model.lstm

    def forward(self, text):
        out, _ = self.lstm(self.embedding(text))
        return out[:, -1, :]


def models():
    """(resnet18, fusion model, text branch), eval mode, seeded."""
    resnet = build(seed_model=False, seed=0, randomize_bn=True)
    fusion = build(seed_model=True, seed=0, randomize_bn=True)
    return resnet, fusion, TextBranch(fusion).eval()


def inputs():
    g = torch.Generator().manual_seed(1234)
    return {
        "image_b1": torch.randn(1, 3, 224, 224, generator=g),
        "image_b8": torch.randn(8, 3, 224, 224, generator=g),
        "tokens_16": torch.randint(0, 10000, (1, 16), generator=g, dtype=torch.int64),
        "tokens_128": torch.randint(0, 10000, (1, 128), generator=g, dtype=torch.int64),
        "gemm_a": torch.rand(GEMM, GEMM, generator=g) * 2 - 1,
        "gemm_b": torch.rand(GEMM, GEMM, generator=g) * 2 - 1,
    }


def reference(resnet, fusion, text, x):
    """PyTorch's output of every case on the inputs x."""
    with torch.inference_mode():
        return {
            "resnet18_b1": resnet(x["image_b1"]),
            "resnet18_b8": resnet(x["image_b8"]),
            "fusion_t16": fusion(x["image_b1"], x["tokens_16"]),
            "text_t16": text(x["tokens_16"]),
            "text_t128": text(x["tokens_128"]),
            "gemm_1024": torch.mm(x["gemm_a"].double(), x["gemm_b"].double()).float(),
        }


def export(module, args, path, input_names, output_names, dynamic_axes=None):
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)


def main(argv):
    if len(argv) != 1:
        sys.exit("usage: compare_export.py OUT_DIR")
    out = argv[0]
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    resnet, fusion, text = models()
    x = inputs()
    safetensors_io.save_file(resnet.state_dict(), os.path.join(out, "resnet18.safetensors"), {"format": "pt"})
    safetensors_io.save_file(fusion.state_dict(), os.path.join(out, "fusion.safetensors"), {"format": "pt"})
    safetensors_io.save_file(x, os.path.join(out, "inputs.safetensors"))
    export(resnet, (x["image_b1"],), os.path.join(out, "resnet18.onnx"), ["image"], ["logits"],
           {"image": {0: "batch"}, "logits": {0: "batch"}})
    export(fusion, (x["image_b1"], x["tokens_16"]), os.path.join(out, "fusion_t16.onnx"), ["image", "text"], ["logits"])
    export(text, (x["tokens_16"],), os.path.join(out, "text_t16.onnx"), ["text"], ["features"])
    export(text, (x["tokens_128"],), os.path.join(out, "text_t128.onnx"), ["text"], ["features"])
    # last, so that its presence means a complete export (compare.sh reuses a complete, up-to-date one)
    safetensors_io.save_file(reference(resnet, fusion, text, x), os.path.join(out, "torch_ref.safetensors"))
    print("exported models, inputs and PyTorch references to %s (%.1f s)" % (out, time.time() - t0))


if __name__ == "__main__":
    main(sys.argv[1:])
