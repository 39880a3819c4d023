"""PyTorch's side of DemoTrainStepBenchmark: one optimizer step of the demo-size fusion model trained end to end.

    /usr/bin/python3 bench/python/demo_train_step_torch.py [--threads 1 2] [--seconds 3] [--iterations 5]

The model and the step are weights/python/train_demo.py's: the seed's MultimodalModel with the ResNet-18
layout at widths 8-16-32-64 (every parameter trainable, model.train(): batch statistics), embedding 32,
LSTM 32 (each question's output at its own last word, by packing), Linear(96, 8); cross_entropy,
backward, Adam(lr 3e-3).step(), zero_grad. Batch 32: the first batch of the demo's training data
(train_demo.batch(1, 0, 32)), the batch the JMH benchmark takes from vecnet's ShapesDataset. The
learning-rate schedule is left out, as in the benchmark. Timing as JMH's AverageTime: warm-up
iterations, then iterations of `seconds`, mean ms per step. Configuration: torch.set_num_threads(threads),
one inter-op thread, oneDNN (mkldnn) enabled.
"""

import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "weights", "python"))
import train_demo  # noqa: E402
from seed_model import MultimodalModel, TinyResNet  # noqa: E402


def make_step():
    """A zero-argument callable doing one training step of a new seeded demo model on the first batch; returns the loss."""
    vocab = train_demo.vocabulary()
    images, ids, labels = train_demo.batch(1, 0, 32, vocab)
    torch.manual_seed(0)
    model = MultimodalModel(len(train_demo.LABELS), backbone=TinyResNet((8, 16, 32, 64)), num_embeddings=len(vocab),
                            embedding_dim=32, hidden_size=32, image_features=64)
    for p in model.parameters():
        p.requires_grad = True
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(train_demo.logits(model, images, ids), labels)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def time_steps(step, seconds):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return (time.perf_counter() - t0) * 1000 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_interop_threads(1)
    torch.backends.mkldnn.enabled = True
    for threads in args.threads:
        torch.set_num_threads(threads)
        step = make_step()
        for _ in range(args.warmup):
            time_steps(step, args.seconds)
        ms = [time_steps(step, args.seconds) for _ in range(args.iterations)]
        print("torch %s threads=%d demo model end to end, batch 32, Adam: %.1f ms/step (iterations %s)" % (
            torch.__version__, threads, sum(ms) / len(ms), ", ".join("%.1f" % v for v in ms)))


if __name__ == "__main__":
    main()
