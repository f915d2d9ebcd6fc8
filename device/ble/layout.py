"""Flag-driven GATT field layouts shared by the decoders: which fields a flags value brings."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class GattDecodeError(ValueError):
    """A payload that cannot be a valid value of its characteristic; the only error raised."""


# Field layouts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One wire field: struct code (`3s` = uint24), output name, divisor, sentinel, raw name."""

    code: str
    name: str
    div: float = 1
    sentinel: int | None = None
    raw_name: str | None = None


#: (flag mask, present when the bit is set?, fields). Mask 0 = always present.
Bits = tuple[tuple[int, bool, tuple[Field, ...]], ...]


@dataclass(frozen=True, slots=True)
class Layout:
    """The wire layout one flags value selects (cached per flags value)."""

    struct: struct.Struct
    fields: tuple[Field, ...]
    need: int
    #: Names when no field needs scaling, sentinels or uint24 (then a plain zip will do).
    plain_names: tuple[str, ...] | None


def build_layout(header: int, bits: Bits, flags: int) -> Layout:
    chosen: list[Field] = []
    for mask, when_set, fields in bits:
        if mask == 0 or bool(flags & mask) == when_set:
            chosen.extend(fields)
    st = struct.Struct("<" + "".join(f.code for f in chosen))
    plain = all(
        f.div == 1 and f.sentinel is None and f.raw_name is None and f.code != "3s" for f in chosen
    )
    names = tuple(f.name for f in chosen) if plain else None
    return Layout(st, tuple(chosen), header + st.size, names)


def field_values(lay: Layout, data: bytes, offset: int) -> dict[str, Any]:
    raw = lay.struct.unpack_from(data, offset)
    if lay.plain_names is not None:
        return dict(zip(lay.plain_names, raw, strict=True))
    return convert(lay.fields, raw)


def convert(fields: Sequence[Field], raw: Sequence[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f, value in zip(fields, raw, strict=True):
        if f.code == "3s":
            value = int.from_bytes(value, "little")
        if f.raw_name is not None:
            out[f.raw_name] = value
        if f.sentinel is not None and value == f.sentinel:
            out[f.name] = None
        elif f.div != 1:
            out[f.name] = value / f.div
        else:
            out[f.name] = value
    return out


def too_short(what: str, flags: int, width: int, need: int, n: int) -> GattDecodeError:
    return GattDecodeError(
        f"{what}: flags 0x{flags:0{width * 2}x} need {need} octets; only {n} supplied"
    )


def read_flags(what: str, data: bytes, width: int) -> int:
    if len(data) < width:
        raise GattDecodeError(f"{what}: empty payload" if not data else f"{what}: no flags")
    return data[0] if width == 1 else data[0] | data[1] << 8
