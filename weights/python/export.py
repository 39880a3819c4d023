"""Export a PyTorch checkpoint of the seed model (or any state_dict) to safetensors, for vecnet.

    /usr/bin/python3 weights/python/export.py model.pth out.safetensors [--unsafe-pickle]

Accepts what people save after training:
  * torch.save(model.state_dict(), 'model.pth')                     (a state_dict)
  * torch.save({'epoch': .., 'state_dict' or 'model': .., ...}, ..)  (a checkpoint dict; unwrapped)
  * keys prefixed 'module.' by nn.DataParallel / DistributedDataParallel (prefix removed)
  * torch.save(model, ..) (a whole nn.Module) only with --unsafe-pickle, because loading it runs arbitrary
    pickled code; by default the file is opened with torch.load(weights_only=True).
Storages saved on a GPU are mapped to the CPU. Shared or strided tensors are written as contiguous copies.
The output is read back and every tensor is checked bit for bit (dtype, shape, bytes) before a summary is
printed. vecnet reads both the .pth and the .safetensors; safetensors needs no pickle at all.
"""

import argparse
import os
import sys
from collections import Counter, OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def load_state_dict(path, unsafe_pickle=False):
    """Load `path` and return (OrderedDict name -> tensor, notes about what was unwrapped)."""
    notes = []
    obj = torch.load(path, map_location="cpu", weights_only=not unsafe_pickle)
    for _ in range(3):
        if isinstance(obj, torch.nn.Module):
            notes.append("took %s.state_dict()" % type(obj).__name__)
            obj = obj.state_dict()
        if isinstance(obj, dict) and not any(isinstance(v, torch.Tensor) for v in obj.values()):
            for key in ("state_dict", "model", "model_state_dict", "net"):
                if key in obj and isinstance(obj[key], (dict, torch.nn.Module)):
                    notes.append("unwrapped checkpoint key '%s' (other keys: %s)"
                                 % (key, ", ".join(sorted(str(k) for k in obj if k != key)) or "none"))
                    obj = obj[key]
                    break
            else:
                break
        else:
            break
    if not isinstance(obj, dict):
        raise SystemExit("%s: expected a state_dict (a dict of tensors), found %s" % (path, type(obj).__name__))
    tensors = OrderedDict()
    skipped = []
    for k, v in obj.items():
        if isinstance(v, torch.Tensor):
            tensors[str(k)] = v.detach()
        else:
            skipped.append(str(k))
    if skipped:
        notes.append("skipped %d non-tensor entries: %s" % (len(skipped), ", ".join(skipped[:8])))
    if not tensors:
        raise SystemExit("%s: no tensors found" % path)
    for prefix in ("module.",):
        if all(k.startswith(prefix) for k in tensors):
            tensors = OrderedDict((k[len(prefix):], v) for k, v in tensors.items())
            notes.append("removed the '%s' prefix (DataParallel)" % prefix)
    return tensors, notes


def describe_layout(tensors):
    """One line saying whether the keys are the seed model's or torchvision resnet18's."""
    try:
        from seed_model import MultimodalModel
    except ImportError:
        return "layout not checked (torchvision missing)"
    keys = list(tensors)
    if "fc.weight" in tensors and "embedding.weight" in tensors:
        num_classes = tensors["fc.weight"].shape[0]
        ref = MultimodalModel(num_classes).state_dict()
        missing = [k for k in ref if k not in tensors]
        extra = [k for k in keys if k not in ref]
        bad = [k for k in ref if k in tensors and tuple(ref[k].shape) != tuple(tensors[k].shape)]
        if not (missing or extra or bad):
            return "the seed MultimodalModel(num_classes=%d): all %d keys and shapes match" % (num_classes, len(ref))
        if not (missing or extra):
            return ("the seed model's %d keys, but %d shapes differ from MultimodalModel(num_classes=%d) "
                    "(a resized variant?), first: %s" % (len(ref), len(bad), num_classes, ", ".join(bad[:3])))
        return ("seed-model-like but differs: %d missing (%s), %d unexpected (%s), %d shape mismatches (%s)"
                % (len(missing), ", ".join(missing[:4]), len(extra), ", ".join(extra[:4]), len(bad), ", ".join(bad[:4])))
    if "conv1.weight" in tensors and "layer4.1.bn2.running_var" in tensors:
        return "a torchvision ResNet (conv1/layer1-4 naming; vecnet maps conv1->resnet.0, bn1->resnet.1, layerN->resnet.N+3)"
    return "not a layout vecnet knows by name"


def main(argv=None):
    p = argparse.ArgumentParser(description="Convert a PyTorch .pth state_dict or checkpoint to safetensors.")
    p.add_argument("src", help="model.pth (state_dict, checkpoint dict, or DataParallel state_dict)")
    p.add_argument("dst", help="out.safetensors")
    p.add_argument("--unsafe-pickle", action="store_true",
                   help="allow a pickled nn.Module or other objects (runs code from the file: only for files you trust)")
    args = p.parse_args(argv)
    try:
        tensors, notes = load_state_dict(args.src, args.unsafe_pickle)
    except Exception as e:   # a pickle error from weights_only loading is the common case worth explaining
        if isinstance(e, SystemExit):
            raise
        raise SystemExit("%s: cannot load with torch.load(weights_only=%s): %s%s" % (
            args.src, not args.unsafe_pickle, e,
            "" if args.unsafe_pickle else "\n(if this file holds a whole pickled model and you trust it, add --unsafe-pickle)"))
    for k, v in tensors.items():
        if v.dtype not in safetensors_io._BY_TORCH:
            raise SystemExit("%s: tensor %r has dtype %s, which safetensors_io does not write" % (args.src, k, v.dtype))
    out = OrderedDict((k, v.contiguous().clone()) for k, v in tensors.items())
    n = safetensors_io.save_file(out, args.dst, {"format": "pt"})
    back, meta = safetensors_io.load_file(args.dst)
    if set(back) != set(out):
        raise SystemExit("read-back failed: key sets differ")
    for k, v in out.items():
        b = back[k]
        if b.dtype != v.dtype or tuple(b.shape) != tuple(v.shape) or \
                safetensors_io.tensor_bytes(b) != safetensors_io.tensor_bytes(v):
            raise SystemExit("read-back failed for %r" % k)
    dtypes = Counter(safetensors_io.dtype_name(v) for v in out.values())
    elements = sum(v.numel() for v in out.values())
    print("read %s (%d bytes)" % (args.src, os.path.getsize(args.src)))
    for note in notes:
        print("  " + note)
    print("wrote %s: %d tensors, %d elements, %d bytes (%s)" % (
        args.dst, len(out), elements, n, ", ".join("%s x%d" % kv for kv in sorted(dtypes.items()))))
    print("read back: all %d tensors bit-identical" % len(out))
    print("layout: " + describe_layout(out))


if __name__ == "__main__":
    main()
