"""The start-up cases of bench/compare.sh: `vecnet classify` against the same job as a PyTorch script, one process per call.

    /usr/bin/python3 bench/python/compare_cold.py --dir DIR --java-homes /usr/lib/jvm/A,/usr/lib/jvm/B \\
        [--rounds 5] [--folder-rounds 2] [--pictures 500] [--append bench/RESULTS-compare.md] [--json OUT.json]

Two cases, each timed as the wall time of a whole process started from here (JVM or Python start,
imports, reading the weights, decoding, forward, printing):
- cold start: `./vecnet classify --weights DIR/resnet18.pth --image DIR/one.png` on each JDK (the
  launcher picked by JAVA_HOME) against bench/python/cold_torch.py on the same file and picture;
- folder: the same commands on a folder of --pictures pictures (default batch 8 on both sides; the
  script uses a DataLoader with one worker process), reported as pictures per second.
Rounds are interleaved (vecnet on each JDK, then PyTorch, per round) so that a burst of load on a shared
machine hits every peer alike; figures are medians with min and max. Before timing, one untimed run of
each peer fills the disk cache and lets the launcher make its start-up cache (an AOT cache on JDK 25, a CDS archive on 17; see
the vecnet script), and both peers' top-1 classes are checked to agree.

The weights are torchvision's resnet18() with seeded random weights and randomized BatchNorm statistics
(weights/python/make_resnet18.py --randomize-bn); the pictures are seeded synthetic photos (smooth colour
fields with shapes, JPEG, 500×375 and other ImageNet-like sizes) written once into DIR.
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SIZES = [(500, 375), (375, 500), (640, 480), (500, 333), (333, 500), (800, 600)]


def pictures(folder, n):
    """n seeded synthetic JPEG photos in folder (made once; reused when the folder already holds them)."""
    os.makedirs(folder, exist_ok=True)
    names = ["pic_%04d.jpg" % i for i in range(n)]
    if all(os.path.exists(os.path.join(folder, f)) for f in names):
        return
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter
    rng = np.random.default_rng(2026)
    for i, name in enumerate(names):
        w, h = SIZES[i % len(SIZES)]
        field = (rng.random((6, 8, 3)) * 255).astype("uint8")
        im = Image.fromarray(field).resize((w, h), Image.BICUBIC)
        d = ImageDraw.Draw(im)
        for _ in range(4):
            x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
            d.ellipse([x0, y0, x0 + int(rng.integers(20, w // 2)), y0 + int(rng.integers(20, h // 2))],
                      fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        im.filter(ImageFilter.GaussianBlur(1.2)).save(os.path.join(folder, name), quality=90)


def run(cmd, env=None):
    """(wall seconds, stdout) of one process; raises with its stderr if it fails."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit("%s failed (%d):\n%s" % (" ".join(cmd), r.returncode, r.stderr[-3000:]))
    return wall, r.stdout


def top1(stdout):
    """The first class index each peer prints ("(class 238, ..." for vecnet, "class 238" for the script)."""
    m = re.search(r"class (\d+)", stdout)
    return int(m.group(1)) if m else None


def jdk_name(home):
    try:
        with open(os.path.join(home, "release")) as f:
            v = re.search(r'JAVA_RUNTIME_VERSION="([^"]+)"', f.read())
        return "JDK " + (v.group(1) if v else os.path.basename(home))
    except OSError:
        return os.path.basename(home)


def wait_for_cache(timeout_s=180):
    """Waits while the launcher writes its start-up cache in the background (files vecnet-KEY.*.*)."""
    cache = os.path.join(ROOT, "multimodal", "target", "jvm-cache")
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        if not os.path.isdir(cache) or not any(f.count(".") >= 2 for f in os.listdir(cache)):
            return
        time.sleep(1)


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--java-homes", required=True, help="comma-separated JAVA_HOMEs for the launcher")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--folder-rounds", type=int, default=2)
    p.add_argument("--pictures", type=int, default=500)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--append", default="", help="markdown report to append the section to")
    p.add_argument("--json", default="")
    p.add_argument("--label", default="full")
    t = p.parse_args(argv)
    started = time.time()
    os.makedirs(t.dir, exist_ok=True)
    weights = os.path.join(t.dir, "resnet18.pth")
    if not os.path.exists(weights):
        subprocess.run([sys.executable, os.path.join(ROOT, "weights", "python", "make_resnet18.py"), weights,
                        "--randomize-bn"], check=True, stdout=subprocess.DEVNULL)
    folder = os.path.join(t.dir, "pictures_%d" % t.pictures)
    pictures(folder, t.pictures)
    one = os.path.join(t.dir, "one.png")
    if not os.path.exists(one):
        from PIL import Image
        Image.open(os.path.join(folder, "pic_0000.jpg")).save(one)

    homes = [h for h in t.java_homes.split(",") if h]
    peers = [(jdk_name(h), h) for h in homes] + [("PyTorch", None)]

    def command(home, image):
        if home is None:
            return [sys.executable, os.path.join(HERE, "cold_torch.py"), weights, image, "--batch", str(t.batch)], None
        env = dict(os.environ, JAVA_HOME=home)
        env.pop("VECNET_JAVA_OPTS", None)
        return [os.path.join(ROOT, "vecnet"), "classify", "--weights", weights, "--image", image,
                "--batch", str(t.batch)], env

    # untimed: disk cache, the launcher's start-up cache, and the answers agree
    answers = {}
    for name, home in peers:
        cmd, env = command(home, one)
        for _ in range(2 if home else 1):  # the launcher's second run uses the cache the first one made
            answers[name] = top1(run(cmd, env)[1])
            wait_for_cache()
    if len(set(answers.values())) != 1:
        raise SystemExit("the peers disagree on the top-1 class of %s: %s" % (one, answers))
    print("cold start: top-1 class %s from every peer; timing %d round(s) of one picture, %d of %d pictures"
          % (answers["PyTorch"], t.rounds, t.folder_rounds, t.pictures))
    sys.stdout.flush()

    cold, folder_s = {}, {}
    for r in range(t.rounds):
        for name, home in peers:
            cmd, env = command(home, one)
            wall = run(cmd, env)[0]
            cold.setdefault(name, []).append(wall)
            print("round %d/%d  one picture  %-28s %.2f s" % (r + 1, t.rounds, name, wall))
            sys.stdout.flush()
    for r in range(t.folder_rounds):
        for name, home in peers:
            cmd, env = command(home, folder)
            wall, out = run(cmd, env)
            if out.count("\n  1. ") != t.pictures:
                raise SystemExit("%s printed %d answers for %d pictures" % (name, out.count("\n  1. "), t.pictures))
            folder_s.setdefault(name, []).append(wall)
            print("round %d/%d  %d pictures  %-28s %.2f s  (%.1f pictures/s)"
                  % (r + 1, t.folder_rounds, t.pictures, name, wall, t.pictures / wall))
            sys.stdout.flush()

    rows = {"cold_s": {k: summary(v) for k, v in cold.items()},
            "folder_s": {k: summary(v) for k, v in folder_s.items()},
            "pictures": t.pictures, "batch": t.batch, "top1": answers["PyTorch"],
            "date": datetime.datetime.utcnow().isoformat() + "Z"}
    if t.json:
        with open(t.json, "w") as f:
            json.dump(rows, f, indent=1)
    if t.append:
        with open(t.append, "a") as f:
            f.write("\n".join(report(t, peers, rows, time.time() - started)) + "\n")
    print("cold-start cases: %.0f s" % (time.time() - started))


def report(t, peers, rows, elapsed):
    torch_cold = rows["cold_s"]["PyTorch"]["median"]
    torch_folder = rows["folder_s"]["PyTorch"]["median"]
    L = ["", "## Cold start and a folder of pictures (one process per call)", "",
         "Wall time of a whole process, started by `bench/python/compare_cold.py` (%d interleaved round(s) for one"
         " picture, %d for the folder; %.0f s in all): `./vecnet classify --weights resnet18.pth --image one.png`"
         " with the launcher on each JDK (its start-up cache made by an untimed run first), against"
         " `bench/python/cold_torch.py` doing the same job (import torch and torchvision, load the `.pth`,"
         " preprocess with torchvision's transforms, forward, print the top 5). For the folder, %d JPEG pictures"
         " in batches of %d: vecnet decodes each batch on all its threads, then computes it (the first while the weights"
         " load); the script uses a"
         " DataLoader with one worker process. Both use their default thread count (one per core). Both name the"
         " same top-1 class (%d) for the picture. Median [min–max]."
         % (t.rounds, t.folder_rounds, elapsed, t.pictures, t.batch, rows["top1"]), ""]
    if t.label == "quick":
        L += ["**Quick run: one round and %d pictures; these figures are noise.**" % t.pictures, ""]
    L += ["| peer | one picture, cold (s) | vecnet / PyTorch | %d pictures (s) | pictures/s | vecnet / PyTorch (time) |"
          % t.pictures, "|---|---|---|---|---|---|"]
    for name, _ in peers:
        c, f = rows["cold_s"][name], rows["folder_s"][name]
        ratio_c = "—" if name == "PyTorch" else "%.2f" % (c["median"] / torch_cold)
        ratio_f = "—" if name == "PyTorch" else "%.2f" % (f["median"] / torch_folder)
        label = name if name == "PyTorch" else "vecnet, " + name
        L.append("| %s | %.2f [%.2f–%.2f] | %s | %.1f [%.1f–%.1f] | %.1f | %s |"
                 % (label, c["median"], c["min"], c["max"], ratio_c, f["median"], f["min"], f["max"],
                    t.pictures / f["median"], ratio_f))
    L += ["", "The goal is a cold `vecnet classify` of one picture in at most half the PyTorch script's time"
          " (ratio ≤ 0.5) on JDK 17 and 25.", ""]
    return L


if __name__ == "__main__":
    main(sys.argv[1:])
