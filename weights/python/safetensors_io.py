"""A small, hand-written safetensors writer and reader (Debian has no python3-safetensors package).

Format (huggingface/safetensors README, checked against safetensors 0.8.0; see
docs/FORMATS-AND-KERNELS.md in this repository):

    u64 little-endian  N            length of the JSON header in bytes
    N bytes of UTF-8 JSON           {"__metadata__": {str: str}, "<name>": {"dtype": "F32",
                                     "shape": [..], "data_offsets": [begin, end]}, ...}
    the byte buffer                 offsets relative to byte 8 + N, end exclusive, little-endian, C order

The writer does what safetensors' own writer does, so files look like real ones:
  * tensors are laid out by dtype (descending alignment, safetensors' Dtype order) then by name, so every
    tensor starts aligned relative to the buffer; the JSON lists "__metadata__" first, then the tensors
    in that same data order (so the key order of a file is NOT the insertion order);
  * the header is compact JSON padded with spaces so that 8 + N is a multiple of 8;
  * metadata values must be strings.
The reader checks what safetensors checks: known dtypes, size = numel * itemsize, and that the tensors
cover the buffer exactly (no hole, no overlap). It does not require alignment or padding.

Tensors are torch tensors (CPU); numpy arrays are accepted by the writer too. This module is only for
the Python side (fixtures, export); the Java reader is vecnet.weights.SafeTensors.
"""

import json
import struct
from collections import OrderedDict

import numpy as np
import torch

# name -> (torch dtype, item size, rank in safetensors' Dtype enum, which is sorted by alignment)
DTYPES = OrderedDict([
    ("I64", (torch.int64, 8, 14)),
    ("F64", (torch.float64, 8, 13)),
    ("F32", (torch.float32, 4, 11)),
    ("I32", (torch.int32, 4, 9)),
    ("BF16", (torch.bfloat16, 2, 8)),
    ("F16", (torch.float16, 2, 7)),
    ("I16", (torch.int16, 2, 5)),
    ("I8", (torch.int8, 1, 2)),
    ("U8", (torch.uint8, 1, 1)),
    ("BOOL", (torch.bool, 1, 0)),
])
_BY_TORCH = {v[0]: k for k, v in DTYPES.items()}
MAX_HEADER = 100_000_000


def dtype_name(t):
    """The safetensors dtype string of a torch tensor, e.g. torch.float32 -> 'F32'."""
    if t.dtype not in _BY_TORCH:
        raise ValueError("dtype %s has no safetensors equivalent here (supported: %s)"
                         % (t.dtype, ", ".join(DTYPES)))
    return _BY_TORCH[t.dtype]


def tensor_bytes(t):
    """Raw little-endian C-order bytes of a tensor (bf16 through its int16 bit pattern)."""
    t = t.detach().cpu().contiguous().reshape(-1)
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    a = t.numpy()
    if a.dtype.byteorder == ">":
        a = a.byteswap()
    return a.tobytes()


def _to_torch(v):
    if isinstance(v, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(v))
    if not isinstance(v, torch.Tensor):
        raise TypeError("not a tensor: %r" % type(v))
    return v


def serialize(tensors, metadata=None):
    """bytes of a safetensors file holding `tensors` ({name: tensor}) and `metadata` ({str: str} or None)."""
    items = []
    for name, v in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError("bad tensor name %r" % (name,))
        t = _to_torch(v)
        items.append((name, t, dtype_name(t)))
    items.sort(key=lambda it: (-DTYPES[it[2]][2], it[0]))
    header = OrderedDict()
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ValueError("__metadata__ keys and values must be strings: %r=%r" % (k, v))
        header["__metadata__"] = OrderedDict(metadata)
    chunks = []
    offset = 0
    for name, t, dt in items:
        b = tensor_bytes(t)
        assert len(b) == t.numel() * DTYPES[dt][1]
        header[name] = OrderedDict([("dtype", dt), ("shape", list(t.shape)),
                                    ("data_offsets", [offset, offset + len(b)])])
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def save_file(tensors, path, metadata=None):
    """Write `tensors` ({name: tensor}) with `metadata` ({str: str}) to the safetensors file `path`."""
    data = serialize(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def deserialize(data, what="<bytes>"):
    """Parse safetensors bytes: returns (OrderedDict name -> torch tensor in header order, metadata dict or None)."""
    if len(data) < 8:
        raise ValueError("%s: too short for a safetensors header (%d bytes)" % (what, len(data)))
    (n,) = struct.unpack_from("<Q", data, 0)
    if n > MAX_HEADER or 8 + n > len(data):
        raise ValueError("%s: header length %d does not fit the file (%d bytes)" % (what, n, len(data)))
    header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    if not isinstance(header, dict):
        raise ValueError("%s: header is not a JSON object" % what)
    buf = memoryview(data)[8 + n:]
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("%s: __metadata__ values must be strings" % what)
    out = OrderedDict()
    spans = []
    for name, info in header.items():
        dt = info["dtype"]
        if dt not in DTYPES:
            raise ValueError("%s: tensor %r has unsupported dtype %r" % (what, name, dt))
        tdtype, size, _ = DTYPES[dt]
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        numel = 1
        for s in shape:
            numel *= s
        if end < begin or end > len(buf) or end - begin != numel * size:
            raise ValueError("%s: tensor %r: offsets [%d,%d) do not hold %s %s (buffer %d bytes)"
                             % (what, name, begin, end, dt, shape, len(buf)))
        spans.append((begin, end, name))
        raw = bytes(buf[begin:end])
        if tdtype == torch.bfloat16:
            t = torch.frombuffer(bytearray(raw), dtype=torch.int16).view(torch.bfloat16) if raw else \
                torch.empty(0, dtype=torch.bfloat16)
        elif raw:
            t = torch.frombuffer(bytearray(raw), dtype=tdtype)
        else:
            t = torch.empty(0, dtype=tdtype)
        out[name] = t.reshape(shape)
    pos = 0
    for begin, end, name in sorted(spans):
        if begin != pos:
            raise ValueError("%s: tensor %r at offset %d: %s" % (
                what, name, begin, "hole in the buffer" if begin > pos else "overlaps the previous tensor"))
        pos = end
    if pos != len(buf):
        raise ValueError("%s: buffer not fully covered (%d of %d bytes)" % (what, pos, len(buf)))
    return out, metadata


def load_file(path):
    """Read a safetensors file: returns (OrderedDict name -> torch tensor, in header order; metadata or None)."""
    with open(path, "rb") as f:
        data = f.read()
    return deserialize(data, str(path))


def _selftest():
    g = torch.Generator().manual_seed(0)
    src = OrderedDict()
    src["f32"] = torch.randn(3, 5, generator=g)
    src["f64"] = torch.randn(2, 2, generator=g, dtype=torch.float64)
    src["f16"] = torch.randn(7, generator=g).half()
    src["bf16"] = torch.randn(3, 1, generator=g).bfloat16()
    src["i64"] = torch.tensor(1234)
    src["i32"] = torch.tensor([-1, 2, 2 ** 31 - 1], dtype=torch.int32)
    src["i16"] = torch.tensor([-32768, 5], dtype=torch.int16)
    src["i8"] = torch.tensor([-128, 127, 0], dtype=torch.int8)
    src["u8"] = torch.tensor([[0, 255], [7, 8]], dtype=torch.uint8)
    src["bool"] = torch.tensor([True, False, True])
    src["empty"] = torch.zeros(0, 4)
    src["strided"] = torch.arange(12.).reshape(3, 4).t()
    data = serialize(src, {"k": "v"})
    (n,) = struct.unpack_from("<Q", data, 0)
    assert (8 + n) % 8 == 0
    back, meta = deserialize(data)
    assert meta == {"k": "v"}
    assert set(back) == set(src)
    for k, v in src.items():
        assert back[k].dtype == v.dtype and tuple(back[k].shape) == tuple(v.shape), k
        assert tensor_bytes(back[k]) == tensor_bytes(v), k
    print("safetensors_io self-test ok (%d bytes)" % len(data))


if __name__ == "__main__":
    _selftest()
