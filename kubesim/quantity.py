"""Kubernetes resource quantities (cpu, memory) as exact numbers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_SUFFIX = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def parse_quantity(value: object) -> Decimal:
    """Parse `500m`, `1.5`, `128Mi`, `1e3` into a Decimal; raise ValueError when malformed."""
    text = str(value).strip()
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            number = text[: -len(suffix)]
            break
    else:
        suffix, number = "", text
    try:
        return Decimal(number) * _SUFFIX[suffix]
    except InvalidOperation as exc:
        raise ValueError(f"quantities must match the regular expression: {text!r}") from exc


def format_quantity(value: Decimal, resource: str) -> str:
    """Canonical text of a quantity, close to what the apiserver prints in quota messages."""
    if "cpu" in resource:
        milli = value * 1000
        if milli == milli.to_integral_value() and milli % 1000 != 0:
            return f"{int(milli)}m"
    if value == value.to_integral_value():
        n = int(value)
        if "memory" in resource or "storage" in resource:
            for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
                unit = int(_SUFFIX[suffix])
                if n and n % unit == 0:
                    return f"{n // unit}{suffix}"
        return str(n)
    return str(value.normalize())
