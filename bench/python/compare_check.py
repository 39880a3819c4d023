"""Refuse to time a peer that computes something else: compare vecnet's and ONNX Runtime's outputs with PyTorch's.

    /usr/bin/python3 bench/python/compare_check.py DIR [OUT.md]

Reads DIR/torch_ref.safetensors (compare_export.py) and DIR/vecnet_out.safetensors (vecnet.bench.peers.ParityDump):
every vecnet.<case>.t<threads> must match PyTorch's <case> elementwise within 1e-4 * max(1, |ref|); every
ort.<case> too (the check of the ONNX export). Outputs must also be finite and of the reference's size.
Prints one line per output and exits 1 on any disagreement; the table is also written to OUT.md if given.
"""

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "weights", "python"))
import safetensors_io  # noqa: E402

TOL = {"vecnet": 1e-4, "ort": 1e-4}


def check(ref, out):
    """[(output name, max |diff| / max(1,|ref|), tolerance, ok)] for every output of the dump."""
    rows = []
    for key, got in out.items():
        peer, case = key.split(".")[:2]
        want = ref[case].reshape(-1).double()
        got = got.reshape(-1).double()
        if got.numel() != want.numel():
            rows.append((key, float("inf"), TOL[peer], False))
            continue
        err = ((got - want).abs() / want.abs().clamp(min=1.0)).max().item()
        ok = err <= TOL[peer] and bool(torch.isfinite(got).all())
        rows.append((key, err, TOL[peer], ok))
    return rows


def main(argv):
    if len(argv) not in (1, 2):
        sys.exit("usage: compare_check.py DIR [OUT.md]")
    ref, _ = safetensors_io.load_file(os.path.join(argv[0], "torch_ref.safetensors"))
    out, _ = safetensors_io.load_file(os.path.join(argv[0], "vecnet_out.safetensors"))
    rows = check(ref, out)
    missing = [c for c in ref if "vecnet.%s.t1" % c not in out]
    lines = ["| output | max \\|diff\\| / max(1,\\|ref\\|) | tolerance | agrees |", "|---|---|---|---|"]
    for key, err, tol, ok in rows:
        print("parity %-24s max rel err %.2e (tol %.0e) %s" % (key, err, tol, "ok" if ok else "DISAGREES"))
        lines.append("| %s | %.2e | %.0e | %s |" % (key, err, tol, "yes" if ok else "**no**"))
    if len(argv) == 2:
        with open(argv[1], "w") as f:
            f.write("\n".join(lines) + "\n")
    if missing or not all(r[3] for r in rows):
        print("parity check FAILED%s: not timing a peer that disagrees with PyTorch"
              % (" (missing: %s)" % ", ".join(missing) if missing else ""))
        return 1
    print("parity check passed: %d outputs agree with PyTorch" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
