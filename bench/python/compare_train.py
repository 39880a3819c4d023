"""The `vecnet train` case of bench/compare.sh: the whole command against the same job as a PyTorch script (issue 12).

    /usr/bin/python3 bench/python/compare_train.py --dir DIR --java-home /usr/lib/jvm/X \\
        [--samples 128] [--epochs 2] [--batch 32] [--threads 2] [--rounds 1] [--append OUT.md] [--json OUT.json]

Data: --samples pictures of the demo's shapes data set with their questions and answers, written once
into DIR/shapes_<samples>/ by `./vecnet demo --export-shapes` (the Java generator, the same pictures as
weights/python/train_demo.py's; 256×256 PNG; train.csv holds the --samples rows used here). Model: the
seed's sizes, the image branch from DIR/resnet18.pth (torchvision resnet18, seeded random weights, made
by weights/python/make_resnet18.py as for the cold-start case), vocabulary and labels from the data.

Two modes, each timed as the wall time of a whole process started from here (JVM or Python start,
reading the manifest, decoding the pictures, feature extraction, the epochs, the checkpoint after each
epoch, writing the model):
- frozen: `./vecnet train --data train.csv --init resnet18.pth --epochs E --batch B --threads T --json`
  (image features computed once, then the text branch and the head train);
- trained: the same with `--train-image-branch all` (the whole ResNet trains, pictures decoded at each step);
against bench/python/train_torch.py with the same data, batch, epochs, optimizer (Adam, lr 1e-3), threads.
Rounds interleave the peers (vecnet then PyTorch, per mode, per round). Before timing, one untimed run of
each peer on 8 rows fills the disk cache (and lets the launcher build its jars if they are stale).
Figures: wall seconds, samples per second end to end (samples × epochs / wall), and the training loop's
samples per second (samples × epochs / the sum of the epochs' own seconds, which each peer reports).
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODES = ("frozen", "trained")


def run(cmd, env=None):
    """(wall seconds, [epoch JSON objects]) of one process; raises with its output if it fails."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit("%s failed (%d):\n%s\n%s" % (" ".join(cmd), r.returncode, r.stdout[-2000:], r.stderr[-3000:]))
    epochs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    return wall, epochs


def shapes(directory, samples, java_home):
    """DIR/shapes_<samples>/train.csv with `samples` rows (exported once by the vecnet CLI)."""
    folder = os.path.join(directory, "shapes_%d" % samples)
    manifest = os.path.join(folder, "train.csv")
    if os.path.exists(manifest) and sum(1 for _ in open(manifest)) == samples + 1:
        return manifest
    count = samples * 5 // 4
    while count * 4 // 5 < samples:            # train.csv holds the first 80 % of the exported pictures
        count += 1
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([os.path.join(ROOT, "vecnet"), "demo", "--export-shapes", folder, "--count", str(count)],
                   check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, JAVA_HOME=java_home))
    with open(manifest) as f:
        lines = f.read().splitlines()
    if len(lines) != samples + 1:
        raise SystemExit("%s has %d rows, expected %d" % (manifest, len(lines) - 1, samples))
    return manifest


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--java-home", required=True)
    p.add_argument("--samples", type=int, default=128)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--append", default="", help="markdown report to append the section to")
    p.add_argument("--json", default="")
    p.add_argument("--label", default="full")
    t = p.parse_args(argv)
    started = time.time()
    weights = os.path.join(t.dir, "resnet18.pth")
    if not os.path.exists(weights):
        subprocess.run([sys.executable, os.path.join(ROOT, "weights", "python", "make_resnet18.py"), weights,
                        "--randomize-bn"], check=True, stdout=subprocess.DEVNULL)
    manifest = shapes(t.dir, t.samples, t.java_home)
    mini = os.path.join(os.path.dirname(manifest), "mini.csv")
    with open(manifest) as f, open(mini, "w") as m:
        m.write("".join(f.readlines()[:9]))
    out_root = os.path.join(t.dir, "train_out")
    env = dict(os.environ, JAVA_HOME=t.java_home)
    env.pop("VECNET_JAVA_OPTS", None)

    def command(peer, mode, data, epochs, batch):
        out = os.path.join(out_root, "%s-%s" % (peer, mode))
        shutil.rmtree(out, ignore_errors=True)
        common = ["--data", data, "--init", weights, "--epochs", str(epochs), "--batch", str(batch),
                  "--threads", str(t.threads), "--seed", "0", "--out", out]
        if peer == "vecnet":
            cmd = [os.path.join(ROOT, "vecnet"), "train"] + common + ["--json"]
            cmd += ["--train-image-branch", "all"] if mode == "trained" else []
            return cmd, env
        cmd = [sys.executable, os.path.join(HERE, "train_torch.py")] + common
        cmd += ["--train-image-branch"] if mode == "trained" else []
        return cmd, None

    for peer in ("vecnet", "PyTorch"):   # untimed: disk cache, the launcher's jars
        run(*command(peer, "frozen", mini, 1, 8))
    print("vecnet train vs PyTorch: %d samples, %d epoch(s), batch %d, %d thread(s), %d round(s)"
          % (t.samples, t.epochs, t.batch, t.threads, t.rounds))
    sys.stdout.flush()

    got = {}   # (mode, peer) -> [(wall, epochs)]
    for r in range(t.rounds):
        for mode in MODES:
            for peer in ("vecnet", "PyTorch"):
                wall, epochs = run(*command(peer, mode, manifest, t.epochs, t.batch))
                if len(epochs) != t.epochs or any(e["samples"] != t.samples for e in epochs):
                    raise SystemExit("%s %s reported %s, expected %d epochs of %d samples"
                                     % (peer, mode, epochs, t.epochs, t.samples))
                got.setdefault((mode, peer), []).append((wall, epochs))
                loop = sum(e["seconds"] for e in epochs)
                print("round %d/%d  %-7s %-7s wall %.1f s, epochs %s s, last loss %.4f"
                      % (r + 1, t.rounds, mode, peer, wall, " + ".join("%.1f" % e["seconds"] for e in epochs),
                         epochs[-1]["loss"]))
                sys.stdout.flush()

    shutil.rmtree(out_root, ignore_errors=True)   # a few hundred MB of models and checkpoints
    work = t.samples * t.epochs
    rows = []
    for mode in MODES:
        for peer in ("vecnet", "PyTorch"):
            runs = got[(mode, peer)]
            rows.append({"mode": mode, "peer": peer,
                         "wall_s": summary([w for w, _ in runs]),
                         "loop_s": summary([sum(e["seconds"] for e in ep) for _, ep in runs]),
                         "last_loss": [ep[-1]["loss"] for _, ep in runs]})
    result = {"rows": rows, "samples": t.samples, "epochs": t.epochs, "batch": t.batch, "threads": t.threads,
              "rounds": t.rounds, "date": datetime.datetime.utcnow().isoformat() + "Z"}
    if t.json:
        with open(t.json, "w") as f:
            json.dump(result, f, indent=1)
    if t.append:
        with open(t.append, "a") as f:
            f.write("\n".join(report(t, rows, work, time.time() - started)) + "\n")
    print("vecnet train cases: %.0f s" % (time.time() - started))


def report(t, rows, work, elapsed):
    by = {(r["mode"], r["peer"]): r for r in rows}
    L = ["", "## `vecnet train` end to end (one process per run)", "",
         "Wall time of a whole training process, started by `bench/python/compare_train.py` (%d round(s), vecnet"
         " then PyTorch in each, per mode; %.0f s in all): `./vecnet train --data train.csv --init resnet18.pth"
         " --epochs %d --batch %d --threads %d --json` on %d pictures of the demo's shapes data set (256×256 PNG"
         " written by `./vecnet demo --export-shapes`, each with its question and answer), the seed's model"
         " sizes (ResNet-18 from seeded random torchvision weights, embedding 300, LSTM 256), Adam (lr 1e-3),"
         " shuffled batches; **frozen**: the default (image features computed once, in eval mode, then the text"
         " branch and head train), **trained**: `--train-image-branch all` (every parameter, the ResNet in training"
         " mode, pictures decoded at each step). Against `bench/python/train_torch.py` doing the same job as a"
         " PyTorch user would write it (the same data, vocabulary, labels, model, batch, epochs, optimizer,"
         " threads; frozen features under `no_grad` in batches of %d; packed texts; a checkpoint of model and"
         " optimizer after each epoch, the model at the end). vecnet also checks that every picture decodes"
         " before training and writes `model.safetensors` and `model.pth` after each epoch, with fsync."
         " Wall time includes JVM or Python start-up, decoding, feature extraction and writing; the training"
         " loop is the epochs' own time as each peer reports it. Samples/s = %d samples × %d epoch(s) / time."
         " Median [min–max]."
         % (t.rounds, elapsed, t.epochs, t.batch, t.threads, t.samples, t.batch, t.samples, t.epochs), ""]
    if t.label == "quick":
        L += ["**Quick run: %d samples; these figures are noise.**" % t.samples, ""]
    L += ["| image branch | peer | wall (s) | samples/s end to end | vecnet / PyTorch (wall) | training loop (s)"
          " | samples/s in the loop | last epoch's loss |", "|---|---|---|---|---|---|---|---|"]
    for mode in MODES:
        for peer in ("vecnet", "PyTorch"):
            r = by[(mode, peer)]
            w, lp = r["wall_s"], r["loop_s"]
            ratio = "—" if peer == "PyTorch" else "%.2f" % (w["median"] / by[(mode, "PyTorch")]["wall_s"]["median"])
            L.append("| %s | %s | %.1f [%.1f–%.1f] | %.1f | %s | %.1f [%.1f–%.1f] | %.1f | %s |"
                     % (mode, peer, w["median"], w["min"], w["max"], work / w["median"], ratio, lp["median"], lp["min"],
                        lp["max"], work / lp["median"], ", ".join("%.3f" % x for x in r["last_loss"])))
    L += ["", "Issue 12's target: faster than PyTorch with the image branch frozen, no slower with it trained"
          " (ratio ≤ 1). The losses differ because each side draws its own initial text-branch weights and"
          " shuffling; they show both runs learn on the same data.", ""]
    return L


if __name__ == "__main__":
    main(sys.argv[1:])
