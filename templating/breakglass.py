"""The breakglass template functions, which take precedence over Sprig's (docs/behaviour/rendering.md#functions)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from domain.quantity import QuantityError, parse_quantity
from templating.runtime import ArgTypeError, GoError
from templating.sprig import as_int, as_str, from_yaml_fn, indent, nindent, required, to_yaml_fn
from templating.values import GoInt64

_YAML_SPECIAL = set(":#{}[]|>!&*?-'\"\\`@,\n\r\t ")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "~"}


def trunc_name(n: Any, s: Any) -> str:
    """truncName N s: the first N characters (N <= 0 means 63), no hash suffix."""
    limit = as_int(n)
    return as_str(s)[: limit if limit > 0 else 63]


def k8s_name(s: Any) -> str:
    """k8sName s: a DNS-label-like name: lower case, separators to '-', other characters dropped."""
    out = []
    for ch in as_str(s).lower():
        if ch.isalpha() or ch.isdigit():
            out.append(ch)
        elif ch in "-_ .":
            out.append("-")
    name = "".join(out)
    while "--" in name:
        name = name.replace("--", "-")
    name = name.strip("-")[:63].rstrip("-")
    return name or "resource"


def parse_quantity_fn(s: Any) -> int:
    """parseQuantity s: the quantity's integer value, rounded up as Quantity.Value() does."""
    try:
        value = parse_quantity(as_str(s))
    except QuantityError as exc:
        raise GoError(str(exc)) from None
    return GoInt64(math.ceil(value))


def format_quantity(n: Any) -> str:
    """formatQuantity n: n bytes as a BinarySI quantity (1024 -> 1Ki, 1536 -> 1536)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise ArgTypeError("int64", n)
    value = int(n)
    if value == 0:
        return "0"
    for suffix, power in (("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)):
        if value % (1 << power) == 0:
            return f"{value >> power}{suffix}" if value > 0 else f"-{(-value) >> power}{suffix}"
    return str(value)


def resource_quantity(s: Any) -> str:
    """resourceQuantity s: s validated as a Kubernetes quantity (error if invalid), returned trimmed."""
    text = as_str(s).strip()
    try:
        parse_quantity(text)
    except QuantityError as exc:
        raise GoError(str(exc)) from None
    return text


def yaml_quote(s: Any) -> str:
    """yamlQuote s: double-quote s when YAML could misread it, else return it unchanged."""
    text = as_str(s)
    needs = (
        text == ""
        or any(ch in _YAML_SPECIAL for ch in text)
        or text.startswith(("---", "..."))
        or text.lower() in _YAML_WORDS
    )
    if not needs:
        return text
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def yaml_safe(s: Any) -> str:
    """yamlSafe s: replace YAML-significant characters by '-', line breaks and tabs by spaces."""
    text = re.sub(r"[:#{}\[\]|>!&*?'\"\\`@]", "-", as_str(s))
    text = re.sub(r"[\n\r\t]", " ", text)
    while "  " in text:
        text = text.replace("  ", " ")
    while "--" in text:
        text = text.replace("--", "-")
    return text.strip()


BREAKGLASS: dict[str, Callable[..., Any]] = {
    "truncName": trunc_name,
    "k8sName": k8s_name,
    "parseQuantity": parse_quantity_fn,
    "formatQuantity": format_quantity,
    "required": required,
    "indent": indent,
    "nindent": nindent,
    "yamlQuote": yaml_quote,
    "yamlSafe": yaml_safe,
    "toYaml": to_yaml_fn,
    "fromYaml": from_yaml_fn,
    "resourceQuantity": resource_quantity,
}
