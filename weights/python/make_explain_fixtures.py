"""PyTorch references for vecnet's explanations (vecnet.multimodal.Explainer) on the bundled demo model,
computed here directly from their definitions (no captum):

    /usr/bin/python3 weights/python/make_explain_fixtures.py [OUT]   (default: weights/fixtures/explain.safetensors)

Needs Debian bookworm's python3-torch 1.13 and numpy. One thread, no randomness: re-running gives the same file.

The pictures are not stored: case i is ShapesDataset sample (seed, index), which Java regenerates bit for bit
(train_demo.sample); its text is the sample's question unless metadata "case<i>.question" says otherwise.
For each case the explained classes are the top two logits. Definitions (as Explainer's javadoc):
  split    image = W_c[:F].img, text = W_c[F:].txt, bias = b_c                                  [3]
  cam      cam[y,x] = (1/(h*w)) sum_k W_c,k A4_k(y,x)   (layer4 activations A4, 7x7)           [7, 7]
  gradcam  G = d logit_c / d A^l; alpha_k = mean_{y,x} G_k; relu(sum_k alpha_k A^l_k)  l = 2, 3 [h_l, w_l]
  ig       midpoint rule, m = 64: alpha_s = (s + 1/2)/m, x_s = x0 + alpha_s (x - x0) in float32,
           x0 = embedding row 0 at every position; ig[t] = sum_e (x - x0)[t,e] * mean_s grad_s[t,e]  [T]
  loo      text part - text part with token t replaced by id 0                                   [T]
  delta    text part - text part of the all-zero-id text of the same length                      [1]
"""

import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402
import train_demo  # noqa: E402
from seed_model import MultimodalModel, TinyResNet  # noqa: E402

VERSION = "1"
STEPS = 64
DEMO = os.path.join(HERE, "..", "..", "multimodal", "src", "main", "resources", "vecnet", "demo")
OUT = os.path.join(HERE, "..", "fixtures", "explain.safetensors")
# (seed, index, question or None for the sample's own)
CASES = [(2026, 0, None), (2026, 1, None), (2026, 0, "what colour is the blob")]


def load_model():
    vocab = train_demo.vocabulary()
    model = MultimodalModel(len(train_demo.LABELS), backbone=TinyResNet((8, 16, 32, 64)), num_embeddings=len(vocab),
                            embedding_dim=32, hidden_size=32, image_features=64)
    sd, _ = safetensors_io.load_file(os.path.join(DEMO, "demo_model.safetensors"))
    model.load_state_dict(sd)
    return model.eval(), vocab


def stages(model, image):
    """Layer2, layer3, layer4 outputs (kept for their gradients) and the pooled features."""
    r = model.resnet
    image = image.clone().requires_grad_(True)  # the resnet's parameters are frozen (the seed's requires_grad=False)
    x = r[3](r[2](r[1](r[0](image))))
    x = r[4](x)
    a2 = r[5](x)
    a3 = r[6](a2)
    a4 = r[7](a3)
    for a in (a2, a3, a4):
        a.retain_grad()
    return a2, a3, a4, r[8](a4).flatten(1)


def text_part(model, ids, w):
    out, _ = model.lstm(model.embedding(torch.tensor([ids])))
    return float((out[0, -1].double() * w.double()).sum())


def grad_cam(a):
    alpha = a.grad.double().mean(dim=(2, 3))
    return F.relu((alpha[:, :, None, None] * a.detach().double()).sum(1))[0]


def main():
    torch.set_num_threads(1)
    model, vocab = load_model()
    nf = 64
    tensors, meta = {}, {"vecnet_fixtures": VERSION, "steps": str(STEPS)}
    for i, (seed, index, question) in enumerate(CASES):
        pic, q, _ = train_demo.sample(seed, index)
        q = question if question is not None else q
        if question is not None:
            meta["case%d.question" % i] = question
        ids = train_demo.encode(q, vocab)
        image = train_demo.preprocess(pic[None])
        p = "case%d." % i
        tensors[p + "seed"] = torch.tensor([seed], dtype=torch.int64)
        tensors[p + "index"] = torch.tensor([index], dtype=torch.int64)
        tensors[p + "ids"] = torch.tensor(ids, dtype=torch.int64)
        with torch.no_grad():
            logits = model(image, torch.tensor([ids]))[0]
        classes = torch.argsort(logits, descending=True)[:2]
        tensors[p + "logits"] = logits.clone()
        tensors[p + "classes"] = classes.clone()
        emb = model.embedding.weight.detach()
        x = emb[torch.tensor(ids)]
        x0 = emb[0].expand_as(x)
        alphas = torch.tensor([(s + 0.5) / STEPS for s in range(STEPS)], dtype=torch.float32)[:, None, None]
        for c in classes.tolist():
            k = p + "c%d." % c
            w = model.fc.weight.detach()[c]
            a2, a3, a4, img = stages(model, image)
            out, _ = model.lstm(model.embedding(torch.tensor([ids])))
            logit = model.fc(torch.cat((img, out[:, -1]), dim=1))[0, c]
            logit.backward()
            txt = out[0, -1].detach()
            tensors[k + "split"] = torch.tensor([float((w[:nf].double() * img[0].detach().double()).sum()),
                                                 float((w[nf:].double() * txt.double()).sum()),
                                                 float(model.fc.bias[c])], dtype=torch.float64)
            tensors[k + "cam"] = (w[:nf].double()[:, None, None] * a4[0].detach().double()).sum(0) / (7 * 7)
            tensors[k + "gradcam_layer3"] = grad_cam(a3)
            tensors[k + "gradcam_layer2"] = grad_cam(a2)
            model.zero_grad()

            points = (x0 + alphas * (x - x0)).detach().requires_grad_(True)
            seq, _ = model.lstm(points)
            (seq[:, -1] @ w[nf:]).sum().backward()
            ig = ((x - x0).double() * points.grad.double().mean(0)).sum(1)
            tensors[k + "ig"] = ig
            model.zero_grad()
            with torch.no_grad():
                full = text_part(model, ids, w[nf:])
                loo = []
                for t in range(len(ids)):
                    other = list(ids)
                    other[t] = 0
                    loo.append(full - text_part(model, other, w[nf:]))
                tensors[k + "loo"] = torch.tensor(loo, dtype=torch.float64)
                tensors[k + "delta"] = torch.tensor([full - text_part(model, [0] * len(ids), w[nf:])],
                                                    dtype=torch.float64)
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    safetensors_io.save_file({k: v.detach().contiguous() for k, v in tensors.items()}, out, metadata=meta)
    print("wrote %s (%d tensors)" % (os.path.normpath(out), len(tensors)))


if __name__ == "__main__":
    main()
