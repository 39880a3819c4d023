"""Deterministic generator of the PyTorch fixtures that vecnet's Java tests compare against.

    /usr/bin/python3 weights/python/make_fixtures.py [OUT_DIR]      (default: weights/fixtures next to this folder)

Needs Debian bookworm's python3-torch 1.13, python3-torchvision 0.14, python3-pil 9.4 and numpy. Everything is
seeded and runs on one thread, so re-running gives byte-identical files, except views_legacy.pth, whose
storage keys are memory addresses (its content is identical). The files, keys, shapes and dtypes are the
"fixtures" contract; weights/fixtures/README.md (written by this script) describes each one and how it is
computed. Every safetensors file carries __metadata__ {"vecnet_fixtures": VERSION}; the VERSION file holds
"vecnet-fixtures VERSION". Bump VERSION when the content changes in a way a test must notice.

Sections: images and preprocessing (src_*, resized_*, crop_*, pre_noop; land/port tensors are image224), decoding (gray, palette, rgba, rgb16,
photo, cmyk, truncated), the tiny fusion model and its inputs/outputs (tiny_fusion*, tiny_fusion_io),
.pth reader edge cases (views*, checkpoint, dataparallel), tokenizer (vocab.*, texts.json).
"""

import copy
import io
import json
import os
import struct
import sys
import time
import zlib
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torchvision
from PIL import Image, ImageDraw
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from seed_model import tiny_multimodal  # noqa: E402

VERSION = "1"
META = {"vecnet_fixtures": VERSION}
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
PRE = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                          transforms.Normalize(mean=MEAN, std=STD)])
TO_NORMALIZED = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=MEAN, std=STD)])

# Preprocessing cases: name -> (width, height, seed)
CASES = OrderedDict([("land", (400, 300, 11)), ("port", (150, 200, 12)), ("noop", (343, 256, 13))])


class Out:
    """Writes files into the output folder and remembers what it wrote, for the README and the checks."""

    def __init__(self, folder):
        self.folder = folder
        self.docs = OrderedDict()    # file -> (description, [(key, shape, dtype, how)] or None)

    def path(self, name):
        return os.path.join(self.folder, name)

    def safetensors(self, name, tensors, doc, how=None):
        safetensors_io.save_file(tensors, self.path(name), META)
        back, meta = safetensors_io.load_file(self.path(name))   # our reader reads back what we wrote
        assert meta == META and set(back) == set(tensors), name
        for k, v in tensors.items():
            assert back[k].dtype == v.dtype and back[k].shape == v.shape, (name, k)
            assert safetensors_io.tensor_bytes(back[k]) == safetensors_io.tensor_bytes(v), (name, k)
        how = how or {}
        rows = [(k, list(v.shape), safetensors_io.dtype_name(v), how.get(k, "")) for k, v in tensors.items()]
        self.docs[name] = (doc, rows)

    def raw(self, name, data, doc):
        with open(self.path(name), "wb") as f:
            f.write(data)
        self.docs[name] = (doc, None)

    def note(self, name, doc):
        self.docs[name] = (doc, None)


# ---------------------------------------------------------------------------------------------------------
# Images: synthetic scenes with structure (gradients, hard-edged shapes, fine stripes, a noise patch)

def scene(w, h, seed):
    """A w x h RGB uint8 image: smooth colour gradients, a few shapes, 1-px stripes and a checkerboard
    (aliasing traps for a resampler), and a small uniform-noise patch. Mostly smooth, so PNGs stay small."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255.0 * x / (w - 1)
    g = 255.0 * y / (h - 1)
    b = 128.0 + 90.0 * np.sin(2 * np.pi * x / 41.0) * np.cos(2 * np.pi * y / 29.0)
    a = np.clip(np.stack([r, g, b], axis=-1), 0, 255).round().astype(np.uint8)
    img = Image.fromarray(a, "RGB")
    d = ImageDraw.Draw(img)
    cx, cy = int(rng.integers(w // 4, w // 2)), int(rng.integers(h // 4, h // 2))
    d.ellipse([cx - w // 6, cy - h // 6, cx + w // 6, cy + h // 5], fill=(230, 40, 30))
    d.rectangle([w // 2, h // 2, w // 2 + w // 5, h // 2 + h // 7], fill=(20, 20, 200), outline=(255, 255, 255))
    d.polygon([(w - 5, 3), (w - w // 4, h // 3), (w - 3, h // 2)], fill=(250, 240, 20))
    d.line([(0, h - 1), (w - 1, 0)], fill=(0, 0, 0), width=2)
    a = np.array(img)
    # 1-px vertical stripes and a 2-px checkerboard
    sx, sy = w // 10, h - h // 4
    a[sy:sy + h // 8, sx:sx + w // 6] = np.where((np.arange(w // 6) % 2 == 0)[None, :, None], 255, 0)
    cyy, cxx = np.mgrid[0:h // 8, 0:w // 6]
    a[h // 12:h // 12 + h // 8, w - w // 4:w - w // 4 + w // 6] = \
        np.where((((cyy // 2) + (cxx // 2)) % 2 == 0)[:, :, None], 250, 10)
    # a noise patch
    ph, pw = h // 10, w // 10
    a[h // 2 - ph:h // 2, 2:2 + pw] = rng.integers(0, 256, size=(ph, pw, 3), dtype=np.uint8)
    return Image.fromarray(a, "RGB")


def png_bytes(img):
    buf = io.BytesIO()
    img.save(buf, "PNG")                  # Pillow writes no gAMA/iCCP/tIME chunks for a fresh image
    return buf.getvalue()


def check_png_plain(data):
    """8-bit RGB PNG without colour-management chunks (gAMA, iCCP, sRGB, cHRM)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        assert typ not in (b"gAMA", b"iCCP", b"sRGB", b"cHRM"), typ
        pos += 12 + n


def png16_rgb(a16):
    """A 16-bit-per-channel RGB PNG (colour type 2, bit depth 16) written by hand; a16 uint16 [H,W,3]."""
    h, w, _ = a16.shape

    def chunk(typ, payload):
        return struct.pack(">I", len(payload)) + typ + payload + struct.pack(">I", zlib.crc32(typ + payload))

    raw = b"".join(b"\x00" + a16[i].astype(">u2").tobytes() for i in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def decoded_rgb(path):
    with Image.open(path) as im:
        return torch.from_numpy(np.array(im.convert("RGB")))


def make_preprocessing(out):
    """src_<case>.png, resized_<case>.png, crop_<case>.png, pre_noop.safetensors; returns {case: [1,3,224,224]}.

    The tensors of land and port are stored once, as image224 of tiny_fusion_io.safetensors."""
    pre = OrderedDict()
    for case, (w, h, seed) in CASES.items():
        src = scene(w, h, seed)
        data = png_bytes(src)
        check_png_plain(data)
        out.raw("src_%s.png" % case, data, "source image %dx%d (W x H), 8-bit RGB, scene(seed=%d)" % (w, h, seed))
        with Image.open(out.path("src_%s.png" % case)) as im:
            img = im.convert("RGB")
        resized = transforms.Resize(256)(img)
        crop = transforms.CenterCrop(224)(resized)
        rw, rh = resized.size
        out.raw("resized_%s.png" % case, png_bytes(resized),
                "Resize(256) of src_%s: %dx%d%s (exact Pillow uint8 output)" % (
                    case, rw, rh, ", a no-op (short side already 256: returned untouched)" if (rw, rh) == (w, h)
                    else ", Pillow BILINEAR"))
        left, top = int(round((rw - 224) / 2.0)), int(round((rh - 224) / 2.0))
        out.raw("crop_%s.png" % case, png_bytes(crop),
                "CenterCrop(224) of resized_%s: left %d, top %d (Python round, half to even)" % (case, left, top))
        x = PRE(img).unsqueeze(0)
        # the PNGs reproduce the tensors exactly
        with Image.open(out.path("resized_%s.png" % case)) as im:
            assert np.array_equal(np.array(im.convert("RGB")), np.array(resized))
        with Image.open(out.path("crop_%s.png" % case)) as im:
            y = TO_NORMALIZED(im.convert("RGB")).unsqueeze(0)
        assert torch.equal(x, y), case
        if case != "noop":
            # land and port are image224[0] and image224[1] of tiny_fusion_io.safetensors: not stored twice
            pre[case] = x
            continue
        out.safetensors("pre_%s.safetensors" % case, OrderedDict([("image", x)]),
                        "torchvision preprocessing of src_%s.png" % case,
                        {"image": "Normalize(ImageNet)(ToTensor(CenterCrop(224)(Resize(256)("
                                  "Image.open('src_%s.png').convert('RGB'))))).unsqueeze(0)" % case})
        pre[case] = x
    return pre


def make_decoding(out):
    """gray.png, palette.png, rgba.png, rgb16.png, photo.jpg (+ decoded_*), cmyk.jpg, truncated.jpg."""
    base = scene(61, 47, 21)
    cases = OrderedDict()
    cases["gray.png"] = (base.convert("L"), "mode L (8-bit grayscale) 61x47")
    cases["palette.png"] = (base.quantize(colors=16, method=Image.Quantize.MEDIANCUT),
                            "mode P (16-colour palette, median cut) 61x47")
    rgba = np.dstack([np.array(base), (np.arange(61)[None, :].repeat(47, 0) * 4).astype(np.uint8)])
    cases["rgba.png"] = (Image.fromarray(rgba, "RGBA"), "mode RGBA 61x47, alpha = 4*x (convert('RGB') drops alpha)")
    for name, (img, doc) in cases.items():
        out.raw(name, png_bytes(img), doc)
    rng = np.random.default_rng(22)
    a16 = (np.array(base).astype(np.uint16) * 257) ^ rng.integers(0, 256, size=(47, 61, 3), dtype=np.uint16)
    out.raw("rgb16.png", png16_rgb(a16),
            "16-bit RGB PNG 61x47 (colour type 2, bit depth 16, written by hand): sample = 257*v XOR noise(0..255); "
            "Pillow opens it as mode RGB keeping the high byte of each sample")
    with Image.open(out.path("src_land.png")) as im:
        land = im.convert("RGB")
    with Image.open(out.path("src_port.png")) as im:
        port = im.convert("RGB")
    buf = io.BytesIO()
    port.save(buf, "JPEG", quality=90)
    photo = buf.getvalue()
    out.raw("photo.jpg", photo, "src_port.png saved by Pillow as JPEG, quality 90 (4:2:0, baseline, JFIF)")
    for name in ["gray.png", "palette.png", "rgba.png", "rgb16.png", "photo.jpg"]:
        with Image.open(out.path(name)) as im:
            mode = im.mode
        rgb = decoded_rgb(out.path(name))
        if name == "rgb16.png":
            assert mode == "RGB" and np.array_equal(rgb.numpy(), (a16 >> 8).astype(np.uint8))
        out.safetensors("decoded_%s.safetensors" % name.split(".")[0], OrderedDict([("rgb", rgb)]),
                        "what Pillow decodes from %s (Image.open mode %s)" % (name, mode),
                        {"rgb": "np.array(Image.open('%s').convert('RGB'))" % name})
    buf = io.BytesIO()
    land.crop((0, 0, 64, 48)).convert("CMYK").save(buf, "JPEG", quality=90)
    out.raw("cmyk.jpg", buf.getvalue(), "a 64x48 CMYK JPEG (4 components, Adobe marker): to be refused")
    cut = photo[:len(photo) * 2 // 5]
    out.raw("truncated.jpg", cut, "the first %d of the %d bytes of photo.jpg: to be refused" % (len(cut), len(photo)))
    try:
        with Image.open(out.path("truncated.jpg")) as im:
            im.load()
        raise AssertionError("Pillow decoded truncated.jpg")
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------------------
# The tiny fusion model

def randomize_batchnorm(model, calib):
    """Give every BatchNorm2d non-trivial eval statistics: running stats measured on `calib` in train mode
    (cumulative average), then perturbed; weight U(0.6,1.4), bias N(0,0.15); num_batches_tracked = 1234."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        model.resnet(calib)
    g = torch.Generator().manual_seed(4321)
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            std = m.running_var.sqrt()
            m.running_mean.add_(0.2 * std * torch.randn(c, generator=g))
            m.running_var.mul_(0.6 + 0.8 * torch.rand(c, generator=g))
            m.weight.copy_(0.6 + 0.8 * torch.rand(c, generator=g))
            m.bias.copy_(0.15 * torch.randn(c, generator=g))
            m.num_batches_tracked.fill_(1234)
            m.momentum = 0.1
    model.eval()


def init_doc(key):
    """How a tiny-model tensor was initialised, for the README."""
    if key.endswith("num_batches_tracked"):
        return "1234"
    if key.startswith("resnet."):
        if key.endswith(("running_mean", "running_var")) or ".bn" in key or key.startswith("resnet.1.") \
                or ".downsample.1." in key:
            return "BatchNorm, randomized (see above)"
        return "conv, kaiming_normal_(mode='fan_out', nonlinearity='relu'), no bias"
    if key.startswith("embedding"):
        return "nn.Embedding default N(0, 1)"
    if key.startswith("lstm"):
        return "nn.LSTM default U(-1/4, 1/4); rows in gate order i, f, g, o"
    return "nn.Linear default U(-1/sqrt(80), 1/sqrt(80)); columns 0..63 image, 64..79 text"


def run_stages(model, x):
    """The output of every child resnet.<i> (clones: ReLU is in place)."""
    stages = []
    for child in model.resnet:
        x = child(x)
        stages.append(x.clone())
    return stages


def make_model(out, pre):
    torch.manual_seed(2024)
    model = tiny_multimodal()
    with Image.open(out.path("src_land.png")) as a, Image.open(out.path("src_port.png")) as b:
        odd = [TO_NORMALIZED(im.convert("RGB").resize((83, 97), Image.BILINEAR)) for im in (a, b)]
    image_odd = torch.stack(odd).contiguous()
    image224 = torch.cat([pre["land"], pre["port"]]).contiguous()
    randomize_batchnorm(model, torch.cat([image224[:, :, ::2, ::2], torch.flip(image224, [3])[:, :, 1::2, 1::2]]))
    assert not model.training
    sd = model.state_dict()
    assert len(sd) == 127

    torch.save(sd, out.path("tiny_fusion.pth"))
    out.note("tiny_fusion.pth", "torch.save(model.state_dict()) of the tiny fusion model (zip format, root folder "
             "'tiny_fusion/'); same 127 keys and order as the seed model; see the key table of tiny_fusion.safetensors")
    back = torch.load(out.path("tiny_fusion.pth"))
    assert list(back) == list(sd) and all(torch.equal(back[k], sd[k]) for k in sd)
    out.safetensors("tiny_fusion.safetensors", sd,
                    "the same state_dict as tiny_fusion.pth (JSON/data order: dtype, then name, as safetensors writes)",
                    {k: init_doc(k) for k in sd})

    text = torch.tensor([[1, 7, 0, 23, 49, 5], [49, 0, 12, 3, 3, 0]], dtype=torch.int64)
    text_len1 = torch.tensor([[17]], dtype=torch.int64)
    m64 = copy.deepcopy(model).double()
    with torch.no_grad():
        s224, sodd = run_stages(model, image224), run_stages(model, image_odd)
        feat_224, feat_odd = model.image_features(image224), model.image_features(image_odd)
        assert torch.equal(feat_224, s224[8].view(2, -1)) and torch.equal(feat_odd, sodd[8].view(2, -1))
        logits_224, logits_odd = model(image224, text), model(image_odd, text)
        lstm_out, (lstm_h, lstm_c) = model.text_features(text)
        lstm_out_len1, _ = model.text_features(text_len1)
        logits_len1 = model(image224[0:1], text_len1)
        f64 = OrderedDict()
        f64["logits_224_f64"] = m64(image224.double(), text)
        f64["logits_odd_f64"] = m64(image_odd.double(), text)
        f64["feat_224_f64"] = m64.image_features(image224.double())
        f64["feat_odd_f64"] = m64.image_features(image_odd.double())
    t = OrderedDict()
    how = {}
    t["image224"] = image224
    how["image224"] = "torchvision preprocessing (Resize 256, CenterCrop 224, ToTensor, Normalize) of src_land.png and src_port.png, stacked"
    t["image_odd"] = image_odd
    how["image_odd"] = ("Normalize(ImageNet)(ToTensor(src.resize((83, 97), BILINEAR))) of src_land.png, src_port.png "
                        "(W=83, H=97)")
    t["text"] = text
    how["text"] = "[[1,7,0,23,49,5],[49,0,12,3,3,0]] (ids 0 and 49 = vocab-1 included)"
    t["text_len1"] = text_len1
    how["text_len1"] = "[[17]]"
    t["logits_224"], how["logits_224"] = logits_224, "model(image224, text)"
    t["logits_odd"], how["logits_odd"] = logits_odd, "model(image_odd, text)"
    t["feat_224"], how["feat_224"] = feat_224, "resnet(image224).view(2, -1) (after avgpool and flatten)"
    t["feat_odd"], how["feat_odd"] = feat_odd, "resnet(image_odd).view(2, -1)"
    for k, v in f64.items():
        t[k] = v
        how[k] = "the same in float64: copy.deepcopy(model).double() on image.double()"
    names = ["conv", "bn", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"]
    for i in range(9):
        t["stage_odd.%d" % i] = sodd[i]
        how["stage_odd.%d" % i] = "output of resnet.%d (%s), children applied in order to image_odd" % (i, names[i])
    for i in range(3, 9):
        t["stage_224.%d" % i] = s224[i]
        how["stage_224.%d" % i] = "output of resnet.%d (%s) on image224" % (i, names[i])
    t["lstm_out"], how["lstm_out"] = lstm_out, "lstm(embedding(text))[0]"
    t["lstm_h"], how["lstm_h"] = lstm_h, "h_n of lstm(embedding(text))"
    t["lstm_c"], how["lstm_c"] = lstm_c, "c_n of lstm(embedding(text))"
    t["text_feat"], how["text_feat"] = lstm_out[:, -1, :].contiguous(), "lstm_out[:, -1, :] (equals lstm_h[0])"
    t["lstm_out_len1"], how["lstm_out_len1"] = lstm_out_len1, "lstm(embedding(text_len1))[0]"
    t["logits_len1_224"], how["logits_len1_224"] = logits_len1, "model(image224[0:1], text_len1)"
    for k in list(t):
        t[k] = t[k].detach().contiguous()
    out.safetensors("tiny_fusion_io.safetensors", t,
                    "inputs, outputs and activations of the tiny fusion model (model.eval(), torch.no_grad(), "
                    "1 thread)", how)
    return {"f32_vs_f64_logits": max((logits_224.double() - f64["logits_224_f64"]).abs().max().item(),
                                     (logits_odd.double() - f64["logits_odd_f64"]).abs().max().item()),
            "max_abs_logits": max(logits_224.abs().max().item(), logits_odd.abs().max().item()),
            "max_abs_feat": max(feat_224.abs().max().item(), feat_odd.abs().max().item())}


# ---------------------------------------------------------------------------------------------------------
# .pth reader edge cases

def views_dict():
    """An OrderedDict of tensors that share storages, with offsets, strides and every storage dtype."""
    base = torch.arange(16, dtype=torch.float32).reshape(4, 4) * 0.5 - 3.25
    half = (torch.arange(16, dtype=torch.float32).reshape(4, 4) / 3 - 2).half()
    bf = (torch.arange(6, dtype=torch.float32).reshape(2, 3) * 1.3 - 2.1).bfloat16()
    d = OrderedDict()
    d["base"] = base                              # storage 0 (16 floats), offset 0
    d["row1"] = base[1]                           # same storage, offset 4, size (4,), stride (1,)
    d["col2"] = base[:, 2]                        # offset 2, stride (4,)
    d["transposed"] = base.t()                    # offset 0, stride (1, 4)
    d["block"] = base[1:3, 1:3]                   # offset 5, size (2, 2), stride (4, 1)
    d["half"] = half[:, 1:]                       # HalfStorage of 16, offset 1, size (4, 3), stride (4, 1)
    d["half_special"] = torch.tensor([5.96e-8, -6.1e-5, 6.104e-5, 65504.0, float("inf"), float("-inf"), -0.0,
                                      1 / 3.0], dtype=torch.float16)
    d["bf16"] = bf[:, 1]                          # BFloat16Storage of 6, offset 1, stride (3,)
    d["f64"] = torch.tensor([[1 / 3.0, -2.5e-300, 1e300], [0.1, -0.0, 7.0]], dtype=torch.float64)
    d["special"] = torch.tensor([float("inf"), float("-inf"), -0.0, 1e-45, 3.4028234663852886e38, 1.17549435e-38],
                                dtype=torch.float32)
    d["count"] = torch.tensor(7, dtype=torch.int64)              # 0-d: size (), stride ()
    d["i64"] = torch.tensor([-(2 ** 63), 2 ** 63 - 1, -1, 0], dtype=torch.int64)
    d["i32"] = torch.tensor([-(2 ** 31), 2 ** 31 - 1, -7], dtype=torch.int32)
    d["i16"] = torch.tensor([-32768, 32767, 3], dtype=torch.int16)
    d["i8"] = torch.tensor([[-128, 127], [0, -1]], dtype=torch.int8)
    d["u8"] = torch.tensor([0, 255, 128], dtype=torch.uint8)
    d["bool"] = torch.tensor([True, False, False, True])
    d["param"] = nn.Parameter(torch.tensor([0.25, -0.5, 1.5]))   # pickled with torch._utils._rebuild_parameter
    d._metadata = OrderedDict([("", {"version": 1})])
    return d


def make_views(out):
    d = views_dict()
    torch.save(d, out.path("views.pth"))
    torch.save(d, out.path("views_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save({"epoch": 3, "state_dict": d}, out.path("checkpoint.pth"))
    dp = OrderedDict(("module." + k, v) for k, v in d.items())
    dp._metadata = OrderedDict([("", {"version": 1}), ("module", {"version": 1})])
    real_tag = torch.serialization.location_tag
    torch.serialization.location_tag = lambda storage: "cuda:0"   # as saved from a GPU; readers ignore it
    try:
        torch.save(dp, out.path("dataparallel.pth"))
    finally:
        torch.serialization.location_tag = real_tag
    expected = OrderedDict((k, v.detach().clone().contiguous()) for k, v in d.items())
    for name, key in [("views.pth", None), ("views_legacy.pth", None), ("checkpoint.pth", "state_dict"),
                      ("dataparallel.pth", "module.")]:
        got = torch.load(out.path(name), map_location="cpu")
        if key == "state_dict":
            assert got["epoch"] == 3
            got = got["state_dict"]
        elif key == "module.":
            got = OrderedDict((k[len("module."):], v) for k, v in got.items())
        assert list(got) == list(expected), name
        for k, v in expected.items():
            assert got[k].dtype == v.dtype and got[k].shape == v.shape and torch.equal(got[k], v), (name, k)
    hows = OrderedDict([
        ("base", "arange(16).reshape(4,4)*0.5-3.25: storage key 0, offset 0"),
        ("row1", "base[1]: shares base's storage, offset 4, stride (1,)"),
        ("col2", "base[:, 2]: offset 2, stride (4,)"),
        ("transposed", "base.t(): offset 0, stride (1, 4)"),
        ("block", "base[1:3, 1:3]: offset 5, stride (4, 1)"),
        ("half", "(arange(16).reshape(4,4)/3-2).half()[:, 1:]: HalfStorage of 16, offset 1, stride (4, 1)"),
        ("half_special", "fp16 subnormal, min normal, 65504, +-inf, -0, 1/3"),
        ("bf16", "(arange(6).reshape(2,3)*1.3-2.1).bfloat16()[:, 1]: offset 1, stride (3,)"),
        ("f64", "float64 incl. 1e300, -2.5e-300, -0"),
        ("special", "float32 +-inf, -0, subnormal 1e-45, max, min normal (no NaN)"),
        ("count", "int64 0-d tensor 7 (size (), stride ())"),
        ("i64", "int64 min, max, -1, 0"), ("i32", "int32 min, max, -7"), ("i16", "int16 min, max, 3"),
        ("i8", "int8 [[-128,127],[0,-1]]"), ("u8", "uint8 [0,255,128]"), ("bool", "[True,False,False,True]"),
        ("param", "nn.Parameter([0.25,-0.5,1.5]): pickled via torch._utils._rebuild_parameter"),
    ])
    out.note("views.pth", "torch.save(views) (zip format, root 'views/'): an OrderedDict (with _metadata, like a "
             "state_dict) of the tensors listed under views_expected.safetensors, whose storages are shared and "
             "viewed with offsets and strides")
    out.note("views_legacy.pth", "the same dict saved with _use_new_zipfile_serialization=False (legacy format, to be "
             "refused with a clear message). Its storage keys are memory addresses, so its bytes change on every run")
    out.note("checkpoint.pth", "torch.save({'epoch': 3, 'state_dict': views}) (root 'checkpoint/')")
    out.note("dataparallel.pth", "the views with every key prefixed 'module.' (as nn.DataParallel saves), storage "
             "location 'cuda:0' (root 'dataparallel/'); _metadata has '' and 'module'")
    out.safetensors("views_expected.safetensors", expected,
                    "expected values of views.pth, views_legacy.pth, checkpoint.pth['state_dict'] and dataparallel.pth "
                    "(without 'module.'): contiguous copies, original dtypes", hows)


# ---------------------------------------------------------------------------------------------------------
# Tokenizer

VOCAB = ["<unk>", "the", "a", "cat", "dog", "sits", "on", "mat", "photo", "of", "red", "green", "blue", "car",
         "street", "straße", "οδος", "σοφια", "éclair", "hello", "world", "and", "is", "in", "image", "text",
         "leading", "trailing", "whitespace", "b", "c", "d", "ideographic", "space", "line", "separator", "tab",
         "newline", "big", "small", "house", "tree", "sky", "dark", "light", "night", "day", "sun", "moon", "end"]
TEXTS = [
    "the cat sits on the mat",
    "The\tcat\nsits  on   the mat",
    "  leading and trailing whitespace \t\n",
    "the\u00a0dog is on the\u00a0\u00a0mat",
    "red\u2007car\u202fblue\u0085street",
    "Straße STRASSE straße",
    "ΟΔΟΣ ΣΟΦΙΑ οδος σοφια",
    "ÉCLAIR éclair Éclair",
    "unknown words xyzzy blargh the end",
    "HELLO World",
    "a\r\nb\x0bc\x0cd",
    "cat\x1cdog\x1dsun\x1emoon\x1fend",
    "\u3000ideographic\u3000space\u2028line\u2029separator",
    "zero\u200bwidth is not a space",
    "photo of a red car in the street",
    "",
    " \t\n\u00a0 ",
]


def tokenize(text, vocab):
    return [vocab.get(tok, 0) for tok in text.lower().split()]


def make_tokenizer(out):
    assert len(VOCAB) == 50 and len(set(VOCAB)) == 50
    vocab = OrderedDict((tok, i) for i, tok in enumerate(VOCAB))
    out.raw("vocab.json", (json.dumps(vocab, ensure_ascii=True, indent=1) + "\n").encode("ascii"),
            "{token: id} for the 50 ids of the tiny model (ASCII JSON: non-ASCII tokens as \\uXXXX); id 0 = '<unk>'")
    out.raw("vocab.txt", "".join(t + "\n" for t in VOCAB).encode("utf-8"),
            "the same vocabulary, one token per line, line i (from 0) = id i, UTF-8, '\\n' line ends")
    cases = [OrderedDict([("text", t), ("ids", tokenize(t, vocab))]) for t in TEXTS]
    out.raw("texts.json", (json.dumps(cases, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
            "list of {text, ids}: ids = [vocab.get(t, 0) for t in text.lower().split()] (Python 3 str.split(): "
            "tab, newline, \\x0b, \\x0c, \\x1c-\\x1f, U+0085, NBSP, U+2007, U+202F, U+3000, U+2028, U+2029 split; "
            "U+200B does not); UTF-8 JSON with raw non-ASCII characters; includes empty and whitespace-only texts "
            "(ids [])")
    return cases


# ---------------------------------------------------------------------------------------------------------

def write_readme(out, stats, cases, seconds):
    L = []
    L.append("# vecnet test fixtures (version %s)" % VERSION)
    L.append("")
    L.append("Written by `/usr/bin/python3 weights/python/make_fixtures.py` (Debian bookworm: torch %s, torchvision %s, "
             "Pillow %s, numpy %s; 1 thread, seeded). Do not edit by hand: change the script and re-run it. "
             "Re-running gives byte-identical files except `views_legacy.pth` (its storage keys are memory addresses)."
             % (torch.__version__, torchvision.__version__, Image.__version__, np.__version__))
    L.append("")
    L.append("Every safetensors file has `__metadata__` `{\"vecnet_fixtures\": \"%s\"}` and `VERSION` holds "
             "`vecnet-fixtures %s`. A test that finds another version should say "
             "\"re-run /usr/bin/python3 weights/python/make_fixtures.py\". safetensors files are written by "
             "`weights/python/safetensors_io.py` like the real writer: data and JSON entries ordered by dtype "
             "(I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL) then name, header padded with spaces to a multiple "
             "of 8; so their key order is not the order listed below." % (VERSION, VERSION))
    L.append("")
    L.append("Model: `seed_model.tiny_multimodal()`: the seed's `MultimodalModel` code with a torchvision-style "
             "ResNet-18 of widths 8,16,32,64 (torchvision's BasicBlock), `nn.Sequential(*children[:-1])` as `resnet`, "
             "Embedding(50, 12), LSTM(12, 16, batch_first=True), Linear(64+16, 5); torch.manual_seed(2024). "
             "BatchNorm: running stats measured on a batch derived from image224 in train mode, then perturbed "
             "(mean += 0.2*std*N(0,1), var *= U(0.6,1.4)); weight U(0.6,1.4), bias 0.15*N(0,1); "
             "num_batches_tracked 1234. Then model.eval(), torch.no_grad().")
    L.append("")
    L.append("Measured: max |logits_f32 - logits_f64| = %.3g; max |logits| = %.3g; max |feat| = %.3g."
             % (stats["f32_vs_f64_logits"], stats["max_abs_logits"], stats["max_abs_feat"]))
    L.append("")
    L.append("Preprocessing = torchvision `Resize(256)`, `CenterCrop(224)`, `ToTensor()`, "
             "`Normalize(mean=[0.485,0.456,0.406], std=[0.229,0.224,0.225])` on `Image.open(p).convert('RGB')`.")
    L.append("")
    L.append("## Files")
    L.append("")
    for name, (doc, rows) in out.docs.items():
        size = os.path.getsize(out.path(name))
        L.append("### `%s` (%s bytes)" % (name, "size varies by a few" if name == "views_legacy.pth"
                                            else "{:,}".format(size)))
        L.append("")
        L.append(doc + ".")
        L.append("")
        if rows:
            L.append("| key | shape | dtype | how |")
            L.append("|---|---|---|---|")
            for k, shape, dt, how in rows:
                L.append("| `%s` | %s | %s | %s |" % (k, shape, dt, how.replace("|", "\\|")))
            L.append("")
    L.append("### `VERSION`")
    L.append("")
    L.append("One line: `vecnet-fixtures %s`." % VERSION)
    L.append("")
    L.append("## Tokenizer cases (texts.json)")
    L.append("")
    L.append("| text (Python repr) | ids |")
    L.append("|---|---|")
    for c in cases:
        L.append("| `%s` | %s |" % (ascii(c["text"]).replace("|", "\\|"), c["ids"]))
    L.append("")
    L.append("## Not committed")
    L.append("")
    L.append("`weights/python/make_resnet18.py OUT.pth [OUT.safetensors]` writes a full-size random-init torchvision "
             "resnet18 state_dict (about 47 MB; `--seed-model` for the full seed MultimodalModel(num_classes=10)); "
             "tests and benchmarks generate it at run time when torch is available.")
    L.append("")
    with open(out.path("README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L))


def main(argv):
    t0 = time.time()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    folder = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    folder = os.path.normpath(folder)
    os.makedirs(folder, exist_ok=True)
    out = Out(folder)
    pre = make_preprocessing(out)
    stats = make_model(out, pre)
    make_decoding(out)
    make_views(out)
    cases = make_tokenizer(out)
    with open(out.path("VERSION"), "w") as f:
        f.write("vecnet-fixtures %s\n" % VERSION)
    write_readme(out, stats, cases, time.time() - t0)
    total = sum(os.path.getsize(out.path(n)) for n in os.listdir(folder))
    print("wrote %d files, %d bytes, into %s in %.1f s" % (len(os.listdir(folder)), total, folder, time.time() - t0))
    print("f32 vs f64 logits: %.3g, max |logits| %.3g, max |feat| %.3g" % (
        stats["f32_vs_f64_logits"], stats["max_abs_logits"], stats["max_abs_feat"]))


if __name__ == "__main__":
    main(sys.argv)
