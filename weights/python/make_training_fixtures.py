"""PyTorch references for vecnet's training core, text side: gradients of Linear, Embedding, LSTM (every
configuration, packed sequences), CrossEntropyLoss, the fusion head + text branch at the seed's sizes, and
whole optimizer runs (SGD, Adam, AdamW, parameter groups, clipping, freezing, schedulers).

    /usr/bin/python3 weights/python/make_training_fixtures.py [OUT_DIR]   (default: weights/fixtures/train_text)

Needs Debian bookworm's python3-torch 1.13 and numpy. Seeded, one thread: re-running gives byte-identical files.
Every file carries __metadata__ {"vecnet_fixtures": VERSION}. OUT_DIR/README.md (written here) lists every key.

Conventions: a layer case "<case>.<name>" holds its parameters (state_dict names), its input, the upstream
gradient "dy" (the backward starts from loss = sum(output * dy)), and "grad.<name>" for each gradient. The
seed-size case uses weights from a formula (see formula()) that Java recomputes exactly, so the 12 MB
embedding is not committed; its large gradients are stored in full for used embedding rows and subsampled
(every SUBSAMPLE-th element) for the LSTM.
"""

import math
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

VERSION = "1"
META = {"vecnet_fixtures": VERSION}
SUBSAMPLE = 11
DOCS = OrderedDict()


def formula(shape, seed, bound):
    """Weights Java can recompute exactly: u = ((i*2654435761 + seed*40503) mod 2^32) / 2^32,
    w = float32((2u - 1) * bound) in double arithmetic, i the row-major index."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    h = (i * 2654435761 + seed * 40503) % (2 ** 32)
    v = (h.astype(np.float64) / 2.0 ** 32 * 2 - 1) * bound
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def run_lstm(lstm, x, lengths):
    """The output sequence with packed semantics (each sample over its own length), zero past the length."""
    if lengths is None:
        return lstm(x)[0]
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=lstm.batch_first, enforce_sorted=False)
    out, _ = pad_packed_sequence(lstm(packed)[0], batch_first=lstm.batch_first, total_length=x.shape[1 if lstm.batch_first else 0])
    return out


def add_params(d, prefix, module, with_grad=True):
    for name, p in module.named_parameters():
        d[prefix + name] = p.detach().clone()
        if with_grad:
            d[prefix + "grad." + name] = p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)


def layer_cases():
    d = OrderedDict()
    how = []
    g = torch.Generator().manual_seed(7)

    # Linear, leading dims (3, 5), awkward sizes 13 -> 7, with bias; and 1 -> 3 without bias
    for case, shape, inp, outp, bias in (("linear", (3, 5), 13, 7, True), ("linear_nobias", (4,), 1, 3, False)):
        torch.manual_seed(11 + inp)
        lin = nn.Linear(inp, outp, bias=bias)
        x = torch.randn(*shape, inp, generator=g, requires_grad=True)
        y = lin(x)
        dy = torch.randn(y.shape, generator=g)
        (y * dy).sum().backward()
        add_params(d, case + ".", lin)
        d[case + ".x"], d[case + ".y"], d[case + ".dy"], d[case + ".grad.x"] = x.detach(), y.detach(), dy, x.grad
        how.append((case, "nn.Linear(%d, %d, bias=%s) on x %s" % (inp, outp, bias, list(x.shape))))

    # Embedding(11, 5, padding_idx=3), repeated ids, the padding row used twice
    torch.manual_seed(12)
    emb = nn.Embedding(11, 5, padding_idx=3)
    with torch.no_grad():
        emb.weight[3] = torch.randn(5, generator=g)   # a non-zero padding row: forward reads it as it is
    ids = torch.tensor([[1, 3, 7, 7, 0, 10], [3, 2, 7, 1, 9, 4], [5, 5, 5, 0, 3, 8], [10, 2, 6, 6, 1, 0]])
    y = emb(ids)
    dy = torch.randn(y.shape, generator=g)
    (y * dy).sum().backward()
    add_params(d, "embedding.", emb)
    d["embedding.ids"], d["embedding.y"], d["embedding.dy"] = ids, y.detach(), dy
    how.append(("embedding", "nn.Embedding(11, 5, padding_idx=3) on ids (4, 6) with repeats; row 3 set non-zero"))

    # LSTM configurations: (case, input, hidden, layers, bias, batch_first, bidirectional, N, T, lengths)
    configs = (("lstm_uni", 7, 5, 1, True, True, False, 3, 6, [6, 2, 4]),
               ("lstm_bi2", 6, 4, 2, True, True, True, 3, 5, [5, 1, 3]),
               ("lstm_tf_nobias", 5, 3, 2, False, False, True, 2, 4, None),
               ("lstm_3layer", 4, 6, 3, True, True, False, 2, 3, [3, 2]))
    for case, inp, hid, layers, bias, bf, bi, n, t, lengths in configs:
        torch.manual_seed(100 + inp * hid)
        lstm = nn.LSTM(inp, hid, num_layers=layers, bias=bias, batch_first=bf, bidirectional=bi)
        x = torch.randn((n, t, inp) if bf else (t, n, inp), generator=g, requires_grad=True)
        out = run_lstm(lstm, x, lengths)
        dy = torch.randn(out.shape, generator=g)
        (out * dy).sum().backward()
        add_params(d, case + ".", lstm)
        d[case + ".x"], d[case + ".y"], d[case + ".dy"], d[case + ".grad.x"] = x.detach(), out.detach(), dy, x.grad
        if lengths is not None:
            d[case + ".lengths"] = torch.tensor(lengths, dtype=torch.int64)
        how.append((case, "nn.LSTM(%d, %d, num_layers=%d, bias=%s, batch_first=%s, bidirectional=%s), N=%d T=%d, lengths %s"
                    " (pack_padded_sequence(enforce_sorted=False), output padded with zeros)"
                    % (inp, hid, layers, bias, bf, bi, n, t, lengths)))

    # CrossEntropyLoss options on logits (7, 5); target 4 of row 5 is replaced by the ignore index
    logits = torch.randn(7, 5, generator=g) * 3
    target = torch.tensor([0, 4, 2, 2, 1, 3, 4])
    weight = torch.tensor([0.5, 2.0, 1.0, 0.25, 1.5])
    d["ce.logits"], d["ce.target"], d["ce.weight"] = logits, target, weight
    ce_cases = OrderedDict([
        ("mean", dict()), ("sum", dict(reduction="sum")), ("weight", dict(weight=weight)),
        ("weight_sum", dict(weight=weight, reduction="sum")),
        ("smooth", dict(label_smoothing=0.2)), ("weight_smooth", dict(weight=weight, label_smoothing=0.15)),
        ("weight_smooth_sum", dict(weight=weight, label_smoothing=0.3, reduction="sum")),
        ("ignore", dict(ignore_index=2, weight=weight, label_smoothing=0.1)),
    ])
    for name, kw in ce_cases.items():
        x = logits.clone().requires_grad_(True)
        loss = F.cross_entropy(x, target, **kw)
        loss.backward()
        d["ce.%s.loss" % name] = loss.detach().reshape(1)
        d["ce.%s.grad" % name] = x.grad
    how.append(("ce", "F.cross_entropy on logits (7, 5): cases %s" % ", ".join("%s %s" % (k, {a: (b if not torch.is_tensor(b) else "w") for a, b in v.items()}) for k, v in ce_cases.items())))
    return d, how


class TextHead(nn.Module):
    """The seed's text branch and head on precomputed image features: fc(cat(img, lstm(embedding(ids))[last]))."""

    def __init__(self, vocab, emb, hidden, img, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.fc = nn.Linear(img + hidden, classes)

    def forward(self, img, ids, lengths):
        out = run_lstm(self.lstm, self.embedding(ids), lengths)
        last = out[torch.arange(ids.shape[0]), torch.tensor(lengths) - 1]
        return self.fc(torch.cat((img, last), dim=1))


def seed_case():
    """The seed's sizes: Embedding(10000, 300), LSTM(300, 256), fc 768 -> 10; weights from formula()."""
    vocab, e, h, img, classes = 10000, 300, 256, 512, 10
    m = TextHead(vocab, e, h, img, classes)
    seeds = {"embedding.weight": (1, 1.0), "lstm.weight_ih_l0": (2, 1 / 16), "lstm.weight_hh_l0": (3, 1 / 16),
             "lstm.bias_ih_l0": (4, 1 / 16), "lstm.bias_hh_l0": (5, 1 / 16), "fc.weight": (6, 1 / math.sqrt(768)),
             "fc.bias": (7, 1 / math.sqrt(768))}
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(formula(p.shape, *seeds[name]))
    g = torch.Generator().manual_seed(99)
    n, t = 4, 16
    lengths = [16, 9, 16, 3]
    ids = torch.randint(0, vocab, (n, t), generator=g)
    ids[1, 2] = ids[0, 5]     # a repeated id
    for i, length in enumerate(lengths):
        ids[i, length:] = 0
    feats = (torch.randn(n, img, generator=g).abs() * 0.8).requires_grad_(True)   # post-ReLU-like features
    labels = torch.tensor([3, 9, 0, 3])
    logits = m(feats, ids, lengths)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    d = OrderedDict()
    d["seed.ids"], d["seed.lengths"], d["seed.features"], d["seed.labels"] = ids, torch.tensor(lengths), feats.detach(), labels
    d["seed.loss"], d["seed.logits"], d["seed.grad.features"] = loss.detach().reshape(1), logits.detach(), feats.grad
    used = sorted(set(int(v) for i, length in enumerate(lengths) for v in ids[i, :length]))
    gw = m.embedding.weight.grad
    unused = torch.ones(vocab, dtype=torch.bool)
    unused[used] = False
    assert float(gw[unused].abs().max()) == 0.0
    d["seed.used_ids"] = torch.tensor(used)
    d["seed.grad.embedding.weight.used_rows"] = gw[used]
    for name in ("lstm.weight_ih_l0", "lstm.weight_hh_l0"):
        d["seed.grad.%s.every%d" % (name, SUBSAMPLE)] = dict(m.named_parameters())[name].grad.reshape(-1)[::SUBSAMPLE].clone()
    for name in ("lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias"):
        d["seed.grad." + name] = dict(m.named_parameters())[name].grad
    how = [("seed", "TextHead(10000, 300, 256, 512, 10) with formula() weights (seeds: %s), N=4, T=16, lengths %s, "
                    "cross_entropy mean; embedding gradient: rows seed.used_ids only (all others are zero, checked); "
                    "LSTM weight gradients: flattened, every %d-th element" % (seeds, lengths, SUBSAMPLE))]
    return d, how


def tiny_model():
    torch.manual_seed(5)
    return TextHead(50, 12, 16, 24, 5)


def batches(count, n=6, t=7):
    """A fixed sequence of batches: features, ids padded with 0, lengths, labels."""
    g = torch.Generator().manual_seed(2025)
    out = []
    for _ in range(count):
        lengths = torch.randint(1, t + 1, (n,), generator=g).tolist()
        lengths[0] = t
        ids = torch.randint(0, 50, (n, t), generator=g)
        for i, length in enumerate(lengths):
            ids[i, length:] = 0
        feats = torch.randn(n, 24, generator=g).abs()
        labels = torch.randint(0, 5, (n,), generator=g)
        out.append((feats, ids, lengths, labels))
    return out


def run_training(name, make_opt, steps, data, clip=None, freeze=(), scheduler=None):
    m = tiny_model()
    for p in freeze:
        dict(m.named_parameters())[p].requires_grad_(False)
    opt = make_opt(m)
    sched = scheduler(opt) if scheduler else None
    losses, norms, lrs = [], [], []
    for feats, ids, lengths, labels in data[:steps]:
        opt.zero_grad()
        loss = F.cross_entropy(m(feats, ids, lengths), labels)
        loss.backward()
        if clip is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_([p for p in m.parameters() if p.requires_grad], clip)))
        opt.step()
        losses.append(float(loss))
        if sched:
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
    d = OrderedDict()
    d[name + ".losses"] = torch.tensor(losses, dtype=torch.float32)
    if norms:
        d[name + ".norms"] = torch.tensor(norms, dtype=torch.float32)
    if lrs:
        d[name + ".lrs"] = torch.tensor(lrs, dtype=torch.float64)
    for pname, p in m.named_parameters():
        d[name + ".final." + pname] = p.detach().clone()
    return d


def training_cases():
    data = batches(20)
    d = OrderedDict()
    for k, p in tiny_model().named_parameters():
        d["init." + k] = p.detach().clone()
    for i, (feats, ids, lengths, labels) in enumerate(data):
        d["batch%d.features" % i], d["batch%d.ids" % i] = feats, ids
        d["batch%d.lengths" % i], d["batch%d.labels" % i] = torch.tensor(lengths), labels
    groups = lambda m, lr_text, lr_fc: [  # noqa: E731
        {"params": [p for n, p in m.named_parameters() if not n.startswith("fc.")], "lr": lr_text},
        {"params": list(m.fc.parameters()), "lr": lr_fc}]
    runs = OrderedDict([
        ("sgd", (lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), 20, {},
                 "SGD(lr=0.1, momentum=0.9), 20 steps")),
        ("adam", (lambda m: torch.optim.Adam(m.parameters(), lr=0.01), 20, {}, "Adam(lr=0.01), 20 steps")),
        ("sgd_nesterov", (lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01),
                          6, {}, "SGD(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01), 6 steps")),
        ("sgd_dampening", (lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, dampening=0.3), 6, {},
                           "SGD(lr=0.05, momentum=0.9, dampening=0.3), 6 steps")),
        ("adam_wd", (lambda m: torch.optim.Adam(m.parameters(), lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05), 6, {},
                     "Adam(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05), 6 steps")),
        ("adamw", (lambda m: torch.optim.AdamW(m.parameters(), lr=0.02, weight_decay=0.1), 6, {},
                   "AdamW(lr=0.02, weight_decay=0.1), 6 steps")),
        ("groups", (lambda m: torch.optim.SGD(groups(m, 0.2, 0.02), lr=0.5, momentum=0.9), 6, {},
                    "SGD param groups: embedding+lstm lr 0.2, fc lr 0.02; momentum 0.9; 6 steps")),
        ("clip", (lambda m: torch.optim.Adam(m.parameters(), lr=0.01), 6, {"clip": 0.5},
                  "Adam(lr=0.01) with clip_grad_norm_(params, 0.5) before each step (norms = its return values), 6 steps")),
        ("frozen", (lambda m: torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.1, momentum=0.9), 6,
                    {"freeze": ("embedding.weight", "lstm.bias_hh_l0")},
                    "embedding.weight and lstm.bias_hh_l0 requires_grad=False, SGD(lr=0.1, momentum=0.9) on the rest, 6 steps")),
        ("cosine", (lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), 10,
                    {"scheduler": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01)},
                    "SGD(lr=0.1, momentum=0.9) with CosineAnnealingLR(T_max=4, eta_min=0.01) stepped after each step; 10 steps")),
    ])
    how = []
    for name, (make, steps, kw, text) in runs.items():
        d.update(run_training(name, make, steps, data, **kw))
        how.append((name, text))

    # learning-rate sequences alone, 2 groups (lr 0.1 and 0.03), 25 scheduler steps after construction
    def lrs(make):
        p1, p2 = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([{"params": [p1], "lr": 0.1}, {"params": [p2], "lr": 0.03}], lr=0.1)
        s = make(opt)
        seq = [[g["lr"] for g in opt.param_groups]]
        for _ in range(25):
            opt.step()
            s.step()
            seq.append([g["lr"] for g in opt.param_groups])
        return torch.tensor(seq, dtype=torch.float64)
    sched = OrderedDict([
        ("steplr", (lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), "StepLR(step_size=3, gamma=0.5)")),
        ("cosine", (lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
                    "CosineAnnealingLR(T_max=7, eta_min=0.001): past T_max it rises again")),
        ("linear", (lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4),
                    "LinearLR(start_factor=0.25, end_factor=1.0, total_iters=4), the warm-up")),
    ])
    for name, (make, text) in sched.items():
        d["sched.%s" % name] = lrs(make)
        how.append(("sched." + name, text + ": (26, 2) lr of both groups after construction and after each of 25 steps"))
    return d, how


def main(argv):
    torch.set_num_threads(1)
    folder = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "train_text")
    folder = os.path.normpath(folder)
    os.makedirs(folder, exist_ok=True)
    files = OrderedDict([
        ("layers.safetensors", (layer_cases, "Linear, Embedding, LSTM and CrossEntropyLoss gradients at awkward shapes")),
        ("seed.safetensors", (seed_case, "the seed's text branch + fusion head, gradients of one step")),
        ("training.safetensors", (training_cases, "TextHead(50, 12, 16, 24, 5) (torch.manual_seed(5) init): whole "
                                  "optimizer runs on 20 fixed batches (N=6, T=7, lengths 1..7, features |N(0,1)|), "
                                  "and learning-rate schedules")),
    ])
    lines = ["# Training fixtures, text side (version %s)" % VERSION, "",
             "Written by `/usr/bin/python3 weights/python/make_training_fixtures.py` (torch %s, 1 thread, seeded). "
             "Do not edit by hand. Every file has `__metadata__` `{\"vecnet_fixtures\": \"%s\"}`." % (torch.__version__, VERSION), ""]
    for fname, (make, doc) in files.items():
        d, how = make()
        size = safetensors_io.save_file(d, os.path.join(folder, fname), META)
        lines += ["## `%s` (%d bytes)" % (fname, size), "", doc + ".", ""]
        lines += ["- `%s`: %s" % (k, v) for k, v in how]
        lines += ["", "| key | shape | dtype |", "|---|---|---|"]
        lines += ["| `%s` | %s | %s |" % (k, list(v.shape), safetensors_io.dtype_name(v)) for k, v in d.items()]
        lines.append("")
        print("%s: %d tensors, %d bytes" % (fname, len(d), size))
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv)
