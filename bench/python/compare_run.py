"""The timing half of bench/compare.sh: vecnet, PyTorch and ONNX Runtime, interleaved, then the report and chart.

    /usr/bin/python3 bench/python/compare_run.py --dir DIR --jar bench/target/benchmarks.jar \\
        [--rounds 3] [--threads 1,2] [--warmup 2 --warmup-s 1.5 --iters 3 --iter-s 1.5] \\
        [--parity PARITY.md] [--out bench/RESULTS-compare.md] [--svg bench/compare.svg]

For each round, for each case: vecnet (JMH, peers.VecnetBenchmark), PyTorch (compare_torch.py, one
worker for the run) and ONNX Runtime (JMH, peers.OrtBenchmark) run one after the other, each at every
thread count in turn, so that a burst of load on a shared machine hits every peer of a case alike. Each
JMH run is its own JVM (JMH -f 0 inside a fresh `java`, the JVM flags given to that java; its first trial
pays the JIT warm-up, which for the Vector API kernels is seconds); every peer does the same warm-up and
measurement iterations (AverageTime: mean ms per call over an iteration). A case's figure
is the median over all its measurement iterations of all rounds, with their min and max; the ratio is
vecnet's median / the peer's median (below 1: vecnet is faster). With more than one round the report also
gives vecnet / ONNX Runtime round by round (each round's medians, the JSON's "rounds"): the host's speed
moves from minute to minute, and a case whose rounds fall on both sides of 1 is not decided by the run.

The training cases (TRAIN_CASES: one optimizer step each) run vecnet's own JMH benchmarks
(TrainStepBenchmark, DemoTrainStepBenchmark, ResNet18TrainingBenchmark) against the PyTorch peer scripts'
same step (compare_torch.py's TRAINING), with their own, longer iterations (--train-*: a step takes
from tens of milliseconds to seconds, and the first seconds of a JVM compile the Vector API kernels);
ONNX Runtime does not train.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_chart  # noqa: E402

CASES = ["resnet18_b1", "resnet18_b8", "fusion_t16", "text_t16", "text_t128", "gemm_1024",
         "train_fusion_frozen", "train_demo_e2e", "train_resnet18_b8"]
LABELS = {
    "resnet18_b1": "ResNet-18, batch 1",
    "resnet18_b8": "ResNet-18, batch 8",
    "fusion_t16": "fusion model, batch 1, 16 tokens",
    "text_t16": "text branch, 16 tokens",
    "text_t128": "text branch, 128 tokens",
    "gemm_1024": "sgemm 1024³",
    "gemm_1024_avx512": "sgemm 1024³, OpenBLAS's AVX-512 kernel",
    "train_fusion_frozen": "train: fusion (frozen), batch 32",
    "train_demo_e2e": "train: demo end to end, batch 32",
    "train_resnet18_b8": "train: ResNet-18, batch 8",
}
# training case -> (vecnet's JMH benchmark method, its fixed parameters)
TRAIN_CASES = {
    "train_fusion_frozen": ("vecnet.bench.TrainStepBenchmark.step", ["optimizer=adam"]),
    "train_demo_e2e": ("vecnet.bench.DemoTrainStepBenchmark.step", []),
    "train_resnet18_b8": ("vecnet.bench.ResNet18TrainingBenchmark.step", ["batch=8"]),
}
PEERS = ["vecnet", "PyTorch", "ONNX Runtime"]
# Debian's OpenBLAS 0.3.21 does not know AMD's Zen 4 and Zen 5 and runs its AVX2 (Haswell) kernels there; on a
# host with AVX-512 the case gemm_1024_avx512 times torch.mm again in a second PyTorch process whose OpenBLAS is
# told to use its AVX-512 kernels (vecnet runs gemm_1024 again beside it, so the ratio is from the same minutes).
AVX512_CORETYPE = "SkylakeX"
LOCK_WAIT_S = 600


def intel_cpu():
    """Whether /proc/cpuinfo names an Intel CPU."""
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("vendor_id") and "GenuineIntel" in line for line in f)
    except OSError:
        return False


# On Intel CPUs, integers spilled to the stack rather than to vector registers, as ./vecnet runs its JVM
# (see the launcher and bench/RESULTS.md). Every array on a 64-byte line, so that the kernels' packed
# panels and scratch arrays, which start their data 48 bytes in (VectorGemm.PAD), are read one cache line
# per 512-bit load (README, Benchmarks, "On an Intel AVX-512 host"); the launcher does not pass this one, since the JDK's CDS
# archive, which its start-up cache builds on, cannot be mapped with it.
JVM_FLAGS = ["--add-modules=jdk.incubator.vector", "-Xmx4g", "-XX:ObjectAlignmentInBytes=64"] + (
    ["-XX:-UseFPUForSpilling"] if intel_cpu() else [])


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


class TorchWorker:
    def __init__(self, directory, env=None):
        self.p = subprocess.Popen([sys.executable, os.path.join(HERE, "compare_torch.py"), directory],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ, **(env or {})))

    def ask(self, req):
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        ans = json.loads(self.p.stdout.readline() or '{"error": "the PyTorch worker died"}')
        if "error" in ans:
            raise SystemExit("PyTorch worker: " + ans["error"])
        return ans

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def jmh(args, bench, case, threads, t):
    """{threads: measurement iterations (ms)} of one JMH run of peers.<bench> on one case (or, for a training
    case, of its own benchmark), every thread count in the same JVM one after the other (the first trial pays
    the JIT warm-up, the next ones reuse its code)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    if case in TRAIN_CASES:
        method, fixed = TRAIN_CASES[case]
        params = fixed
    else:
        method, params = "vecnet.bench.peers.%s.forward" % bench, ["name=" + case, "dir=" + args.dir]
        if bench == "VecnetBenchmark":
            params = params + ["jitWarmup=%g" % t.jit_warmup_s]
    cmd = [args.java] + JVM_FLAGS + ["-jar", args.jar, "^%s$" % method.replace(".", "\\."),
                                     "-f", "0", "-foe", "true", "-tu", "ms",
                                     "-wi", str(t.warmup), "-w", "%dms" % (t.warmup_s * 1000),
                                     "-i", str(t.iters), "-r", "%dms" % (t.iter_s * 1000),
                                     "-p", "threads=" + ",".join(map(str, threads)), "-rf", "json", "-rff", out]
    for p in params:
        cmd[-4:-4] = ["-p", p]
    for attempt in range(LOCK_WAIT_S // 5 + 1):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0 or "Unable to acquire the JMH lock" not in r.stdout + r.stderr:
            break
        if attempt == 0:
            print("another JMH run holds /tmp/jmh.lock (someone else is benchmarking): waiting up to %d s"
                  % LOCK_WAIT_S)
            sys.stdout.flush()
        time.sleep(5)
    try:
        if r.returncode != 0:
            raise SystemExit("%s %s failed:\n%s\n%s" % (bench, case, r.stdout[-3000:], r.stderr[-3000:]))
        with open(out) as f:
            res = json.load(f)
        got = {int(x["params"]["threads"]): [v for fork in x["primaryMetric"]["rawData"] for v in fork] for x in res}
        if sorted(got) != sorted(threads):
            raise SystemExit("%s %s: JMH results for threads %s, expected %s:\n%s"
                             % (bench, case, sorted(got), threads, r.stdout[-3000:]))
        return got
    finally:
        os.unlink(out)


def timing(t, case):
    """The iterations of a case: the training cases' own (--train-*), else the common ones."""
    if case not in TRAIN_CASES:
        return t
    return argparse.Namespace(warmup=t.train_warmup, warmup_s=t.train_warmup_s, iters=t.train_iters,
                              iter_s=t.train_iter_s, jit_warmup_s=0)


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def round_ratios(by_round, case, th):
    """{peer: [vecnet's median / the peer's median, one per round]}: each round's peers ran minutes apart at most,
    so these ratios show how far the host moved the verdict from round to round."""
    mine = by_round.get((case, th, "vecnet"))
    out = {}
    for peer in PEERS[1:]:
        theirs = by_round.get((case, th, peer))
        if mine and theirs:
            out[peer] = [statistics.median(a) / statistics.median(b) for a, b in zip(mine, theirs)]
    return out


def fmt(ms):
    return "%.3g" % ms if ms < 100 else "%.0f" % ms


def machine():
    model = sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor()
    flags = sh("grep -m1 -o -w -E 'avx2|avx512f|fma' /proc/cpuinfo | sort -u | tr '\\n' ' '")
    kb = sh("sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo")
    ram = "%.0f GiB RAM" % (int(kb) / 2 ** 20) if kb.isdigit() else "RAM ?"
    return "%s; %s logical CPUs (nproc), %s; %s; %s" % (model, sh("nproc"), flags.strip() or "?", ram, platform.platform())


def core_speeds(java, jar):
    """Each logical CPU's speed alone (vecnet.bench.CoreSpeed pinned with taskset): "cpuN F/B" with F the vector
    FMA GFLOP/s and B the GB/s read from its L2 cache. A VM's CPUs can differ for minutes at a time (another tenant
    on one physical core), which makes one-thread figures bimodal from JVM to JVM and slows two-thread steps."""
    if not sh("command -v taskset"):
        return "not measured (no taskset)"
    out = []
    for cpu in range(int(sh("nproc") or "1")):
        r = sh("taskset -c %d %s %s -cp %s vecnet.bench.CoreSpeed 1 2>/dev/null" % (cpu, java, " ".join(JVM_FLAGS), jar))
        out.append("cpu%d %s" % (cpu, "/".join(r.split()) if len(r.split()) == 2 else "?"))
    return ", ".join(out)


def load():
    """The 1, 5 and 15 minute load averages (another process using the CPUs shows here)."""
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--jar", required=True)
    p.add_argument("--java", default="java")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--warmup-s", type=float, default=1.5)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--iter-s", type=float, default=1.5)
    p.add_argument("--train-warmup", type=int, default=3, help="training cases: warm-up iterations")
    p.add_argument("--train-warmup-s", type=float, default=3.0)
    p.add_argument("--train-iters", type=int, default=3, help="training cases: measured iterations")
    p.add_argument("--train-iter-s", type=float, default=3.0)
    p.add_argument("--jit-warmup-s", type=float, default=6.0,
                   help="vecnet only: untimed calls before JMH's warm-up at each thread count (C2 compiling the Vector API,"
                        " then the paths of that thread count)")
    p.add_argument("--configs", default="", help="file with the vecnet/ORT configuration lines (ParityDump)")
    p.add_argument("--parity", default="", help="markdown table written by compare_check.py")
    p.add_argument("--out", default="bench/RESULTS-compare.md")
    p.add_argument("--svg", default="bench/compare.svg")
    p.add_argument("--label", default="full")
    t = p.parse_args(argv)
    args = t
    threads = [int(x) for x in t.threads.split(",")]
    cases = t.cases.split(",")
    cores_before = core_speeds(t.java, t.jar)
    started = time.time()
    load_before = load()

    torch = TorchWorker(t.dir)
    torch_avx512 = TorchWorker(t.dir, {"OPENBLAS_CORETYPE": AVX512_CORETYPE}) if "gemm_1024_avx512" in cases else None
    if torch_avx512:
        torch_avx512.ask({"op": "config"})  # its import of torch (seconds of CPU) done before anything is timed
    torch_config = torch.ask({"op": "config"})["config"]
    configs = open(t.configs).read().strip().splitlines() if t.configs else []
    configs = [c for c in configs if c.startswith(("vecnet:", "ort:"))]
    jdk = sh("%s -version 2>&1 | head -2 | tr '\\n' ' '" % t.java)
    print("peer configuration:")
    print("  torch:  " + torch_config)
    for c in configs:
        print("  " + c)
    print("  JMH/JVM: %s %s" % (jdk, " ".join(JVM_FLAGS)))
    print("  timing: %d round(s) x (warm-up %d x %.1fs, measure %d x %.1fs) per peer, case and thread count;"
          " vecnet: %.0f s of untimed JIT warm-up calls first, at each thread count; training cases: warm-up %d x %.1fs,"
          " measure %d x %.1fs"
          % (t.rounds, t.warmup, t.warmup_s, t.iters, t.iter_s, t.jit_warmup_s, t.train_warmup, t.train_warmup_s,
             t.train_iters, t.train_iter_s))
    sys.stdout.flush()

    by_round = {}  # (case, threads, peer) -> [[ms of round 1], [ms of round 2], ...]
    for r in range(t.rounds):
        for case in cases:
            ct = timing(t, case)
            for peer in PEERS:
                if peer == "ONNX Runtime" and (case.startswith("gemm_1024") or case in TRAIN_CASES):
                    continue
                t0 = time.time()
                same = "gemm_1024" if case == "gemm_1024_avx512" else case
                if peer == "vecnet":
                    got = jmh(args, "VecnetBenchmark", same, threads, ct)
                elif peer == "ONNX Runtime":
                    got = jmh(args, "OrtBenchmark", case, threads, ct)
                else:
                    worker = torch_avx512 if case == "gemm_1024_avx512" else torch
                    got = {th: worker.ask({"op": "time", "case": same, "threads": th, "warmup": ct.warmup,
                                           "warmup_s": ct.warmup_s, "iters": ct.iters, "iter_s": ct.iter_s})["ms"]
                           for th in threads}
                for th in threads:
                    by_round.setdefault((case, th, peer), []).append(got[th])
                print("round %d/%d  %-12s %-13s %s  (run %.1f s, %.0f s elapsed)" % (
                    r + 1, t.rounds, case, peer, "  ".join("%dT: %s ms" % (th, " ".join(fmt(x) for x in got[th]))
                                                           for th in threads), time.time() - t0, time.time() - started))
                sys.stdout.flush()
    torch.close()
    if torch_avx512:
        torch_avx512.close()

    rows = []
    for case in cases:
        for th in threads:
            row = {"case": case, "label": LABELS[case], "threads": th, "peers": {}}
            for peer in PEERS:
                if (case, th, peer) in by_round:
                    row["peers"][peer] = summary([ms for rnd in by_round[(case, th, peer)] for ms in rnd])
            row["rounds"] = round_ratios(by_round, case, th)
            rows.append(row)
    elapsed = time.time() - started
    with open(os.path.splitext(t.out)[0] + ".json", "w") as f:
        json.dump({"rows": rows, "date": datetime.datetime.utcnow().isoformat() + "Z"}, f, indent=1)
    compare_chart.write(rows, t.svg, "vecnet vs PyTorch vs ONNX Runtime — median ms per call, shorter is faster"
                        " (%s CPUs%s)" % (sh("nproc"), ", quick run: noise" if t.label == "quick" else ""))
    t.load = (load_before, load())
    t.cores = (cores_before, core_speeds(t.java, t.jar))
    write_report(t, rows, torch_config, configs, jdk, elapsed)
    print("wrote %s and %s (%.0f s of timing)" % (t.out, t.svg, elapsed))


def openblas_core(torch_config):
    """The core type in OpenBLAS's configuration string ("OpenBLAS 0.3.21 ... Haswell MAX_THREADS=64"), or '?'."""
    m = re.search(r"\[OpenBLAS [^\]]*?(\w+) MAX_THREADS", torch_config)
    return m.group(1) if m else "?"


def write_report(t, rows, torch_config, configs, jdk, elapsed):
    now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    L = ["# vecnet compared with PyTorch and ONNX Runtime", "",
         "Written by `bench/compare.sh%s` on %s. Only ratios measured in one run count: the machine is"
         " shared and its absolute speed varies from run to run." % (" --quick" if t.label == "quick" else "", now), ""]
    if t.label == "quick":
        L += ["**Quick run: one round of very short iterations, to check the plumbing. These figures are noise;"
              " run `bench/compare.sh` for the real comparison.**", ""]
    L += [
         "![chart](%s)" % os.path.relpath(t.svg, os.path.dirname(os.path.abspath(t.out))), "",
         "## Machine and peers", "",
         "- machine: " + machine(),
         "- JDK (vecnet and ONNX Runtime Java): %s; JVM flags %s; JMH 1.37 with -f 0 inside one fresh JVM per"
         " case and round (started with the flags of the benchmarks' @Fork; JMH's compiler hints are then off,"
         " which matters for nanosecond benchmarks, not for these millisecond calls)" % (jdk, " ".join(JVM_FLAGS))]
    for c in configs:
        L.append("- " + " ".join(c.replace("ort:", "ONNX Runtime:", 1).split()))
    L += ["- PyTorch: " + torch_config,
          "- timing: %d round(s); in each round, for each case, vecnet, PyTorch and ONNX Runtime run one after"
          " the other, each at %s threads in turn (one JVM per case and round for vecnet and ONNX Runtime, one Python"
          " process for the whole run for PyTorch); each run does %d warm-up iterations of %.1f s and %d measured iterations of"
          " %.1f s (mean time per call in an iteration, as JMH's AverageTime); figures are the median, min and max"
          " over all measured iterations of all rounds (%.0f s of timing in all). Training cases: %d warm-up"
          " iterations of %.1f s and %d measured iterations of %.1f s, no separate JIT warm-up."
          % (t.rounds, " then ".join(t.threads.split(",")), t.warmup, t.warmup_s, t.iters, t.iter_s, elapsed,
             t.train_warmup, t.train_warmup_s, t.train_iters, t.train_iter_s),
          "- load average (1/5/15 min) before timing %s, after %s: on %s CPUs, anything above about 0.5 before"
          " timing means another process competed, which hurts the 2-thread figures most (a peer whose 2-thread"
          " time is far above its 1-thread time was starved)." % (t.load[0], t.load[1], sh("nproc")),
          "- each CPU alone (`vecnet.bench.CoreSpeed` pinned with taskset; vector FMA GFLOP/s / GB/s read from its L2)"
          " before timing: %s; after: %s. CPUs that differ (one core shared with another tenant) make one-thread"
          " figures vary from round to round and within a JVM, and slow the two-thread steps." % t.cores,
          "- vecnet's JVM first runs %.0f s of untimed calls at each thread count (before the warm-up above): the"
          " Vector API kernels are slow until C2 has compiled them (seconds; the LSTM takes about 4 s to reach its"
          " steady state), so a cold JVM's first calls are much slower than these figures; and a JVM that ran one"
          " thread first compiles the two-thread paths anew (measured: the first two-thread iterations after one"
          " thread took 17 and 14 ms, where a JVM that ran two threads only took 10.5-10.9)." % t.jit_warmup_s,
          "- same weights everywhere: torch builds the models (seeded, BatchNorm statistics randomized), vecnet loads"
          " their state_dict from safetensors, ONNX Runtime their `torch.onnx.export` (opset 13).", ""]
    if t.parity and os.path.exists(t.parity):
        L += ["## Outputs agree (checked before timing)", "",
              "Each output compared elementwise with PyTorch's on the same inputs; the run aborts on disagreement.", ""]
        L += open(t.parity).read().strip().splitlines() + [""]
    L += ["## Results (ms per call: median [min–max])", "",
          "| case | threads | vecnet | PyTorch | ONNX Runtime | vecnet / PyTorch | vecnet / ORT |",
          "|---|---|---|---|---|---|---|"]
    for row in rows:
        p = row["peers"]
        cell = lambda k: "%s [%s–%s]" % (fmt(p[k]["median"]), fmt(p[k]["min"]), fmt(p[k]["max"])) if k in p else "—"  # noqa: E731
        ratio = lambda k: "%.2f" % (p["vecnet"]["median"] / p[k]["median"]) if k in p and "vecnet" in p else "—"  # noqa: E731
        L.append("| %s | %d | %s | %s | %s | %s | %s |" % (row["label"], row["threads"], cell("vecnet"), cell("PyTorch"),
                                                        cell("ONNX Runtime"), ratio("PyTorch"), ratio("ONNX Runtime")))
    if t.rounds > 1 and any(row.get("rounds", {}).get("ONNX Runtime") for row in rows):
        L += ["", "vecnet / ONNX Runtime round by round (each round's medians; the two peers ran one after the other,"
              " within a minute): where these ratios straddle 1, the run does not decide that case.", "",
              "| case | threads | %s |" % " | ".join("round %d" % (r + 1) for r in range(t.rounds)),
              "|---|---|%s" % ("---|" * t.rounds)]
        for row in rows:
            ratios = row.get("rounds", {}).get("ONNX Runtime")
            if ratios:
                L.append("| %s | %d | %s |" % (row["label"], row["threads"], " | ".join("%.2f" % x for x in ratios)))
    L += ["", "A ratio below 1 means vecnet is faster than that peer; above 1, slower. sgemm is vecnet's"
          " `Kernels.sgemm` (as `GemmBenchmark.vector`) against `torch.mm(a, b, out=c)` (OpenBLAS); ONNX Runtime"
          " does not run it.", ""]
    if any(row["case"] == "gemm_1024_avx512" for row in rows):
        L += ["Debian's OpenBLAS 0.3.21 does not recognise this host's CPU model and runs the kernels of the core"
              " it falls back to (%s, from its configuration string above: the AVX2 Haswell kernels on AMD Zen 5,"
              " the SSE3 Prescott ones on Intel Emerald Rapids), as PyTorch's own row `sgemm 1024³` shows. The row"
              " `sgemm 1024³, OpenBLAS's AVX-512 kernel` is the same `torch.mm` in a second PyTorch process started"
              " with `OPENBLAS_CORETYPE=%s`, which makes OpenBLAS use its AVX-512 kernels; vecnet's figures in that"
              " row are `gemm_1024` timed again beside it." % (openblas_core(torch_config), AVX512_CORETYPE), ""]
    if any(row["case"] in TRAIN_CASES for row in rows):
        L += ["Training steps (issue 11, the rows `train: ...`, ms per step): one optimizer step each, zero_grad,"
              " forward, cross-entropy, backward, update (and vecnet's refresh of its packed weights), on a batch held"
              " in memory. vecnet's JMH benchmarks against the same step in PyTorch, the `make_step()` of the peer"
              " scripts in `bench/python/`; the same sizes, optimizer and batch, seeded random weights on each side"
              " (the gradients agree with PyTorch's in vecnet's tests, not checked again here):",
              "- `train: fusion (frozen)`: the seed's fusion model with the ResNet frozen, on precomputed 512-d image"
              " features, 16 tokens; the embedding (10000×300), LSTM (300→256) and fc (768→10) train with Adam"
              " (lr 1e-3). `TrainStepBenchmark` (`optimizer=adam`) / `fusion_train_step_torch.py`.",
              "- `train: demo end to end`: the demo-size model (ResNet-18 layout at widths 8-16-32-64 in training"
              " mode, embedding 32, LSTM 32, 8 classes), every parameter trained with Adam (lr 3e-3), on the demo's"
              " first batch of 32 pictures (224²) and questions. `DemoTrainStepBenchmark` / `demo_train_step_torch.py`.",
              "- `train: ResNet-18, batch 8`: torchvision's ResNet-18 (1000 classes) at 224², every parameter trained"
              " with SGD (lr 1e-4, momentum 0.9). `ResNet18TrainingBenchmark` (`batch=8`) /"
              " `resnet18_train_step_torch.py`.",
              "",
              "Issue 11's target: faster than PyTorch on the first, no slower on the others (ratio ≤ 1), at 1 and 2"
              " threads.", ""]
    with open(t.out, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main(sys.argv[1:])
