"""The PyTorch peer of `vecnet train` in bench/compare.sh (compare_train.py): the same job, written as a PyTorch user would.

    /usr/bin/python3 bench/python/train_torch.py --data train.csv --init resnet18.pth --out DIR \\
        [--epochs 2] [--batch 32] [--lr 1e-3] [--threads 2] [--seed 0] [--train-image-branch]

What `vecnet train --data train.csv --init resnet18.pth --json` does with its defaults, step by step:
- read the manifest (CSV image,text,label, header optional, image paths relative to it);
- labels numbered in order of first appearance; the vocabulary built from the training texts with the
  seed's tokenizer (text.lower().split()): ids 1..N by count (ties: first appearance), 0 unknown, at most
  --vocab-size − 1 words (default 10000 rows);
- the seed's MultimodalModel (seed_model.py): torchvision resnet18 from --init (fc dropped), embedding
  300, LSTM 256, fc (512 + 256 → classes); text and head initialised by torch (seeded);
- image branch frozen (default): ResNet in eval mode, requires_grad False, each image's 512-d feature
  computed once under no_grad (batches of --batch), kept in memory; every epoch then trains the embedding,
  the LSTM and the fc on those features. With --train-image-branch: every parameter trains, the ResNet in
  training mode (batch statistics), the pictures decoded and preprocessed again at every step;
- pictures preprocessed as the seed: Resize(256), CenterCrop(224), ToTensor, Normalize(ImageNet), decoded
  by PIL in the main process (DataLoader(num_workers=0) does the same);
- texts of one batch of different lengths packed (each text's LSTM output at its own last word, as
  vecnet computes them; train_demo.text_features);
- Adam(lr) over the trainable parameters, cross_entropy (mean), batches shuffled each epoch (seeded
  torch.randperm), the last batch smaller;
- after each epoch, a checkpoint (model and optimizer state_dicts, epoch, RNG state) written to a temporary
  file and renamed; at the end, model.pth, vocab.json and labels.txt.
One JSON line per epoch on stdout, as `vecnet train --json`: epoch, loss, accuracy, samples, seconds (the
epoch's steps, picture decoding included, checkpoint excluded), samples_per_second.
Threads: torch.set_num_threads(--threads), one inter-op thread.
"""

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter

import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "weights", "python"))
from seed_model import MultimodalModel  # noqa: E402
from train_demo import text_features  # noqa: E402


def read_manifest(path):
    """[(image path, text, label)] of a CSV manifest; paths relative to its folder; an image,text,label header skipped."""
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for i, r in enumerate(csv.reader(f)):
            if not r or (i == 0 and [c.strip().lower() for c in r] == ["image", "text", "label"]):
                continue
            rows.append((os.path.join(base, r[0]), r[1], r[2]))
    return rows


def vocabulary(texts, rows):
    """{word: id}: 0 '<unk>', then words by decreasing count, ties in order of first appearance, at most rows − 1."""
    counts = Counter(w for t in texts for w in t.lower().split())   # insertion order = first appearance
    vocab = {"<unk>": 0}
    for w, _ in counts.most_common():                                 # stable over insertion order
        if len(vocab) >= rows:
            break
        vocab[w] = len(vocab)
    return vocab


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--init", required=True, help="torchvision resnet18 weights (.pth)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--vocab-size", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-image-branch", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)

    rows = read_manifest(a.data)
    labels = list(dict.fromkeys(r[2] for r in rows))
    vocab = vocabulary([r[1] for r in rows], a.vocab_size)
    ids = [[vocab.get(w, 0) for w in r[1].lower().split()] for r in rows]
    targets = torch.tensor([labels.index(r[2]) for r in rows])
    pre = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                              transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def images(idx):
        return torch.stack([pre(Image.open(rows[i][0]).convert("RGB")) for i in idx])

    backbone = torchvision.models.resnet18()
    backbone.load_state_dict(torch.load(a.init))
    model = MultimodalModel(len(labels), backbone=backbone, num_embeddings=max(a.vocab_size, max(vocab.values()) + 1))
    n = len(rows)
    if a.train_image_branch:
        for p in model.resnet.parameters():
            p.requires_grad = True
        model.train()
        features = None
    else:
        model.train()
        model.resnet.eval()       # frozen: running statistics fixed, no gradient
        with torch.no_grad():
            features = torch.cat([model.image_features(images(range(i, min(n, i + a.batch))))
                                  for i in range(0, n, a.batch)])
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=a.lr)
    os.makedirs(a.out, exist_ok=True)
    g = torch.Generator().manual_seed(a.seed)
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=g).tolist()
        loss_sum, correct = 0.0, 0
        for s in range(0, n, a.batch):
            idx = order[s:s + a.batch]
            img = features[idx] if features is not None else model.image_features(images(idx))
            logits = model.fc(torch.cat((img, text_features(model, [ids[i] for i in idx])), dim=1))
            loss = F.cross_entropy(logits, targets[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == targets[idx]).sum().item()
        seconds = time.perf_counter() - t0
        tmp = os.path.join(a.out, "checkpoint.pth.tmp")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch,
                    "rng": g.get_state()}, tmp)
        os.replace(tmp, os.path.join(a.out, "checkpoint.pth"))
        print(json.dumps({"epoch": epoch, "epochs": a.epochs, "loss": loss_sum / n, "accuracy": correct / n,
                          "samples": n, "seconds": round(seconds, 3), "samples_per_second": round(n / seconds, 1)}),
              flush=True)
    torch.save(model.state_dict(), os.path.join(a.out, "model.pth"))
    with open(os.path.join(a.out, "vocab.json"), "w") as f:
        json.dump(vocab, f)
    with open(os.path.join(a.out, "labels.txt"), "w") as f:
        f.write("\n".join(labels) + "\n")


if __name__ == "__main__":
    main()
