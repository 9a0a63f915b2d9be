"""Minimal safetensors reader/writer (single file or HF-style sharded), numpy only.

Why hand-written: the build box has no `safetensors` package and no network.
Format: u64-LE header length N, N bytes of JSON header (space padded to a multiple
of 8), then the data buffer; data_offsets are relative to the data buffer start.
All tensors are handed out as float32 (BF16/F16 are widened exactly, nothing else).
"""
import json
import os
import struct

import numpy as np

INDEX_NAME = "model.safetensors.index.json"
SINGLE_NAME = "model.safetensors"
_ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2}


def to_bf16_bits(a):
    """float32 -> BF16 bit patterns (uint16), round-to-nearest-even like torch.to(bfloat16)."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype(np.uint16)


def from_bf16_bits(b):
    """BF16 bit patterns -> float32 (exact: BF16 is the top half of a float32)."""
    return (b.astype(np.uint32) << 16).view(np.float32)


def _encode(a, dtype):
    a = np.asarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    if dtype == "BF16":
        return to_bf16_bits(a).astype("<u2").tobytes()
    raise ValueError(f"unsupported dtype {dtype}")


def _decode(buf, dtype, shape):
    if dtype == "F32":
        a = np.frombuffer(buf, dtype="<f4")
    elif dtype == "F16":
        a = np.frombuffer(buf, dtype="<f2").astype(np.float32)
    elif dtype == "BF16":
        a = from_bf16_bits(np.frombuffer(buf, dtype="<u2"))
    else:
        raise ValueError(f"unsupported dtype {dtype}")
    return a.astype(np.float32).reshape(shape)


def read_file(path):
    """One .safetensors file -> ({name: float32 ndarray}, {name: stored dtype})."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
        data = f.read()
    tensors, dtypes = {}, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        tensors[name] = _decode(data[b:e], info["dtype"], info["shape"])
        dtypes[name] = info["dtype"]
    return tensors, dtypes


def read(model_dir):
    """Read a checkpoint directory: sharded if the HF index exists, else model.safetensors."""
    index = os.path.join(model_dir, INDEX_NAME)
    if not os.path.exists(index):
        return read_file(os.path.join(model_dir, SINGLE_NAME))
    with open(index) as f:
        weight_map = json.load(f)["weight_map"]
    tensors, dtypes = {}, {}
    for shard in sorted(set(weight_map.values())):
        t, d = read_file(os.path.join(model_dir, shard))
        tensors.update(t)
        dtypes.update(d)
    missing = set(weight_map) - set(tensors)
    if missing:
        raise ValueError(f"index names tensors missing from shards: {sorted(missing)[:5]}")
    return tensors, dtypes


def write_file(path, tensors, dtype):
    """Write {name: array} (insertion order) as one file, every tensor in `dtype`."""
    return write_file_streaming(path, [(name, np.shape(a), lambda a=a: [a]) for name, a in tensors.items()], dtype)


def write_file_streaming(path, entries, dtype):
    """Write one file from (name, shape, chunks) entries without holding the tensors: the header
    needs only the shapes, then each tensor's data is written as `chunks()` yields it (arrays
    whose row-major concatenation is the tensor). Returns the data size in bytes."""
    header, offset = {}, 0
    for name, shape, _ in entries:
        size = int(np.prod(shape, dtype=np.int64)) * _ITEMSIZE[dtype]
        header[name] = {"dtype": dtype, "shape": [int(d) for d in shape],
                        "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {"format": "pt"}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for name, _, chunks in entries:
            b, e = header[name]["data_offsets"]
            written = 0
            for chunk in chunks():
                blob = _encode(chunk, dtype)
                f.write(blob)
                written += len(blob)
            if written != e - b:
                raise ValueError(f"{name}: chunks gave {written} bytes, shape needs {e - b}")
    return offset


def write_sharded(model_dir, tensors, dtype, num_shards):
    """Split tensors (in order) into num_shards files of roughly equal byte size plus
    model.safetensors.index.json; total_size counts tensor bytes, as HF does."""
    names = list(tensors)
    sizes = [int(np.size(tensors[n])) * _ITEMSIZE[dtype] for n in names]
    total, target = sum(sizes), sum(sizes) / num_shards
    groups, acc = [[] for _ in range(num_shards)], 0
    for name, size in zip(names, sizes):
        # place by the midpoint of the tensor's byte range so shards stay contiguous
        groups[min(int((acc + size / 2) // target), num_shards - 1)].append(name)
        acc += size
    weight_map = {}
    for i, group in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{num_shards:05d}.safetensors"
        write_file(os.path.join(model_dir, fname), {n: tensors[n] for n in group}, dtype)
        weight_map.update({n: fname for n in group})
    with open(os.path.join(model_dir, INDEX_NAME), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")
