"""Trains the small fusion model that `vecnet demo` bundles, on a synthetic task that needs both inputs.

Run from the repository root (1500 steps of batch 32 on one thread: about 8 minutes on this
machine with Debian's torch 1.13; DEMO_STEPS=N changes the number of steps):

    /usr/bin/python3 weights/python/train_demo.py

The bundled model is now the one `./vecnet demo --train` trains in Java on the same data (its
model.safetensors copied in as demo_model.safetensors, demo_report.json written by hand from its
output); after copying a model in,

    /usr/bin/python3 weights/python/train_demo.py --record-samples

rewrites only demo_samples.json (and the sample pictures, unchanged) with PyTorch's answers for it.

Deterministic: torch.manual_seed(0), one thread, and the data are a pure function of (seed, index).
(800 steps with shapes from radius 22 gave 95.7 % held-out, the misses being small triangles, stars
and squares; hence 1500 steps and a radius from 26.)

The task: a 256x256 RGB picture of ONE coloured shape (circle, square, triangle or star; red, green,
blue or yellow; random size, rotation and position, on a noisy gray background) and a question that
asks either for its colour or for its shape, in several paraphrases. The label is the answer, one of
8 classes (demo_labels.txt). The image alone cannot tell which of its two properties is asked, and
the question alone cannot tell the answer, so the model must use both branches; the script measures
that with two ablations (image zeroed; question replaced by unknown words of the same length).

The model is the seed's MultimodalModel (seed_model.py) with torchvision's ResNet-18 layout at widths
8-16-32-64, an embedding of 32, an LSTM of hidden size 32 and 8 classes: the state_dict has the seed's
127 keys (resnet.*, embedding.weight, lstm.*, fc.*). Unlike the seed, the ResNet is trained too (the
seed freezes a pretrained one; ours starts from random weights).

The generator is written so that Java (vecnet.multimodal.demo.ShapesDataset) reproduces it bit for
bit: a SplitMix64 stream per sample, only IEEE +,-,*,/ and sqrt on doubles (no sin/cos, no
anti-aliasing, no library drawing call), inside tests on pixel centres. Sample (seed, index) is the
same picture and question in both languages; the bundled samples are checked by a Java test.

Preprocessing is the seed's Resize(256) + CenterCrop(224) + ToTensor + Normalize(ImageNet): on a
256x256 picture Resize is the identity, so here it is a crop [16:240] and the normalization, which is
exactly what vecnet.multimodal.ImagePreprocessor computes. Shapes are kept inside that crop.

Writes into multimodal/src/main/resources/vecnet/demo/:
    demo_model.safetensors   the trained state_dict (float32; num_batches_tracked int64)
    demo_vocab.json          {token: id}; id 0 is "<unk>" (the seed's tokenizer: text.lower().split())
    demo_labels.txt          the 8 answers, one per line, in class order
    demo_samples.json        a few samples: file, question, answer, seed, index
    sample_<i>.png           their pictures
    demo_report.json         the accuracies measured here (held-out, ablations), steps, seconds
"""

import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import load_file, save_file  # noqa: E402
from seed_model import MultimodalModel, TinyResNet  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "multimodal", "src", "main",
                   "resources", "vecnet", "demo")

# ---------------------------------------------------------------------------------------------
# The task definition, mirrored by vecnet.multimodal.demo.ShapesDataset (keep both in sync).
# ---------------------------------------------------------------------------------------------
SIZE = 256            # picture side; Resize(256) is then the identity
CROP = 16             # CenterCrop(224) keeps [16, 240)
INNER = 224
SHAPES = ["circle", "square", "triangle", "star"]
COLOURS = ["red", "green", "blue", "yellow"]
LABELS = COLOURS + SHAPES            # class k: colours 0..3, shapes 4..7
RGB = [(220, 40, 40), (40, 190, 60), (40, 70, 220), (230, 210, 40)]
COLOUR_QUESTIONS = [
    "what colour is the shape",
    "what color is it",
    "which colour is this object",
    "tell me the colour of the shape in the picture",
    "what is the color of the object",
    "name its colour",
]
SHAPE_QUESTIONS = [
    "what shape is it",
    "which shape is in the picture",
    "what is the shape of the object",
    "tell me the form of the thing",
    "name the shape you see",
    "what kind of shape is this",
]
MIN_R, SPAN_R = 26.0, 34.0           # circumradius in [26, 60) pixels
NOISE = 24                           # per-pixel, per-channel noise in [-24, 24]
JITTER = 20                          # per-picture colour jitter in [-20, 20] per channel
SQRT_HALF = 0.7071067811865476       # square half side = r * sqrt(1/2): its corners lie on the circle
SQRT3_2 = 0.8660254037844386         # triangle vertices (0,-r), (±r*sqrt(3)/2, r/2)
STAR_INNER = 0.45                    # star inner radius / outer radius
# cos and sin of k*36 degrees - 90 degrees (k = 0..9), as decimal literals so both languages hold
# the same doubles (no libm call, symmetric by construction): even k are the outer points, odd k the inner ones.
A, B = 0.5877852522924731, 0.9510565162951535      # cos 54 degrees, cos 18 degrees
C, D = 0.8090169943749475, 0.3090169943749474      # sin 54 degrees, sin 18 degrees
STAR_COS = [0.0, A, B, B, A, 0.0, -A, -B, -B, -A]
STAR_SIN = [-1.0, -C, -D, D, C, 1.0, C, D, -D, -C]

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
C1 = 0xBF58476D1CE4E5B9
C2 = 0x94D049BB133111EB


def mix64(z):
    """SplitMix64's finalizer on a Python int (mod 2^64)."""
    z &= M64
    z = ((z ^ (z >> 30)) * C1) & M64
    z = ((z ^ (z >> 27)) * C2) & M64
    return z ^ (z >> 31)


class SplitMix64:
    """Steele, Lea and Flood's SplitMix64: state += golden gamma; output mix64(state)."""

    def __init__(self, seed):
        self.state = seed & M64

    def next64(self):
        self.state = (self.state + GOLDEN) & M64
        return mix64(self.state)

    def next_double(self):
        """Uniform in [0, 1) with 53 random bits."""
        return (self.next64() >> 11) * (1.0 / (1 << 53))

    def next_int(self, n):
        """Uniform-ish in [0, n): floor(next_double * n)."""
        return int(self.next_double() * n)


def sample_rng(seed, index):
    """The stream of sample `index` of the data set `seed`."""
    return SplitMix64(mix64(mix64(seed) + index))


TABLE_BITS = 20
NOISE_KEY = 0x5EED0F0015E
_TABLE = None
_INDEX = np.arange(SIZE * SIZE * 3, dtype=np.int64)


def noise_table():
    """2^20 noise values in [-NOISE, NOISE], computed once: t[j] = ((mix64(NOISE_KEY + (j+1)*golden) >>> 43) * (2*NOISE+1)) >>> 21 - NOISE.
    A picture takes 256*256*3 consecutive values (C order, wrapping) from a random offset: cheap, and the
    same in Java (one mix64 per pixel and channel would make this script several times slower)."""
    global _TABLE
    if _TABLE is None:
        with np.errstate(over="ignore"):
            z = np.uint64(NOISE_KEY) + np.arange(1, (1 << TABLE_BITS) + 1, dtype=np.uint64) * np.uint64(GOLDEN)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(C1)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(C2)
            z = z ^ (z >> np.uint64(31))
        f = (z >> np.uint64(43)).astype(np.int64)
        _TABLE = ((f * (2 * NOISE + 1)) >> 21) - NOISE
    return _TABLE


def noise_field(offset):
    """[SIZE, SIZE, 3] int64: noise[y, x, ch] = table[(offset + (y*SIZE + x)*3 + ch) mod 2^20]."""
    return noise_table()[(offset + _INDEX) & ((1 << TABLE_BITS) - 1)].reshape(SIZE, SIZE, 3)


def inside(shape, lx, ly, r):
    """Boolean mask: is the pixel centre with shape-local coordinates (lx, ly) inside the shape of circumradius r."""
    if shape == 0:
        return lx * lx + ly * ly <= r * r
    if shape == 1:
        a = r * SQRT_HALF
        return (np.abs(lx) <= a) & (np.abs(ly) <= a)
    if shape == 2:
        vx = [0.0, r * SQRT3_2, -(r * SQRT3_2)]
        vy = [-r, r * 0.5, r * 0.5]
    else:
        vx = [STAR_COS[k] * (r if k % 2 == 0 else r * STAR_INNER) for k in range(10)]
        vy = [STAR_SIN[k] * (r if k % 2 == 0 else r * STAR_INNER) for k in range(10)]
    # crossing-number (even-odd) test, edges (v[k], v[k+1])
    odd = np.zeros(lx.shape, dtype=bool)
    n = len(vx)
    for k in range(n):
        x1, y1, x2, y2 = vx[k], vy[k], vx[(k + 1) % n], vy[(k + 1) % n]
        if y1 == y2:
            continue
        crosses = (y1 > ly) != (y2 > ly)
        xc = (x2 - x1) * (ly - y1) / (y2 - y1) + x1
        odd ^= crosses & (lx < xc)
    return odd


def sample(seed, index):
    """(uint8 picture [256,256,3], question str, label int) of sample `index` of data set `seed`."""
    rng = sample_rng(seed, index)
    shape = rng.next_int(4)
    colour = rng.next_int(4)
    kind = rng.next_int(2)                      # 0: asks the colour, 1: asks the shape
    questions = COLOUR_QUESTIONS if kind == 0 else SHAPE_QUESTIONS
    question = questions[rng.next_int(len(questions))]
    r = MIN_R + rng.next_double() * SPAN_R
    cx = CROP + r + rng.next_double() * (INNER - 2 * r)
    cy = CROP + r + rng.next_double() * (INNER - 2 * r)
    while True:                                 # a uniform rotation (c, s) without trigonometry
        u = 2 * rng.next_double() - 1
        v = 2 * rng.next_double() - 1
        q = u * u + v * v
        if 0.01 < q <= 1.0:
            break
    norm = math.sqrt(q)                      # correctly rounded, as Java's Math.sqrt
    c, s = u / norm, v / norm
    gray = 70 + rng.next_int(101)               # background level in [70, 170]
    fg = [RGB[colour][ch] + rng.next_int(2 * JITTER + 1) - JITTER for ch in range(3)]
    offset = rng.next_int(1 << TABLE_BITS)

    pic = np.full((SIZE, SIZE, 3), gray, dtype=np.int64)
    # only pixels near the shape can be inside it (circumradius r); the others keep the background
    x0, x1 = max(0, int(cx - r) - 1), min(SIZE, int(cx + r) + 2)
    y0, y1 = max(0, int(cy - r) - 1), min(SIZE, int(cy + r) + 2)
    ys, xs = np.meshgrid(np.arange(y0, y1, dtype=np.float64), np.arange(x0, x1, dtype=np.float64), indexing="ij")
    dx = (xs + 0.5) - cx
    dy = (ys + 0.5) - cy
    lx = c * dx + s * dy
    ly = c * dy - s * dx
    mask = inside(shape, lx, ly, r)
    box = pic[y0:y1, x0:x1]
    box[mask] = np.array(fg, dtype=np.int64)
    pic += noise_field(offset)
    np.clip(pic, 0, 255, out=pic)
    label = colour if kind == 0 else 4 + shape
    return pic.astype(np.uint8), question, label


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def vocabulary():
    words = sorted({w for q in COLOUR_QUESTIONS + SHAPE_QUESTIONS for w in q.lower().split()})
    return {"<unk>": 0, **{w: i + 1 for i, w in enumerate(words)}}


def encode(question, vocab):
    return [vocab.get(w, 0) for w in question.lower().split()]


def preprocess(pics):
    """uint8 [N,256,256,3] -> float32 [N,3,224,224]: CenterCrop(224), ToTensor (x/255), Normalize."""
    x = torch.from_numpy(pics[:, CROP:CROP + INNER, CROP:CROP + INNER, :]).permute(0, 3, 1, 2).float() / 255.0
    return ((x - MEAN) / STD).contiguous()


def batch(seed, start, n, vocab):
    pics, ids, labels = [], [], []
    for i in range(start, start + n):
        p, q, y = sample(seed, i)
        pics.append(p)
        ids.append(encode(q, vocab))
        labels.append(y)
    return preprocess(np.stack(pics)), ids, torch.tensor(labels)


def text_features(model, ids):
    """[N, hidden]: each question's LSTM output at its OWN last word (the seed's lstm_out[:, -1, :] on an
    unpadded text), computed for a ragged batch by packing."""
    lengths = torch.tensor([len(t) for t in ids])
    padded = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
    for i, t in enumerate(ids):
        padded[i, :len(t)] = torch.tensor(t)
    packed = nn.utils.rnn.pack_padded_sequence(model.embedding(padded), lengths, batch_first=True,
                                               enforce_sorted=False)
    _, (h, _) = model.lstm(packed)
    return h[0]


def logits(model, images, ids):
    return model.fc(torch.cat((model.image_features(images), text_features(model, ids)), dim=1))


def evaluate(model, data, vocab):
    """Accuracy on (images, ids, labels): normal, image zeroed, question replaced by unknown words."""
    images, ids, labels = data
    unk = [[0] * len(t) for t in ids]
    out = {}
    with torch.no_grad():
        for name, im, tx in (("accuracy", images, ids), ("image_zeroed", torch.zeros_like(images), ids),
                             ("question_unknown", images, unk)):
            pred = torch.cat([logits(model, im[i:i + 100], tx[i:i + 100]).argmax(1)
                              for i in range(0, len(tx), 100)])
            out[name] = (pred == labels).float().mean().item()
    return out


def write_samples(model, vocab, samples_seed=3):
    """The bundled sample pictures and demo_samples.json, with PyTorch's answer and probability for each."""
    samples = []
    with torch.no_grad():
        for i in range(8):
            pic, q, y = sample(samples_seed, i)
            name = "sample_%d.png" % i
            Image.fromarray(pic, "RGB").save(os.path.join(OUT, name))
            p = F.softmax(logits(model, preprocess(pic[None]), [encode(q, vocab)]), dim=1)[0]
            samples.append({"file": name, "question": q, "answer": LABELS[y], "seed": samples_seed, "index": i,
                            "torch_prediction": LABELS[int(p.argmax())], "torch_probability": round(float(p.max()), 4)})
    with open(os.path.join(OUT, "demo_samples.json"), "w") as f:
        json.dump(samples, f, indent=1)
        f.write("\n")


def record_samples():
    """--record-samples: PyTorch's answers for the bundled model as it is (e.g. one trained in Java by
    `vecnet demo --train` and copied in), without training."""
    vocab = vocabulary()
    model = MultimodalModel(len(LABELS), backbone=TinyResNet((8, 16, 32, 64)), num_embeddings=len(vocab),
                            embedding_dim=32, hidden_size=32, image_features=64)
    sd, _ = load_file(os.path.join(OUT, "demo_model.safetensors"))
    model.load_state_dict(sd)
    write_samples(model.eval(), vocab)
    print("wrote %s" % os.path.join(os.path.normpath(OUT), "demo_samples.json"))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    steps, batch_size = int(os.environ.get("DEMO_STEPS", "1500")), 32
    train_seed, test_seed, samples_seed = 1, 2, 3
    vocab = vocabulary()
    model = MultimodalModel(len(LABELS), backbone=TinyResNet((8, 16, 32, 64)), num_embeddings=len(vocab),
                            embedding_dim=32, hidden_size=32, image_features=64)
    for p in model.parameters():
        p.requires_grad = True       # the seed freezes a pretrained ResNet; this one learns from scratch
    n_params = sum(p.numel() for p in model.parameters())
    print("parameters: %d, vocabulary: %d words, classes: %s" % (n_params, len(vocab), LABELS), flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    t0 = time.time()
    model.train()
    for step in range(steps):
        images, ids, labels = batch(train_seed, step * batch_size, batch_size, vocab)
        loss = F.cross_entropy(logits(model, images, ids), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            print("step %4d  loss %.4f  %.0fs" % (step, loss.item(), time.time() - t0), flush=True)
    train_seconds = time.time() - t0
    model.eval()
    test = batch(test_seed, 0, 1000, vocab)
    acc = evaluate(model, test, vocab)
    print("held-out (1000 fresh samples, seed %d): accuracy %.1f %%, image zeroed %.1f %%, question unknown %.1f %%"
          % (test_seed, 100 * acc["accuracy"], 100 * acc["image_zeroed"], 100 * acc["question_unknown"]), flush=True)

    os.makedirs(OUT, exist_ok=True)
    sd = model.state_dict()
    assert len(sd) == 127, len(sd)
    save_file({k: v.detach().clone() for k, v in sd.items()}, os.path.join(OUT, "demo_model.safetensors"),
              {"vecnet_demo": "1", "labels": ",".join(LABELS)})
    with open(os.path.join(OUT, "demo_vocab.json"), "w") as f:
        json.dump(vocab, f, indent=0)
        f.write("\n")
    with open(os.path.join(OUT, "demo_labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    write_samples(model, vocab)
    with open(os.path.join(OUT, "demo_report.json"), "w") as f:
        json.dump({"steps": steps, "batch": batch_size, "parameters": n_params, "train_seconds": round(train_seconds),
                   "test_seed": test_seed, "test_samples": 1000, **{k: round(v, 4) for k, v in acc.items()}}, f, indent=1)
        f.write("\n")
    print("wrote %s" % os.path.normpath(OUT))


if __name__ == "__main__":
    if sys.argv[1:] == ["--record-samples"]:
        record_samples()
    else:
        main()
