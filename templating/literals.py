"""Go literal syntax: string unquoting and number parsing with strconv's exact acceptance rules."""

from __future__ import annotations

import math
import re
from typing import Literal

NumberKind = Literal["int", "float", "char", "complex"]

# Go's strconv reports every malformed quoted literal with this one message.
INVALID_SYNTAX = "invalid syntax"


def go_quote(s: str) -> str:
    """Quote a string like Go's strconv.Quote (used so messages read exactly as Go's do)."""
    out = ['"']
    simple = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in simple:
            out.append(simple[ch])
        elif ch == " " or ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
_HEX = "0123456789abcdefABCDEF"


def _unquote_char(s: str, i: int, quote: str) -> tuple[int, bool, int]:
    """Decode one (possibly escaped) character at s[i] like strconv.UnquoteChar.

    Returns (value, is_byte, next index); is_byte marks \\x and octal escapes, which Go stores as raw
    bytes rather than as code points.
    """
    c = s[i]
    if c == quote and quote in "'\"":
        raise ValueError(INVALID_SYNTAX)
    if c != "\\":
        return ord(c), False, i + 1
    if i + 1 >= len(s):
        raise ValueError(INVALID_SYNTAX)
    e = s[i + 1]
    if e in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[e], False, i + 2
    if e in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[e]
        digits = s[i + 2 : i + 2 + n]
        if len(digits) != n or any(d not in _HEX for d in digits):
            raise ValueError(INVALID_SYNTAX)
        v = int(digits, 16)
        if e == "x":
            return v, True, i + 2 + n
        if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
            raise ValueError(INVALID_SYNTAX)
        return v, False, i + 2 + n
    if "0" <= e <= "7":
        digits = s[i + 1 : i + 4]
        if len(digits) != 3 or any(not "0" <= d <= "7" for d in digits):
            raise ValueError(INVALID_SYNTAX)
        v = int(digits, 8)
        if v > 255:
            raise ValueError(INVALID_SYNTAX)
        return v, True, i + 4
    if e in "'\"":
        if e != quote:
            raise ValueError(INVALID_SYNTAX)
        return ord(e), False, i + 2
    raise ValueError(INVALID_SYNTAX)


def unquote(quoted: str) -> str:
    """Unquote a Go string literal ("..." or `...`) like strconv.Unquote; ValueError if malformed."""
    # Escapes that produce bytes which are not valid UTF-8 (e.g. "\xff") are kept as surrogate escapes,
    # so encoding the result with errors="surrogateescape" gives back Go's exact bytes.
    if len(quoted) < 2 or quoted[0] != quoted[-1] or quoted[0] not in '"`':
        raise ValueError(INVALID_SYNTAX)
    body = quoted[1:-1]
    if quoted[0] == "`":
        if "`" in body:
            raise ValueError(INVALID_SYNTAX)
        # Go drops carriage returns from raw strings.
        return body.replace("\r", "")
    if "\n" in body:
        raise ValueError(INVALID_SYNTAX)
    out = bytearray()
    i = 0
    while i < len(body):
        value, is_byte, i = _unquote_char(body, i, '"')
        if is_byte:
            out.append(value)
        else:
            out += chr(value).encode("utf-8", "surrogatepass")
    return out.decode("utf-8", "surrogateescape")


def unquote_char_constant(text: str) -> int:
    """Value of a Go character constant such as 'a' or '\\n'; ValueError with Go's message if bad."""
    if len(text) < 2 or text[0] != "'":
        raise ValueError(INVALID_SYNTAX)
    value, _, end = _unquote_char(text, 1, "'")
    if text[end:] != "'":
        raise ValueError(f"malformed character constant: {text}")
    return value


def _underscore_ok(s: str) -> bool:
    """Go's rule: an underscore may only separate digits (or follow a base prefix)."""
    saw = "^"
    i = 0
    if s[:1] in ("+", "-"):
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i = 2
        saw = "0"
        hexa = s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
        i += 1
    return saw != "_"


def _parse_uint(s: str) -> int | None:
    """strconv.ParseUint(s, 0, 64), or None."""
    if not s:
        return None
    s0 = s
    base = 10
    if s[0] == "0":
        if len(s) >= 3 and s[1].lower() in "box":
            base = {"b": 2, "o": 8, "x": 16}[s[1].lower()]
            s = s[2:]
        else:
            base = 8
            s = s[1:]
    n = 0
    underscores = False
    for c in s:
        if c == "_":
            underscores = True
            continue
        if "0" <= c <= "9":
            d = ord(c) - ord("0")
        elif "a" <= c.lower() <= "z":
            d = ord(c.lower()) - ord("a") + 10
        else:
            return None
        if d >= base:
            return None
        n = n * base + d
    if n >= 1 << 64:
        return None
    if underscores and not _underscore_ok(s0):
        return None
    return n


def _parse_int(s: str) -> int | None:
    """strconv.ParseInt(s, 0, 64), or None."""
    negative = s[:1] == "-"
    body = s[1:] if s[:1] in ("+", "-") else s
    u = _parse_uint(body)
    if u is None:
        return None
    if negative:
        return -u if u <= 1 << 63 else None
    return u if u < 1 << 63 else None


_DEC_FLOAT = re.compile(r"[+-]?(?P<m>[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?")
_HEX_FLOAT = re.compile(r"[+-]?0[xX](?P<m>[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9_]+")


def _parse_float(s: str) -> float | None:
    """strconv.ParseFloat(s, 64) for the literal forms the lexer can produce, or None."""
    hex_match = _HEX_FLOAT.fullmatch(s)
    dec_match = None if hex_match else _DEC_FLOAT.fullmatch(s)
    match = hex_match or dec_match
    # The mantissa needs at least one digit: "0x.p1" and "._" are not numbers.
    if match is None or not re.search("[0-9a-fA-F]" if hex_match else "[0-9]", match["m"]):
        return None
    try:
        value = float.fromhex(s.replace("_", "")) if hex_match else float(s.replace("_", ""))
    except (OverflowError, ValueError):
        return None
    if "_" in s and not _underscore_ok(s):
        return None
    if math.isinf(value):
        return None
    return value


def parse_number(text: str, is_complex_token: bool) -> tuple[NumberKind, int | float | complex]:
    """Classify and evaluate a Go number literal as text/template does; ValueError with Go's message."""
    if is_complex_token:
        split = max(text.rfind("+"), text.rfind("-"))
        while split > 0 and text[split - 1] in "eEpP":
            split = max(text.rfind("+", 0, split - 1), text.rfind("-", 0, split - 1))
        real = _parse_float(text[:split]) if split > 0 else None
        imag = _parse_float(text[split:-1]) if split > 0 else None
        if real is None or imag is None:
            raise ValueError(f"illegal number syntax: {go_quote(text)}")
        return "complex", complex(real, imag)
    if text.endswith("i"):
        f = _parse_float(text[:-1])
        if f is not None:
            return "complex", complex(0, f)
    i = _parse_int(text)
    if i is None:
        i = _parse_uint(text)
    if i is not None:
        return "int", i
    f = _parse_float(text)
    if f is not None:
        if not any(c in text for c in ".eEpP"):
            raise ValueError(f"integer overflow: {go_quote(text)}")
        return "float", f
    raise ValueError(f"illegal number syntax: {go_quote(text)}")
