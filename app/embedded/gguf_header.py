"""Whether a GGUF file is whole, from its header alone: read in milliseconds, without llama.cpp.

Part of app/embedded, used by `guarded-rag doctor`. A GGUF cut off by an interrupted copy or download looked fine
to every check that only found the file; llama.cpp then failed to load it at the first question. The header lists
every tensor with its type, shape and offset, so the size the file must have is known before a byte of the weights
is read. Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (versions 2 and 3, little-endian).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
_MAX_COUNT = 1 << 24  # tensors or metadata entries: far more than any model has, so more means a damaged header
# GGUF metadata value types with a fixed size: uint8, int8, uint16, int16, uint32, int32, float32, bool, uint64,
# int64, float64. 8 is a string, 9 an array.
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_UNSIGNED = (4, 10)  # uint32, uint64: how GGUF writers store `<architecture>.context_length`
_CONTEXT_KEY = b".context_length"
_TEMPLATE_KEY = b"tokenizer.chat_template"
# ggml tensor types: (elements per block, bytes per block), as in ggml's type traits. A type missing here (newer than
# this table) is checked by its offset only, never reported as damage.
_TENSOR_TYPES: dict[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    9: (32, 36),  # Q8_1
    10: (256, 84),  # Q2_K
    11: (256, 110),  # Q3_K
    12: (256, 144),  # Q4_K
    13: (256, 176),  # Q5_K
    14: (256, 210),  # Q6_K
    15: (256, 292),  # Q8_K
    16: (256, 66),  # IQ2_XXS
    17: (256, 74),  # IQ2_XS
    18: (256, 98),  # IQ3_XXS
    19: (256, 50),  # IQ1_S
    20: (32, 18),  # IQ4_NL
    21: (256, 110),  # IQ3_S
    22: (256, 82),  # IQ2_S
    23: (256, 136),  # IQ4_XS
    24: (1, 1),  # I8
    25: (1, 2),  # I16
    26: (1, 4),  # I32
    27: (1, 8),  # I64
    28: (1, 8),  # F64
    29: (256, 56),  # IQ1_M
    30: (1, 2),  # BF16
    34: (256, 54),  # TQ1_0
    35: (256, 66),  # TQ2_0
    39: (32, 17),  # MXFP4
}


class _Cut(Exception):
    """The file ended before the header did."""


class _Damaged(Exception):
    """The header holds something no GGUF writer writes."""


class _Reader:
    def __init__(self, handle: BinaryIO, size: int) -> None:
        self._handle = handle
        self.size = size
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n > self.size - self.pos:
            raise _Cut
        data = self._handle.read(n)
        if len(data) < n:
            raise _Cut
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if n > self.size - self.pos:
            raise _Cut
        self._handle.seek(n, 1)
        self.pos += n

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])

    def count(self, what: str) -> int:
        n = self.u64()
        if n > _MAX_COUNT:
            raise _Damaged(f"the header claims {n} {what}")
        return n

    def string(self) -> bytes:
        return self.take(self.u64())


@dataclass(frozen=True)
class GgufHeader:
    """What the header says: whether the file is whole, and the context length the model was trained with."""

    problem: str | None
    context_length: int | None = None  # `{general.architecture}.context_length`; None when absent or unreadable
    # `tokenizer.chat_template`: without one llama-cpp-python (0.3.36) formats chats with llama-2's [INST] template
    chat_template: bool = False


def gguf_problem(path: Path) -> str | None:
    """None when `path` is a GGUF whose header reads and whose size holds every tensor it lists; else what is wrong
    with it, in one line. Reads the header only (the metadata and tensor list, a few MB at most)."""
    return read_header(path).problem


def read_header(path: Path) -> GgufHeader:
    """The header of `path`, read without llama.cpp (see gguf_problem)."""
    size = 0
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            need, context, template = _required_size(_Reader(handle, size))
    except OSError as exc:
        return GgufHeader(f"cannot be read: {exc.strerror or exc}")
    except _Cut:
        return GgufHeader(f"is cut off inside its header ({size} bytes): an interrupted copy or download")
    except _Damaged as exc:
        return GgufHeader(f"is not a GGUF model llama.cpp can load: {exc}")
    if size < need:
        return GgufHeader(
            f"is cut off: its tensors need {need} bytes and the file has {size} ({size * 100 // need}%): "
            "an interrupted copy or download",
            context,
            template,
        )
    return GgufHeader(None, context, template)


def _required_size(reader: _Reader) -> tuple[int, int | None, bool]:
    """The smallest size the file can have (where its tensor data starts plus the end of its last tensor), the
    trained context length its metadata gives, and whether it has a chat template."""
    if reader.size == 0:
        raise _Damaged("the file is empty")
    magic = reader.take(min(4, reader.size))
    if magic != MAGIC:
        raise _Damaged(f"it does not start with {MAGIC!r} (it starts with {magic!r})")
    version = reader.u32()
    if version not in (2, 3):
        raise _Damaged(f"GGUF version {version} (llama.cpp reads versions 2 and 3)")
    tensors = reader.count("tensors")
    entries = reader.count("metadata entries")
    alignment = DEFAULT_ALIGNMENT
    architecture = b""
    contexts: dict[bytes, int] = {}  # architecture -> `<architecture>.context_length`
    template = False
    for _ in range(entries):
        key = reader.string()
        kind = reader.u32()
        if key == b"general.alignment" and kind == 4:
            alignment = reader.u32()
            if alignment == 0 or alignment & (alignment - 1):
                raise _Damaged(f"general.alignment is {alignment}, not a power of two")
        elif key == b"general.architecture" and kind == _STRING:
            architecture = reader.string()
        elif key.endswith(_CONTEXT_KEY) and kind in _UNSIGNED:
            contexts[key[: -len(_CONTEXT_KEY)]] = int.from_bytes(reader.take(_FIXED[kind]), "little")
        else:
            template = template or (key == _TEMPLATE_KEY and kind == _STRING)
            _skip_value(reader, kind)
    end = 0
    for _ in range(tensors):
        reader.string()  # the tensor's name
        dims = reader.u32()
        if dims > 8:
            raise _Damaged(f"a tensor with {dims} dimensions")
        shape = [reader.u64() for _ in range(dims)]
        kind = reader.u32()
        offset = reader.u64()
        end = max(end, offset + _tensor_bytes(kind, shape))
    start = -(-reader.pos // alignment) * alignment  # the data starts at the next multiple of the alignment
    return start + end, contexts.get(architecture) or None, template


def _skip_value(reader: _Reader, kind: int) -> None:
    if kind in _FIXED:
        reader.skip(_FIXED[kind])
    elif kind == _STRING:
        reader.skip(reader.u64())
    elif kind == _ARRAY:
        item = reader.u32()
        n = reader.count("array items")
        if item in _FIXED:
            reader.skip(n * _FIXED[item])
        else:
            for _ in range(n):
                _skip_value(reader, item)
    else:
        raise _Damaged(f"a metadata value of unknown type {kind}")


def _tensor_bytes(kind: int, shape: list[int]) -> int:
    if kind not in _TENSOR_TYPES:
        return 0  # a newer type: its offset alone says where it starts
    block, size = _TENSOR_TYPES[kind]
    return math.prod(shape) // block * size
