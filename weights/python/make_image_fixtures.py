"""Deterministic generator of the image-decoding fixtures: one small file per encoding, and what Pillow makes of it.

    /usr/bin/python3 weights/python/make_image_fixtures.py [OUT_DIR]   (default: weights/fixtures/images)

Needs Debian bookworm's python3-pil 9.4 (libjpeg-turbo), python3-torchvision 0.14, torch 1.13 and numpy.
Each file in OUT_DIR is an image; `expected.safetensors` holds, for each file NAME:
  NAME            U8 [H, W, 3]  np.array(Image.open(NAME).convert('RGB'))
and in its __metadata__:
  vecnet_fixtures "1"
  sha256:NAME     hex SHA-256 of the float32 little-endian bytes of the seed's transform applied to that image
                  (Resize(256), CenterCrop(224), ToTensor, Normalize(ImageNet)), shape [3, 224, 224]
  mode:NAME       the mode Image.open gives (RGB, L, P, CMYK, I, ...)
  exif:NAME       (only for exif_*.jpg) SHA-256 of np.array(ImageOps.exif_transpose(img).convert('RGB')) bytes,
                  and shape:NAME its "HxW"

Files Pillow cannot write are written by the small encoders below (PNG: every colour type, bit depth, filter
and Adam7; JPEG: markers patched in Pillow's output, e.g. an Adobe APP14 segment or component ids), or by
libjpeg-turbo's command-line tools (Debian's libjpeg-turbo-progs: `cjpeg -sample HxV,...` for the subsamplings
Pillow 9.4 cannot write, 4:4:0, 4:1:1, 4:1:0, odd factors; `cjpeg -restart` and `jpegtran -restart` for restart
markers), fed the same scenes as PPM. Without those tools, those cases are skipped with a message (and their
files removed from OUT_DIR, so that the output stays consistent; do not commit such a partial set). Every file
is opened by Pillow here, so the expected value is always Pillow's. Re-running gives byte-identical files.
"""

import hashlib
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections import OrderedDict

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageOps
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

VERSION = "1"
PRE = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                          transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])


def scene(w, h, seed):
    """A small w x h RGB picture: colour gradients, hard edges, 1-px stripes and noise (every decoder path sees
    smooth areas, sharp chroma edges and high frequencies)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255.0 * x / max(w - 1, 1)
    g = 255.0 * y / max(h - 1, 1)
    b = 128.0 + 100.0 * np.sin(2 * np.pi * x / 13.0) * np.cos(2 * np.pi * y / 11.0)
    a = np.clip(np.stack([r, g, b], axis=-1), 0, 255).round().astype(np.uint8)
    img = Image.fromarray(a, "RGB")
    d = ImageDraw.Draw(img)
    d.ellipse([w // 5, h // 5, w // 2, h // 2 + 3], fill=(230, 40, 30))
    d.rectangle([w // 2, h // 2, w // 2 + w // 4, h // 2 + h // 5], fill=(20, 20, 200), outline=(255, 255, 255))
    d.line([(0, h - 1), (w - 1, 0)], fill=(0, 0, 0), width=1)
    a = np.array(img)
    a[h - 6:h - 2, 2:w // 3] = np.where((np.arange(w // 3 - 2) % 2 == 0)[None, :, None], 255, 0)
    a[2:2 + h // 6, w - w // 4:w - 1] = rng.integers(0, 256, size=(h // 6, w // 4 - 1, 3), dtype=np.uint8)
    return Image.fromarray(a, "RGB")


# ------------------------------------------------------------------------------------------------- PNG writer

def _chunk(typ, payload):
    return struct.pack(">I", len(payload)) + typ + payload + struct.pack(">I", zlib.crc32(typ + payload))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter_row(ftype, row, prev, bpp):
    out = bytearray(len(row))
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, _paeth(a, b, c)][ftype]
        out[i] = (row[i] - pred) & 0xFF
    return bytes([ftype]) + bytes(out)


def _pack(samples, bits):
    """One row of samples (ints) at `bits` per sample, MSB first, padded to a byte."""
    if bits == 16:
        return b"".join(struct.pack(">H", int(s)) for s in samples)
    if bits == 8:
        return bytes(int(s) for s in samples)
    out = bytearray()
    acc, n = 0, 0
    for s in samples:
        acc = (acc << bits) | int(s)
        n += bits
        if n == 8:
            out.append(acc)
            acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(samples, bits, color_type, interlace=False, palette=None, trns=None, extra=(), level=6, idat_split=0):
    """A PNG of `samples` (int array [H, W, C]) written by hand; row filters cycle through 0..4 so that every
    filter is used; `extra` chunks (type, payload) go before IDAT; idat_split > 0 cuts the zlib stream into
    IDAT chunks of that many bytes."""
    h, w, ch = samples.shape
    bpp = max(1, bits * ch // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    k = 0
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prev = bytes(len(_pack(sub[0].reshape(-1), bits)))
        for row in sub:
            packed = _pack(row.reshape(-1), bits)
            raw += _filter_row(k % 5, packed, prev, bpp)
            prev = packed
            k += 1
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, color_type, 0, 0,
                                                                1 if interlace else 0))
    for typ, payload in extra:
        data += _chunk(typ, payload)
    if palette is not None:
        data += _chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        data += _chunk(b"tRNS", trns)
    z = zlib.compress(bytes(raw), level)
    parts = [z[i:i + idat_split] for i in range(0, len(z), idat_split)] if idat_split else [z]
    for p in parts:
        data += _chunk(b"IDAT", p)
    return data + _chunk(b"IEND", b"")


def icc_profile(gamma):
    """A minimal ICC v2 RGB display profile (matrix/TRC) with a pure gamma curve and wide primaries, so that a
    decoder applying it changes almost every pixel."""
    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + struct.pack(">iii", *(int(round(v * 65536)) for v in (x, y, z)))

    def curv(g):
        return b"curv\0\0\0\0" + struct.pack(">IH", 1, int(round(g * 256))) + b"\0\0"

    desc_text = b"vecnet test gamma profile\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(desc_text)) + desc_text + b"\0" * 12 + b"\0" * 67
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.6097, 0.3111, 0.0195)), (b"gXYZ", xyz(0.2053, 0.6257, 0.0609)),
            (b"bXYZ", xyz(0.1492, 0.0632, 0.7446)),
            (b"rTRC", curv(gamma)), (b"gTRC", curv(gamma)), (b"bTRC", curv(gamma)),
            (b"cprt", b"text\0\0\0\0public domain\0")]
    table_len = 4 + 12 * len(tags)
    offset = 128 + table_len
    table, body = b"", b""
    for sig, data in tags:
        while (offset + len(body)) % 4:
            body += b"\0"
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = 128 + table_len + len(body)
    header = struct.pack(">I4sI4s4s4s", size, b"lcms", 0x02100000, b"mntr", b"RGB ", b"XYZ ")
    header += b"\0" * 12 + b"acsp" + b"APPL" + b"\0" * 4 + b"\0" * 8 + b"\0" * 8 + b"\0" * 4
    header += struct.pack(">iii", 63190, 65536, 54061) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28
    assert len(header) == 128, len(header)
    return header + struct.pack(">I", len(tags)) + table + body


# ------------------------------------------------------------------------------------------------ JPEG patching

def jpeg_segments(data):
    """[(marker, payload)] up to and including SOS (payload of SOS is the header only), and the rest (entropy
    data and EOI) as bytes."""
    assert data[:2] == b"\xff\xd8"
    pos, segs = 2, []
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        n = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        segs.append((marker, data[pos + 4:pos + 2 + n]))
        pos += 2 + n
        if marker == 0xDA:
            return segs, data[pos:]


def jpeg_join(segs, rest):
    return b"\xff\xd8" + b"".join(b"\xff" + bytes([m]) + struct.pack(">H", len(p) + 2) + p for m, p in segs) + rest


def adobe(transform):
    return 0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, transform)


def patch_jpeg(data, drop=(), add_after_soi=(), set_adobe=None, component_ids=None):
    segs, rest = jpeg_segments(data)
    segs = [(m, p) for m, p in segs if m not in drop]
    if set_adobe is not None:
        segs = [(m, adobe(set_adobe)[1] if m == 0xEE else p) for m, p in segs]
    if component_ids is not None:
        out = []
        for m, p in segs:
            p = bytearray(p)
            if m in (0xC0, 0xC1, 0xC2):
                for i, cid in enumerate(component_ids):
                    p[6 + 3 * i] = cid
            if m == 0xDA:
                for i in range(p[0]):
                    old = p[1 + 2 * i]
                    p[1 + 2 * i] = component_ids[old - 1]
            out.append((m, bytes(p)))
        segs = out
    return jpeg_join(list(add_after_soi) + segs, rest)


def jpeg(img, **kw):
    buf = io.BytesIO()
    img.save(buf, "JPEG", **kw)
    return buf.getvalue()


def with_exif_orientation(data, orientation):
    """Pillow's JPEG with an APP1 Exif segment holding only the Orientation tag."""
    tiff = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack("<I", 0)
    segs, rest = jpeg_segments(data)
    return jpeg_join([segs[0], (0xE1, b"Exif\0\0" + tiff)] + segs[1:], rest)


# ------------------------------------------------------------------------------------------- libjpeg-turbo tools

TOOLS = ("cjpeg", "jpegtran")


def tools_missing():
    """The libjpeg-turbo tools that are not on PATH."""
    return [t for t in TOOLS if shutil.which(t) is None]


def cjpeg(img, *args):
    """libjpeg-turbo's `cjpeg ARGS` applied to img written as a binary PPM (PGM if mode L)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.pgm" if img.mode == "L" else "in.ppm")
        img.save(src, "PPM")
        return subprocess.run(["cjpeg", *args, src], check=True, stdout=subprocess.PIPE).stdout


def jpegtran(data, *args):
    """libjpeg-turbo's lossless `jpegtran ARGS` applied to the JPEG bytes `data`."""
    return subprocess.run(["jpegtran", *args], input=data, check=True, stdout=subprocess.PIPE).stdout


def tool_cases(base, odd):
    """OrderedDict name -> bytes of the JPEGs written with cjpeg / jpegtran (sampling factors are luma,Cb,Cr)."""
    c = OrderedDict()
    c["t440.jpg"] = cjpeg(base, "-quality", "90", "-sample", "1x2,1x1,1x1")
    c["t440_odd.jpg"] = cjpeg(odd, "-quality", "80", "-sample", "1x2,1x1,1x1")
    c["t440_progressive.jpg"] = cjpeg(odd, "-quality", "85", "-sample", "1x2,1x1,1x1", "-progressive")
    c["t411.jpg"] = cjpeg(base, "-quality", "90", "-sample", "4x1,1x1,1x1")
    c["t411_odd.jpg"] = cjpeg(odd, "-quality", "80", "-sample", "4x1,1x1,1x1")
    c["t410.jpg"] = cjpeg(base, "-quality", "90", "-sample", "4x2,1x1,1x1")
    c["t_h3v1.jpg"] = cjpeg(odd, "-quality", "90", "-sample", "3x1,1x1,1x1")
    c["t_h1v3.jpg"] = cjpeg(odd, "-quality", "90", "-sample", "1x3,1x1,1x1")
    c["t_y22_c12.jpg"] = cjpeg(base, "-quality", "90", "-sample", "2x2,1x2,1x2")
    c["t_y22_c21.jpg"] = cjpeg(odd, "-quality", "90", "-sample", "2x2,2x1,2x1")
    c["t_mixed.jpg"] = cjpeg(base, "-quality", "90", "-sample", "2x2,1x1,2x1")
    c["t_luma_upsampled.jpg"] = cjpeg(odd, "-quality", "90", "-sample", "1x1,2x2,2x2")
    c["t420_tiny.jpg"] = cjpeg(base.crop((3, 5, 6, 12)), "-quality", "90", "-sample", "2x2,1x1,1x1")
    c["t422_tiny.jpg"] = cjpeg(odd.crop((1, 2, 5, 4)), "-quality", "90", "-sample", "2x1,1x1,1x1")
    c["t440_tiny.jpg"] = cjpeg(odd.crop((1, 2, 4, 6)), "-quality", "90", "-sample", "1x2,1x1,1x1")
    c["t420_w1.jpg"] = cjpeg(base.crop((10, 3, 11, 12)), "-quality", "90", "-sample", "2x2,1x1,1x1")
    c["t422_w2.jpg"] = cjpeg(odd.crop((5, 1, 7, 8)), "-quality", "90", "-sample", "2x1,1x1,1x1")
    c["t440_h1.jpg"] = cjpeg(odd.crop((5, 1, 12, 2)), "-quality", "90", "-sample", "1x2,1x1,1x1")
    c["t_y14_c12.jpg"] = cjpeg(odd, "-quality", "85", "-sample", "1x4,1x2,1x2")
    c["t_h3v2.jpg"] = cjpeg(base, "-quality", "85", "-sample", "3x2,1x1,1x1")
    # restart markers: in MCU rows and in MCUs, baseline and progressive, grey and colour
    c["t420_restart_rows.jpg"] = cjpeg(base, "-quality", "90", "-sample", "2x2,1x1,1x1", "-restart", "1")
    c["t444_restart_blocks.jpg"] = cjpeg(odd, "-quality", "85", "-sample", "1x1,1x1,1x1", "-restart", "3B")
    c["t411_restart_blocks.jpg"] = cjpeg(odd, "-quality", "85", "-sample", "4x1,1x1,1x1", "-restart", "1B")
    c["t420_progressive_restart.jpg"] = cjpeg(base, "-quality", "85", "-sample", "2x2,1x1,1x1", "-progressive",
                                              "-restart", "2B")
    c["t440_progressive_restart.jpg"] = cjpeg(odd, "-quality", "85", "-sample", "1x2,1x1,1x1", "-progressive",
                                              "-restart", "1")
    c["t_gray_restart.jpg"] = cjpeg(odd.convert("L"), "-quality", "90", "-restart", "5B")
    c["t422_jpegtran_restart.jpg"] = jpegtran(jpeg(base, quality=90, subsampling=1), "-restart", "2B")
    c["t420_jpegtran_progressive_restart.jpg"] = jpegtran(jpeg(odd, quality=75), "-progressive", "-restart", "1")
    return c


# ------------------------------------------------------------------------------------------------------- cases

def cases():
    """OrderedDict name -> file bytes."""
    c = OrderedDict()
    base = scene(45, 35, 1)
    odd = scene(33, 17, 2)
    # JPEG
    c["j420.jpg"] = jpeg(base, quality=90)
    c["j422.jpg"] = jpeg(base, quality=90, subsampling=1)
    c["j444.jpg"] = jpeg(base, quality=90, subsampling=0)
    c["j420_odd.jpg"] = jpeg(odd, quality=75)
    c["j422_odd.jpg"] = jpeg(odd, quality=75, subsampling=1)
    c["j420_q100.jpg"] = jpeg(base, quality=100)
    c["j420_progressive.jpg"] = jpeg(base, quality=90, progressive=True)
    c["j444_progressive_optimized.jpg"] = jpeg(odd, quality=85, subsampling=0, progressive=True, optimize=True)
    c["gray.jpg"] = jpeg(base.convert("L"), quality=90)
    c["gray_progressive.jpg"] = jpeg(odd.convert("L"), quality=80, progressive=True)
    c["icc_gamma1.jpg"] = jpeg(base, quality=90, icc_profile=icc_profile(1.0))
    c["icc_gamma3.jpg"] = jpeg(odd, quality=90, subsampling=0, icc_profile=icc_profile(3.0))
    c["no_jfif.jpg"] = patch_jpeg(c["j420.jpg"], drop=(0xE0,))
    c["adobe_ycc.jpg"] = patch_jpeg(c["j420.jpg"], drop=(0xE0,), add_after_soi=[adobe(1)])
    c["adobe_rgb.jpg"] = patch_jpeg(c["j444.jpg"], drop=(0xE0,), add_after_soi=[adobe(0)])
    c["adobe_2_three_components.jpg"] = patch_jpeg(c["j444.jpg"], drop=(0xE0,), add_after_soi=[adobe(2)])
    c["ids_rgb.jpg"] = patch_jpeg(c["j444.jpg"], drop=(0xE0,), component_ids=(ord("R"), ord("G"), ord("B")))
    c["jfif_and_adobe_rgb.jpg"] = patch_jpeg(c["j444.jpg"], add_after_soi=[adobe(0)])
    cmyk = Image.merge("CMYK", [base.getchannel(0), base.getchannel(1), base.getchannel(2),
                                base.convert("L").point(lambda v: v // 3)])
    c["cmyk.jpg"] = jpeg(cmyk, quality=90)
    c["cmyk_no_adobe.jpg"] = patch_jpeg(c["cmyk.jpg"], drop=(0xEE,))
    c["ycck.jpg"] = patch_jpeg(c["cmyk.jpg"], set_adobe=2)
    c["cmyk_progressive.jpg"] = jpeg(cmyk, quality=80, progressive=True)
    # Subsampled four-component files: Pillow's `subsampling` sets the first component's factors (2x2 or 2x1)
    # and leaves the other three at 1x1, so M, Y and K (or, patched to transform 2, Cb, Cr and K) are the
    # components stored at half resolution and upsampled by the decoder.
    c["cmyk_420.jpg"] = jpeg(cmyk, quality=90, subsampling=2)
    c["cmyk_422_odd.jpg"] = jpeg(Image.merge("CMYK", [odd.getchannel(0), odd.getchannel(1), odd.getchannel(2),
                                                       odd.convert("L")]), quality=85, subsampling=1)
    c["ycck_420.jpg"] = patch_jpeg(c["cmyk_420.jpg"], set_adobe=2)
    c["ycck_422_odd.jpg"] = patch_jpeg(c["cmyk_422_odd.jpg"], set_adobe=2)
    c["cmyk_420_progressive.jpg"] = jpeg(cmyk, quality=80, subsampling=2, progressive=True)
    for o in (3, 6, 8):
        c["exif_%d.jpg" % o] = with_exif_orientation(jpeg(odd, quality=90), o)
    # PNG (hand-written unless noted)
    a8 = np.array(base).astype(np.int64)
    rng = np.random.default_rng(5)
    grey8 = np.array(base.convert("L")).astype(np.int64)[:, :, None]
    for bits in (1, 2, 4, 8, 16):
        if bits == 16:
            g = grey8 * 257 ^ rng.integers(0, 256, size=grey8.shape)
        else:
            g = grey8 >> (8 - bits)
        c["png_grey%d.png" % bits] = png(g, bits, 0)
        c["png_grey%d_adam7.png" % bits] = png(g, bits, 0, interlace=True)
    c["png_grey16_small.png"] = png(grey8 // 2, 16, 0)       # 16-bit grey that stays under 256: mode I, clipped
    c["png_grey8_trns.png"] = png(grey8, 8, 0, trns=struct.pack(">H", 128))
    for bits in (8, 16):
        rgb = a8 if bits == 8 else (a8 * 257) ^ rng.integers(0, 256, size=a8.shape)
        c["png_rgb%d.png" % bits] = png(rgb, bits, 2)
        c["png_rgb%d_adam7.png" % bits] = png(rgb, bits, 2, interlace=True)
        alpha = (np.arange(45)[None, :, None].repeat(35, 0) * (5 if bits == 8 else 1400))
        c["png_rgba%d.png" % bits] = png(np.concatenate([rgb, alpha], axis=2), bits, 6)
        c["png_greyalpha%d.png" % bits] = png(np.concatenate([grey8 * (1 if bits == 8 else 257), alpha], axis=2),
                                              bits, 4, interlace=(bits == 16))
    c["png_rgb8_trns.png"] = png(a8, 8, 2, trns=struct.pack(">HHH", *a8[3, 3]))
    c["png_rgba8_adam7.png"] = png(np.concatenate([a8, np.full((35, 45, 1), 77)], axis=2), 8, 6, interlace=True)
    for bits in (1, 2, 4, 8):
        n = 1 << bits
        pal = rng.integers(0, 256, size=(n, 3))
        idx = (grey8 * n) >> 8
        c["png_palette%d.png" % bits] = png(idx, bits, 3, palette=pal)
    pal = rng.integers(0, 256, size=(16, 3))
    idx = (grey8 * 16) >> 8
    c["png_palette4_trns_adam7.png"] = png(idx, 4, 3, palette=pal, trns=bytes(range(0, 160, 20)), interlace=True)
    c["png_palette8_short.png"] = png(np.minimum((grey8 * 16) >> 8, 15), 8, 3, palette=pal[:12])  # indexes past PLTE
    c["png_colour_chunks.png"] = png(a8, 8, 2, extra=[(b"gAMA", struct.pack(">I", 100000)),
                                                       (b"cHRM", struct.pack(">8I", *([31270, 32900] + [64000, 33000,
                                                                                 30000, 60000, 15000, 6000]))),
                                                       (b"iCCP", b"vecnet\0\0" + zlib.compress(icc_profile(1.0)))],
                                      idat_split=500)
    c["png_srgb_chunk.png"] = png(a8, 8, 2, extra=[(b"sRGB", b"\0"), (b"tEXt", b"Comment\0hello")], level=0)
    c["png_pillow_rgb.png"] = _pillow(base, "PNG")
    c["png_pillow_p_trns.png"] = _pillow(base.quantize(colors=7), "PNG", transparency=2)
    # BMP, GIF, TIFF (Pillow's own writers)
    c["bmp_rgb.bmp"] = _pillow(odd, "BMP")
    c["bmp_gray.bmp"] = _pillow(base.convert("L"), "BMP")
    c["bmp_palette.bmp"] = _pillow(base.quantize(colors=16), "BMP")
    c["bmp_1bit.bmp"] = _pillow(base.convert("1"), "BMP")
    c["bmp_rgba.bmp"] = _pillow(base.convert("RGBA"), "BMP")
    c["gif_still.gif"] = _pillow(base.quantize(colors=32), "GIF")
    frames = [odd.quantize(colors=16), odd.transpose(Image.FLIP_LEFT_RIGHT).quantize(colors=16)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    c["gif_animated.gif"] = buf.getvalue()
    c["tiff_rgb.tif"] = _pillow(base, "TIFF")
    c["tiff_gray.tif"] = _pillow(base.convert("L"), "TIFF")
    c["tiff_rgba.tif"] = _pillow(base.convert("RGBA"), "TIFF")
    c["tiff_palette.tif"] = _pillow(base.quantize(colors=16), "TIFF")
    c["tiff_cmyk.tif"] = _pillow(cmyk, "TIFF")
    return c


def all_cases(out):
    """cases() and, if libjpeg-turbo's tools are on PATH, tool_cases(); else a message, and the tool-made files
    of an earlier run removed from `out`."""
    c = cases()
    base, odd = scene(45, 35, 1), scene(33, 17, 2)
    missing = tools_missing()
    if not missing:
        c.update(tool_cases(base, odd))
        return c
    names = [n for n in os.listdir(out) if n.startswith("t") and n.endswith(".jpg")] if os.path.isdir(out) else []
    sys.stderr.write("make_image_fixtures: %s not found (apt-get install libjpeg-turbo-progs): skipping the JPEGs with"
                     " 4:4:0, 4:1:1, 4:1:0 and odd subsamplings and with restart markers%s\n"
                     % (", ".join(missing), "; removed %d such files from %s, do not commit this partial set"
                        % (len(names), out) if names else ""))
    for n in names:
        os.remove(os.path.join(out, n))
    return c


def _pillow(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    out = argv[1] if len(argv) > 1 else os.path.join(here, "..", "fixtures", "images")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    tensors, meta = OrderedDict(), OrderedDict([("vecnet_fixtures", VERSION)])
    for name, data in all_cases(out).items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        with Image.open(os.path.join(out, name)) as im:
            mode = im.mode
            rgb = im.convert("RGB")
            if name.startswith("exif_"):
                t = ImageOps.exif_transpose(im).convert("RGB")
                meta["exif:" + name] = hashlib.sha256(np.array(t).tobytes()).hexdigest()
                meta["shape:" + name] = "%dx%d" % (t.height, t.width)
        a = np.array(rgb)
        tensors[name] = torch.from_numpy(a)
        x = PRE(rgb)
        meta["sha256:" + name] = hashlib.sha256(x.numpy().astype("<f4").tobytes()).hexdigest()
        meta["mode:" + name] = mode
    safetensors_io.save_file(tensors, os.path.join(out, "expected.safetensors"), meta)
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print("wrote %d images and expected.safetensors to %s, %d bytes in all" % (len(tensors), out, total))


if __name__ == "__main__":
    main(sys.argv)
