"""The small part of CBOR (RFC 8949) that CloudWatch's Smithy RPC v2 protocol uses: what
botocore (1.44 and later sends CloudWatch requests as ``smithy-rpc-v2-cbor``) encodes, and
what it needs back. Timestamps are tag 1 (epoch seconds). Standard library only."""

from __future__ import annotations

import datetime
import struct
from typing import Any


class CborError(ValueError):
    """The body is not CBOR this decoder understands."""


def decode(data: bytes) -> Any:
    try:
        value, position = _item(data, 0)
    except (IndexError, RecursionError, UnicodeDecodeError, OverflowError, OSError) as error:
        raise CborError(f"malformed: {type(error).__name__}") from None
    if position != len(data):
        raise CborError(f"{len(data) - position} bytes after the first item")
    return value


def _length(data: bytes, position: int, info: int) -> tuple[int | None, int]:
    if info < 24:
        return info, position
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    if info == 31:
        return None, position  # indefinite length
    if info not in sizes:
        raise CborError(f"bad additional information {info}")
    size = sizes[info]
    if position + size > len(data):
        raise CborError("truncated")
    return int.from_bytes(data[position : position + size], "big"), position + size


def _item(data: bytes, position: int) -> tuple[Any, int]:
    if position >= len(data):
        raise CborError("truncated")
    initial = data[position]
    major, info = initial >> 5, initial & 0x1F
    position += 1
    if major == 7:
        return _simple(data, position, info)
    length, position = _length(data, position, info)
    if major in (0, 1):
        if length is None:
            raise CborError("indefinite integer")
        return (length if major == 0 else -1 - length), position
    if major in (2, 3):
        if length is None:
            chunks = []
            while data[position] != 0xFF:
                chunk, position = _item(data, position)
                chunks.append(chunk)
            joined = b"".join(c.encode() if isinstance(c, str) else c for c in chunks)
            return (joined if major == 2 else joined.decode()), position + 1
        raw = data[position : position + length]
        if len(raw) != length:
            raise CborError("truncated")
        return (raw if major == 2 else raw.decode()), position + length
    if major == 4:
        items: list[Any] = []
        while (len(items) < length) if length is not None else data[position] != 0xFF:
            item, position = _item(data, position)
            items.append(item)
        return items, position + (1 if length is None else 0)
    if major == 5:
        mapping: dict[Any, Any] = {}
        while (len(mapping) < length) if length is not None else data[position] != 0xFF:
            key, position = _item(data, position)
            mapping[key], position = _item(data, position)
        return mapping, position + (1 if length is None else 0)
    # major 6: a tag; tag 1 is a timestamp in epoch seconds
    value, position = _item(data, position)
    if length == 1 and isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, datetime.UTC), position
    return value, position


def _simple(data: bytes, position: int, info: int) -> tuple[Any, int]:
    simple = {20: False, 21: True, 22: None, 23: None}
    if info in simple:
        return simple[info], position
    formats = {25: (">e", 2), 26: (">f", 4), 27: (">d", 8)}
    if info not in formats:
        raise CborError(f"unsupported simple value {info}")
    form, size = formats[info]
    if position + size > len(data):
        raise CborError("truncated")
    return struct.unpack(form, data[position : position + size])[0], position + size


def encode(value: Any) -> bytes:
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, datetime.datetime):
        return b"\xc1" + encode(value.timestamp())
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, list | tuple):
        return _head(4, len(value)) + b"".join(encode(item) for item in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def _head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")
