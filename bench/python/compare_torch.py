"""PyTorch's side of bench/compare.sh: a timing worker that loads the exported weights and times one case per request.

    /usr/bin/python3 bench/python/compare_torch.py DIR        (driven by compare_run.py over stdin/stdout)

One process serves the whole run, so that importing torch (several seconds) is paid once; while vecnet
or ONNX Runtime run, it waits on stdin and uses no CPU. Requests and answers are JSON lines:

    {"op": "config"}  -> {"config": "torch 1.13 ..., BLAS ..., oneDNN ..."}
    {"op": "time", "case": "resnet18_b8", "threads": 2, "warmup": 2, "warmup_s": 2.0, "iters": 3, "iter_s": 2.0}
                      -> {"ms": [per-iteration mean ms, ...]}

Timing mirrors JMH's AverageTime mode: an iteration calls the model until iter_s seconds have passed and
reports the mean time per call; warm-up iterations are run the same way and dropped.
Configuration, as a user tuning PyTorch for CPU latency would: model.eval(), torch.inference_mode(),
torch.backends.mkldnn.enabled = True (oneDNN convolutions), torch.set_num_threads(threads) for the
intra-op (OpenMP) pool and the BLAS pool (OpenBLAS through openblas_set_num_threads when it is the
loaded BLAS), one inter-op thread. The weights are the safetensors compare_export.py wrote; the worker
checks that its outputs equal torch_ref.safetensors before answering its first timing request of a case.

The training cases (TRAINING: one optimizer step each, as the JMH benchmarks TrainStepBenchmark,
DemoTrainStepBenchmark and ResNet18TrainingBenchmark) come from the peer scripts' make_step():
fusion_train_step_torch.py, demo_train_step_torch.py, resnet18_train_step_torch.py. They run with autograd
(no inference_mode) on their own seeded models and batches; their gradients are checked against vecnet's
by the unit tests (weights/python/make_training_fixtures.py), not here.
"""

import contextlib
import ctypes
import json
import os
import sys
import time

import torch

torch.set_num_interop_threads(1)
torch.backends.mkldnn.enabled = True

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "weights", "python"))
import safetensors_io  # noqa: E402
from compare_export import TextBranch  # noqa: E402
from seed_model import MultimodalModel  # noqa: E402
import torchvision  # noqa: E402


def _training_steps():
    import demo_train_step_torch
    import fusion_train_step_torch
    import resnet18_train_step_torch
    return {"train_fusion_frozen": lambda: fusion_train_step_torch.make_step("adam"),
            "train_demo_e2e": demo_train_step_torch.make_step,
            "train_resnet18_b8": lambda: resnet18_train_step_torch.make_step(8)}


TRAINING = ("train_fusion_frozen", "train_demo_e2e", "train_resnet18_b8")


def loaded_blas():
    """Path of the BLAS shared library mapped in this process (after a first matmul), or None."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return sorted(libs) or None


def openblas():
    """ctypes handle on the loaded OpenBLAS (which exports openblas_set_num_threads), or None."""
    for path in loaded_blas() or []:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_set_num_threads  # noqa: B018 (AttributeError if this is another BLAS)
            return lib
        except (OSError, AttributeError):
            continue
    return None


def cpu_capability():
    """The SIMD level ATen dispatches to, from torch.__config__.show() (e.g. 'AVX2')."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return "?"


class Worker:
    def __init__(self, directory):
        self.dir = directory
        self.x, _ = safetensors_io.load_file(os.path.join(directory, "inputs.safetensors"))
        self.ref, _ = safetensors_io.load_file(os.path.join(directory, "torch_ref.safetensors"))
        self.cases = {}
        torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # maps the BLAS library
        self.blas = openblas()

    def config(self):
        blas = loaded_blas()
        desc = "torch %s (%s), torchvision %s, BLAS %s" % (
            torch.__version__, os.path.dirname(torch.__file__), torchvision.__version__,
            ", ".join(os.path.realpath(p) for p in blas) if blas else "none mapped")
        if self.blas is not None:
            self.blas.openblas_get_config.restype = ctypes.c_char_p
            desc += " [%s]" % self.blas.openblas_get_config().decode()
        desc += ", oneDNN (mkldnn) enabled=%s available=%s, CPU capability %s, intra-op threads = case threads," \
                " inter-op threads %d, eval + inference_mode" % (
                    torch.backends.mkldnn.enabled, torch.backends.mkldnn.is_available(),
                    cpu_capability(),
                    torch.get_num_interop_threads())
        return desc

    def load(self, case):
        """A zero-argument callable running the case, checked once against torch_ref."""
        if case in self.cases:
            return self.cases[case]
        if case in TRAINING:
            self.cases[case] = _training_steps()[case]()
            return self.cases[case]
        x = self.x
        if case.startswith("resnet18_"):
            model = torchvision.models.resnet18(weights=None)
            model.load_state_dict(safetensors_io.load_file(os.path.join(self.dir, "resnet18.safetensors"))[0])
            model.eval()
            image = x["image_b1"] if case == "resnet18_b1" else x["image_b8"]
            fn = lambda: model(image)  # noqa: E731
        elif case == "gemm_1024":
            a, b, c = x["gemm_a"], x["gemm_b"], torch.empty(1024, 1024)
            fn = lambda: torch.mm(a, b, out=c)  # noqa: E731
        else:
            model = MultimodalModel(num_classes=10)
            model.load_state_dict(safetensors_io.load_file(os.path.join(self.dir, "fusion.safetensors"))[0])
            model.eval()
            if case == "fusion_t16":
                fn = lambda: model(x["image_b1"], x["tokens_16"])  # noqa: E731
            else:
                text = TextBranch(model).eval()
                tokens = x["tokens_16"] if case == "text_t16" else x["tokens_128"]
                fn = lambda: text(tokens)  # noqa: E731
        with torch.inference_mode():
            got = fn().double()
        want = self.ref[case].double()
        err = ((got - want).abs() / want.abs().clamp(min=1.0)).max().item()
        if err > 1e-4:
            raise RuntimeError("%s: the timed PyTorch model disagrees with torch_ref (%.2e)" % (case, err))
        self.cases[case] = fn
        return fn

    def time(self, case, threads, warmup, warmup_s, iters, iter_s):
        fn = self.load(case)
        torch.set_num_threads(threads)
        if self.blas is not None:
            self.blas.openblas_set_num_threads(threads)
        out = []
        with contextlib.nullcontext() if case in TRAINING else torch.inference_mode():
            for i in range(warmup + iters):
                seconds = warmup_s if i < warmup else iter_s
                n, t0 = 0, time.perf_counter()
                while True:
                    fn()
                    n += 1
                    elapsed = time.perf_counter() - t0
                    if elapsed >= seconds:
                        break
                if i >= warmup:
                    out.append(elapsed / n * 1000.0)
        return out


def main(argv):
    if len(argv) != 1:
        sys.exit("usage: compare_torch.py DIR")
    worker = Worker(argv[0])
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req["op"] == "config":
                ans = {"config": worker.config()}
            else:
                ans = {"ms": worker.time(req["case"], req["threads"], req["warmup"], req["warmup_s"],
                                         req["iters"], req["iter_s"])}
        except Exception as e:  # reported to the driver, which aborts
            ans = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(ans) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
