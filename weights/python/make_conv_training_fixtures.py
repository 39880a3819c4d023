"""PyTorch references for the backward passes of the convolutional side of training (issue 11).

    /usr/bin/python3 weights/python/make_conv_training_fixtures.py [OUT_DIR]   (default: weights/fixtures)

Needs Debian bookworm's python3-torch 1.13. Seeded and single-threaded, so re-running on one host gives the
same bytes; on another host the 20 training steps' final weights moved by up to 5e-6 (sgd.*, adam.*).
Reads tiny_fusion.safetensors (written by make_fixtures.py) for the ResNet weights of the demo widths, and
writes conv_training.safetensors with __metadata__ {"vecnet_conv_training": VERSION}. Keys:

  Layers at awkward shapes. Every case has x (input), gy (the gradient of the output, random), y (output),
  dx (input gradient) and d<param> for each parameter; the Java tests (vecnet.layers.ConvTrainingParityTest)
  hold the same hyper-parameters as CASES below.
    conv_<name>.*       Conv2d cases, see CONV_CASES (weight, bias if any, dweight, dbias)
    bn_train.*          BatchNorm2d in train mode: weight, bias, running_mean/var before (rm0, rv0) and after
                        (rm1, rv1); then bn_steps.x [3, ...] are three more train-mode forwards and
                        bn_steps.rm/rv/nbt the running statistics and num_batches_tracked after them
    bn_eval.*           BatchNorm2d in eval mode (running statistics used, not updated)
    relu.*              x has exact zeros (their gradient is 0, as torch's threshold_backward gives)
    pool_<name>.*       MaxPool2d with many ties (integer-valued inputs), AdaptiveAvgPool2d

  The ResNet (torchvision's BasicBlock layout, features = flatten(avgpool(...)), no fc):
    rn8.*               widths 8-16-32-64, the ResNet of tiny_fusion.safetensors (randomized BN), train mode:
                        rn8.x [3,3,40,36], rn8.g (the gradient of the features), rn8.features,
                        rn8.dx, rn8.grad.<key> for every parameter, rn8.after.<key> for every running stat
                        and num_batches_tracked after the forward, rn8.stage<i> and rn8.dstage<i> (i = 1..4):
                        the output of layer<i> and the gradient with respect to it
    rn4.*               widths 4-8-16-32, seeded, randomized BN: rn4.param.<key> (its state_dict,
                        torchvision keys with fc), eval mode: rn4.x [2,3,29,27], rn4.g, rn4.features, rn4.dx,
                        rn4.grad.<key>
    sgd.*               20 steps of SGD(lr 0.004, momentum 0.9) on rn4 + its fc (Linear(32, 5)) in train mode,
                        CrossEntropyLoss(mean), batches made by sgd_batch() (integer hashing, the same in Java):
                        sgd.loss [20], sgd.final.<key> (every state_dict entry after the 20 steps).
                        Version 1 had lr 0.01, whose trajectory forks at step 17: a change of the learning
                        rate by 1e-7 of itself, or vecnet's 128-bit kernels instead of its 512-bit ones, took
                        the other branch (losses 8e-4 to 6e-3 apart). At lr 0.004, 28 runs in Java (four
                        kernel widths, the learning rate moved by up to 1e-6 of itself) agree to 3e-6 in
                        the losses and 2e-6 (of the largest value) in every tensor after the 20 steps; at
                        0.005-0.008 some of them forked (conv1's or a downsample's weights; not traced).
    adam.*              the same 20 batches from the same start with Adam(lr 1e-3): adam.loss, adam.final.<key>
"""

import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from seed_model import TinyResNet  # noqa: E402

VERSION = "2"
META = {"vecnet_conv_training": VERSION}

# name -> (cin, cout, (kh, kw), (sh, sw), (ph, pw), (dh, dw), groups, bias, x shape)
CONV_CASES = {
    "a": (3, 4, (3, 3), (2, 2), (1, 1), (1, 1), 1, True, (2, 3, 9, 7)),
    "b": (4, 6, (3, 2), (1, 2), (2, 1), (2, 1), 2, True, (3, 4, 8, 7)),
    "c": (5, 3, (1, 1), (2, 2), (0, 0), (1, 1), 1, False, (2, 5, 7, 5)),
    "d": (3, 4, (7, 7), (2, 2), (3, 3), (1, 1), 1, False, (2, 3, 13, 11)),
    "e": (6, 6, (3, 3), (1, 1), (1, 1), (1, 1), 3, False, (1, 6, 5, 6)),
}
# name -> (kernel, stride, padding, x shape, distinct values)
MAXPOOL_CASES = {
    "max3s2p1": (3, 2, 1, (2, 3, 7, 6), 3),
    "max2s2p0": (2, 2, 0, (1, 2, 5, 4), 2),
    "max3s1p1_zeros": (3, 1, 1, (1, 1, 3, 3), 1),
}
# name -> (out h, out w, x shape)
AVGPOOL_CASES = {
    "avg11": (1, 1, (2, 3, 5, 7)),
    "avg23": (2, 3, (2, 3, 5, 7)),
}


def f32(t):
    return t.detach().to(torch.float32).contiguous().clone()


def conv_cases(out):
    g = torch.Generator().manual_seed(101)
    for name, (cin, cout, k, s, p, d, groups, bias, xs) in CONV_CASES.items():
        conv = nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, groups=groups, bias=bias)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * 0.5)
            if bias:
                conv.bias.copy_(torch.randn(cout, generator=g) * 0.5)
        x = torch.randn(xs, generator=g).requires_grad_(True)
        y = conv(x)
        gy = torch.randn(y.shape, generator=g)
        y.backward(gy)
        pre = "conv_" + name + "."
        out[pre + "x"], out[pre + "gy"], out[pre + "y"], out[pre + "dx"] = f32(x), f32(gy), f32(y), f32(x.grad)
        out[pre + "weight"], out[pre + "dweight"] = f32(conv.weight), f32(conv.weight.grad)
        if bias:
            out[pre + "bias"], out[pre + "dbias"] = f32(conv.bias), f32(conv.bias.grad)


def bn_cases(out):
    g = torch.Generator().manual_seed(202)
    c = 5
    for mode in ("train", "eval"):
        bn = nn.BatchNorm2d(c)
        with torch.no_grad():
            bn.weight.copy_(0.6 + 0.8 * torch.rand(c, generator=g))
            bn.bias.copy_(0.3 * torch.randn(c, generator=g))
            bn.running_mean.copy_(0.5 * torch.randn(c, generator=g))
            bn.running_var.copy_(0.5 + torch.rand(c, generator=g))
            bn.num_batches_tracked.fill_(7)
        pre = "bn_" + mode + "."
        out[pre + "weight"], out[pre + "bias"] = f32(bn.weight), f32(bn.bias)
        out[pre + "rm0"], out[pre + "rv0"] = f32(bn.running_mean), f32(bn.running_var)
        bn.train(mode == "train")
        x = (torch.randn((3, c, 4, 3), generator=g) * 2 + 1).requires_grad_(True)
        y = bn(x)
        gy = torch.randn(y.shape, generator=g)
        y.backward(gy)
        out[pre + "x"], out[pre + "gy"], out[pre + "y"], out[pre + "dx"] = f32(x), f32(gy), f32(y), f32(x.grad)
        out[pre + "dweight"], out[pre + "dbias"] = f32(bn.weight.grad), f32(bn.bias.grad)
        out[pre + "rm1"], out[pre + "rv1"] = f32(bn.running_mean), f32(bn.running_var)
        if mode == "train":
            xs = torch.randn((3, 2, c, 3, 5), generator=g) * 1.5 - 0.5
            with torch.no_grad():
                for i in range(3):
                    bn(xs[i])
            out["bn_steps.x"] = f32(xs)
            out["bn_steps.rm"], out["bn_steps.rv"] = f32(bn.running_mean), f32(bn.running_var)
            out["bn_steps.nbt"] = bn.num_batches_tracked.detach().to(torch.float32).reshape(1)


def elementwise_cases(out):
    g = torch.Generator().manual_seed(303)
    x = torch.randn((2, 3, 4, 5), generator=g)
    x[0, 0, 0, :3] = 0.0
    x[1, 2, 3, 1] = -0.0
    x.requires_grad_(True)
    y = torch.relu(x)
    gy = torch.randn(y.shape, generator=g)
    y.backward(gy)
    out["relu.x"], out["relu.gy"], out["relu.y"], out["relu.dx"] = f32(x), f32(gy), f32(y), f32(x.grad)
    for name, (k, s, p, xs, distinct) in MAXPOOL_CASES.items():
        x = torch.randint(0, distinct, xs, generator=g).to(torch.float32) - (distinct // 2)
        x.requires_grad_(True)
        y = F.max_pool2d(x, k, s, p)
        gy = torch.randn(y.shape, generator=g) if distinct > 1 else torch.ones(y.shape)
        y.backward(gy)
        pre = "pool_" + name + "."
        out[pre + "x"], out[pre + "gy"], out[pre + "y"], out[pre + "dx"] = f32(x), f32(gy), f32(y), f32(x.grad)
    for name, (oh, ow, xs) in AVGPOOL_CASES.items():
        x = torch.randn(xs, generator=g).requires_grad_(True)
        y = F.adaptive_avg_pool2d(x, (oh, ow))
        gy = torch.randn(y.shape, generator=g)
        y.backward(gy)
        pre = "pool_" + name + "."
        out[pre + "x"], out[pre + "gy"], out[pre + "y"], out[pre + "dx"] = f32(x), f32(gy), f32(y), f32(x.grad)


def features(net, x, keep=None):
    """flatten(avgpool(layer4(...))), keeping each layer's output (with retain_grad) in `keep`."""
    x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
    for i, layer in enumerate((net.layer1, net.layer2, net.layer3, net.layer4)):
        x = layer(x)
        if keep is not None:
            x.retain_grad()
            keep.append(x)
    return torch.flatten(net.avgpool(x), 1)


def sequential_to_torchvision(key):
    """resnet.0.weight -> conv1.weight, resnet.4.0.conv1.weight -> layer1.0.conv1.weight."""
    parts = key[len("resnet."):].split(".", 1)
    child = int(parts[0])
    head = {0: "conv1", 1: "bn1"}.get(child, "layer%d" % (child - 3))
    return head + "." + parts[1]


def resnet8(out, fixtures):
    tensors, _ = safetensors_io.load_file(os.path.join(fixtures, "tiny_fusion.safetensors"))
    sd = {sequential_to_torchvision(k): v for k, v in tensors.items() if k.startswith("resnet.")}
    net = TinyResNet((8, 16, 32, 64))
    missing = net.load_state_dict(sd, strict=False)
    assert missing.unexpected_keys == [] and all(k.startswith("fc.") for k in missing.missing_keys), missing
    g = torch.Generator().manual_seed(404)
    x = torch.randn((3, 3, 40, 36), generator=g).requires_grad_(True)
    net.train()
    stages = []
    f = features(net, x, stages)
    gf = torch.randn(f.shape, generator=g)
    f.backward(gf)
    out["rn8.x"], out["rn8.g"], out["rn8.features"], out["rn8.dx"] = f32(x), f32(gf), f32(f), f32(x.grad)
    for name, p in net.named_parameters():
        if not name.startswith("fc."):
            out["rn8.grad." + name] = f32(p.grad)
    for name, b in net.named_buffers():
        out["rn8.after." + name] = b.detach().to(torch.float32).reshape(b.shape if b.dim() else (1,)).clone()
    for i, s in enumerate(stages):
        out["rn8.stage%d" % (i + 1)], out["rn8.dstage%d" % (i + 1)] = f32(s), f32(s.grad)


def randomize_bn(net, g):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(0.6 + 0.8 * torch.rand(c, generator=g))
                m.bias.copy_(0.15 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.3 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))
                m.num_batches_tracked.fill_(3)


def sgd_batch(step, n=4, c=3, h=40, w=36, classes=5):
    """Batch `step` of the SGD run (4 images 40x36: at 24x20 layer4's batch-norm sees 4 values per channel and
    20 steps are chaotic, float32 and float64 torch then differ by 0.5 in the loss): x[i] = ((hash(step, i) >> 8) / 2^24 - 0.5) * 4 with an integer hash
    that Java reproduces exactly (all values are exact float32), labels = hash % classes."""
    size = n * c * h * w
    idx = torch.arange(size, dtype=torch.int64)
    hsh = ((idx + step * 1000003) * 2654435761 + 12345) % (1 << 32)
    hsh = (hsh ^ (hsh >> 13)) * 1274126177 % (1 << 32)
    x = (((hsh >> 8).to(torch.float64) / (1 << 24)) - 0.5) * 4.0
    labels = (torch.arange(n, dtype=torch.int64) * 7 + step * 3) % classes
    return x.to(torch.float32).reshape(n, c, h, w), labels


def resnet4(out):
    torch.manual_seed(505)
    net = TinyResNet((4, 8, 16, 32), num_classes=5)
    g = torch.Generator().manual_seed(506)
    randomize_bn(net, g)
    for k, v in net.state_dict().items():
        out["rn4.param." + k] = v.detach().to(torch.float32).reshape(v.shape if v.dim() else (1,)).clone()
    net.eval()
    x = torch.randn((2, 3, 29, 27), generator=g).requires_grad_(True)
    f = features(net, x)
    gf = torch.randn(f.shape, generator=g)
    f.backward(gf)
    out["rn4.x"], out["rn4.g"], out["rn4.features"], out["rn4.dx"] = f32(x), f32(gf), f32(f), f32(x.grad)
    for name, p in net.named_parameters():
        if not name.startswith("fc."):
            out["rn4.grad." + name] = f32(p.grad)

    net.zero_grad()
    initial = copy.deepcopy(net.state_dict())
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.004, momentum=0.9)
    losses = []
    for step in range(20):
        xb, yb = sgd_batch(step)
        opt.zero_grad()
        loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["sgd.loss"] = torch.tensor(losses, dtype=torch.float32)
    for k, v in net.state_dict().items():
        out["sgd.final." + k] = v.detach().to(torch.float32).reshape(v.shape if v.dim() else (1,)).clone()
    # the same 20 batches from the same start with Adam(lr 1e-3), the defaults otherwise
    net.load_state_dict(initial)
    net.zero_grad()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    for step in range(20):
        xb, yb = sgd_batch(step)
        opt.zero_grad()
        loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["adam.loss"] = torch.tensor(losses, dtype=torch.float32)
    for k, v in net.state_dict().items():
        out["adam.final." + k] = v.detach().to(torch.float32).reshape(v.shape if v.dim() else (1,)).clone()
    # a check of sgd_batch itself, so the Java port is tested against it
    out["sgd.batch7.x"], out["sgd.batch7.y"] = sgd_batch(7)[0][:, :, :2, :3].contiguous(), sgd_batch(7)[1].to(torch.float32)


def main():
    torch.set_num_threads(1)
    here = os.path.dirname(os.path.abspath(__file__))
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "fixtures")
    out = {}
    conv_cases(out)
    bn_cases(out)
    elementwise_cases(out)
    resnet8(out, folder)
    resnet4(out)
    path = os.path.join(folder, "conv_training.safetensors")
    safetensors_io.save_file(out, path, META)
    print("wrote %s: %d tensors, %d bytes" % (path, len(out), os.path.getsize(path)))


if __name__ == "__main__":
    main()
