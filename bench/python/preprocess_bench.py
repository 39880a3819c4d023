#!/usr/bin/python3
"""Times Pillow + torchvision preprocessing, the Python twin of PreprocessBenchmark.java.

For each image (PNG and JPEG, 1920x1080 and 4000x3000): Image.open(f).convert('RGB'), Resize(256), CenterCrop(224), ToTensor(),
Normalize(ImageNet) -> a [3, 224, 224] float32 tensor; prints the median, min and max over N runs
in milliseconds. The images are the benchmark's own (same integer pixel formula): pass the folder
written by `java -cp bench/target/benchmarks.jar vecnet.bench.PreprocessBenchmark DIR`, or let this
script write them with Pillow (same pixels; the PNG compression, hence the decoding time, may differ
a little from ImageIO's files, so prefer the Java-written ones).

Run on an idle machine: /usr/bin/python3 bench/python/preprocess_bench.py [--dir DIR] [--runs 30] [--threads 1]
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import torch
from PIL import Image
import torchvision.transforms as T

SIZES = [(1920, 1080), (4000, 3000)]


def write_image(folder, w, h):
    """The same pixels as PreprocessBenchmark.writeImage (integer arithmetic)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    base = [255 * x // (w - 1), 255 * y // (h - 1), 255 * (x + y) // (w + h - 2)]
    chans = []
    for c in range(3):
        n = ((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) & 31
        chans.append(np.clip(base[c] + n - 16, 0, 255))
    path = os.path.join(folder, "bench_%dx%d.png" % (w, h))
    Image.fromarray(np.stack(chans, -1).astype(np.uint8)).save(path)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", help="folder holding bench_<W>x<H>.png (written here if missing)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the Java benchmark uses one thread)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    folder = args.dir or tempfile.mkdtemp(prefix="vecnet-preprocess-bench-")
    os.makedirs(folder, exist_ok=True)
    transform = T.Compose([
        T.Resize(256), T.CenterCrop(224), T.ToTensor(),
        T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
    print("torch %s, torchvision transforms, Pillow %s, %d thread(s), %d runs"
          % (torch.__version__, Image.__version__, args.threads, args.runs))
    for (w, h), ext in [(s, e) for e in ("png", "jpg") for s in SIZES]:
        path = os.path.join(folder, "bench_%dx%d.%s" % (w, h, ext))
        if not os.path.exists(path):
            if ext == "jpg":
                print("%s missing: write the images with PreprocessBenchmark DIR; skipped" % path)
                continue
            write_image(folder, w, h)
        times = []
        for i in range(args.warmup + args.runs):
            t0 = time.perf_counter()
            with Image.open(path) as im:
                x = transform(im.convert("RGB"))
            t1 = time.perf_counter()
            assert tuple(x.shape) == (3, 224, 224)
            if i >= args.warmup:
                times.append((t1 - t0) * 1000)
        print("%dx%d %s: median %.2f ms (min %.2f, max %.2f) file -> [3,224,224]"
              % (w, h, ext, statistics.median(times), min(times), max(times)))


if __name__ == "__main__":
    main()
