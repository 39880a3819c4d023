"""PyTorch's side of TrainStepBenchmark: one optimizer step of the seed's fusion model with the ResNet frozen,
on precomputed 512-d image features (batch 32, 16 tokens): zero_grad, Embedding(10000,300) -> LSTM(300,256)
-> last step -> cat -> Linear(768,10) -> cross_entropy, backward, step.

    /usr/bin/python3 bench/python/fusion_train_step_torch.py [--threads 1 2] [--seconds 4]

Timing as JMH's AverageTime: warm-up for a few seconds, then iterations of `seconds`, mean ms per step.
"""

import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class TextHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10000, 300)
        self.lstm = nn.LSTM(300, 256, batch_first=True)
        self.fc = nn.Linear(512 + 256, 10)

    def forward(self, img, ids):
        out, _ = self.lstm(self.embedding(ids))
        return self.fc(torch.cat((img, out[:, -1, :]), dim=1))


def time_steps(step, seconds):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return (time.perf_counter() - t0) * 1000 / n


def make_step(optimizer="sgd"):
    """A zero-argument callable doing one training step of a new seeded model (SGD lr 0.01 momentum 0.9, or Adam lr 1e-3)
    on a fixed batch of 32 (features ReLU'd Gaussians, 16 random token ids, random labels); returns the loss."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(7)
    feats = torch.randn(32, 512, generator=g).clamp_min(0)
    ids = torch.randint(0, 10000, (32, 16), generator=g)
    labels = torch.randint(0, 10, (32,), generator=g)
    m = TextHead()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9) if optimizer == "sgd" else torch.optim.Adam(m.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(m(feats, ids), labels)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--iterations", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_interop_threads(1)
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name in ("sgd", "adam"):
            step = make_step(name)
            time_steps(step, args.seconds)   # warm-up
            ms = [time_steps(step, args.seconds) for _ in range(args.iterations)]
            print("torch %s threads=%d optimizer=%s: %.2f ms/step (iterations %s)" % (
                torch.__version__, threads, name, sum(ms) / len(ms), ", ".join("%.2f" % v for v in ms)))


if __name__ == "__main__":
    main()
