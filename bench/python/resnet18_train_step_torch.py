"""PyTorch's side of ResNet18TrainingBenchmark: one training step of torchvision's resnet18 at 224², batch 8.

    /usr/bin/python3 bench/python/resnet18_train_step_torch.py [--threads 1 2] [--batch 8] [--seconds 25]

The step is the same as the JMH benchmark's: model.train(), optimizer.zero_grad(), forward, CrossEntropyLoss,
backward (the input does not require a gradient), SGD(lr 1e-4, momentum 0.9).step(). Random init, random
inputs in [-2, 2), labels (i·131) mod 1000. Timing as JMH's AverageTime: after a warm-up of a few steps,
repeated iterations of ~5 s each; prints the mean ms per step of each iteration and their median.
Configuration: torch.set_num_threads(threads), one inter-op thread, oneDNN (mkldnn) enabled.
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
import torchvision


def make_step(batch=8):
    """A zero-argument callable doing one training step of a new seeded resnet18 on a fixed batch; returns the loss."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    x = torch.rand(batch, 3, 224, 224) * 4 - 2
    y = (torch.arange(batch) * 131) % 1000

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=25.0)
    args = ap.parse_args()
    torch.set_num_interop_threads(1)
    torch.backends.mkldnn.enabled = True
    print("torch", torch.__version__, "| mkldnn", torch.backends.mkldnn.is_available())
    for threads in args.threads:
        torch.set_num_threads(threads)
        step = make_step(args.batch)
        for _ in range(3):
            step()
        iters = []
        end = time.perf_counter() + args.seconds
        while time.perf_counter() < end:
            t0, n = time.perf_counter(), 0
            while time.perf_counter() - t0 < 5.0:
                step()
                n += 1
            iters.append((time.perf_counter() - t0) * 1000 / n)
        print("threads %d batch %d: ms/step per iteration %s, median %.1f"
              % (threads, args.batch, ", ".join("%.1f" % v for v in iters), statistics.median(iters)))


if __name__ == "__main__":
    main()
