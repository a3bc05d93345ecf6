"""How Go values are represented in Python: plain data plus the two Go distinctions Python lacks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


class GoInt64(int):
    """An int64 result (Sprig's add, sub, mul…): Go refuses it where a function wants an int."""

    __slots__ = ()


class Missing:
    """Go's invalid reflect.Value: what a missing map key evaluates to (prints as <no value>)."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


def go_type(v: Any) -> str:
    """Go's %T of a value as the reference would hold it after JSON/YAML decoding."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, GoInt64):
        return "int64"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, complex):
        return "complex128"
    if isinstance(v, str):
        return "string"
    if isinstance(v, datetime):
        return "time.Time"
    if isinstance(v, Mapping):
        return "map[string]interface {}"
    if isinstance(v, list | tuple):
        if v and all(isinstance(x, str) for x in v) and isinstance(v, tuple):
            return "[]string"
        return "[]interface {}"
    return type(v).__name__


def go_kind(v: Any) -> str:
    """Go's reflect.Kind name of a value (Sprig kindOf)."""
    if v is None or v is MISSING:
        return "invalid"
    t = go_type(v)
    if t.startswith("[]"):
        return "slice"
    if t.startswith("map["):
        return "map"
    if t == "time.Time":
        return "struct"
    return t
