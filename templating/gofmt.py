"""Go's fmt package for template values: default formatting (%v, print, println) and printf verbs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from templating.literals import go_quote
from templating.values import MISSING, go_type


def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-tripping decimal digits of |x| and the decimal point position (Go's digs.dp)."""
    _, digits, exp = Decimal(repr(abs(x))).as_tuple()
    assert isinstance(exp, int)
    ds = "".join(map(str, digits)).lstrip("0") or "0"
    # Trailing zeros are not significant; keep dp consistent when stripping them.
    n_all = len("".join(map(str, digits)).lstrip("0") or "0")
    dp = n_all + exp
    ds = ds.rstrip("0") or "0"
    if ds == "0":
        return "0", 1
    return ds, dp


def _fmt_exp(exp: int) -> str:
    sign = "-" if exp < 0 else "+"
    return f"e{sign}{abs(exp):02d}"


def format_float(x: float, verb: str = "g", prec: int = -1, sharp: bool = False) -> str:
    """strconv.FormatFloat(x, verb, prec, 64) for verbs e, E, f, F, g, G (prec -1 = shortest)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    neg = math.copysign(1.0, x) < 0
    sign = "-" if neg else ""
    lower = verb.lower()
    if prec >= 0 and lower != "g":
        if lower == "f":
            return sign + f"{abs(x):.{prec}f}"
        py = f"{abs(x):.{prec}e}"
        mant, _, e = py.partition("e")
        out = mant + _fmt_exp(int(e))
        return sign + (out.upper() if verb == "E" else out)
    if prec >= 0:  # %g with precision
        if x == 0:
            return sign + "0"
        p = max(prec, 1)
        py = f"{abs(x):.{p - 1}e}"
        mant, _, e = py.partition("e")
        exp = int(e)
        ds = mant.replace(".", "").rstrip("0") or "0"
        eprec = p
        if eprec > len(ds) and len(ds) >= exp + 1:
            eprec = len(ds)
        if exp < -4 or exp >= eprec:
            m = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
            out = m + _fmt_exp(exp)
            return sign + (out.upper() if verb == "G" else out)
        return sign + _fixed(ds, exp + 1)
    ds, dp = _shortest_digits(x)
    if lower == "f":
        return sign + _fixed(ds, dp)
    exp = dp - 1 if ds != "0" else 0
    # strconv: with the shortest precision, %g switches to exponent form at exp < -4 or exp >= 6.
    if lower == "e" or exp < -4 or exp >= 6:
        m = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        out = m + _fmt_exp(exp)
        return sign + (out.upper() if verb in ("E", "G") else out)
    return sign + _fixed(ds, dp)


def _fixed(ds: str, dp: int) -> str:
    """Digits ds with the decimal point after dp digits, without trailing zeros in the fraction."""
    if dp <= 0:
        return "0." + "0" * (-dp) + ds
    if dp >= len(ds):
        return ds + "0" * (dp - len(ds))
    return ds[:dp] + "." + ds[dp:]


def format_float_v(x: float) -> str:
    """Go's %v for float64: strconv 'g' with the shortest precision (1e+06, 3.14, 1e-05)."""
    return format_float(x, "g", -1)


def format_time(t: datetime) -> str:
    """Go's time.Time.String(): 2006-01-02 15:04:05.999999999 -0700 MST."""
    frac = f".{t.microsecond:06d}".rstrip("0") if t.microsecond else ""
    off = t.utcoffset() or timedelta(0)
    total = int(off.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    zone = t.tzname() or ""
    if zone in ("", "UTC+00:00") or zone.startswith("UTC"):
        zone = "UTC" if total == 0 else f"{sign}{total // 3600:02d}{total % 3600 // 60:02d}"
    return f"{t.year:04d}-{t:%m-%d %H:%M:%S}{frac} {sign}{total // 3600:02d}{total % 3600 // 60:02d} {zone}"


def format_duration(seconds_ns: int) -> str:
    """Go's time.Duration.String() for a duration in nanoseconds."""
    d = seconds_ns
    if d == 0:
        return "0s"
    neg = d < 0
    u = abs(d)
    if u < 1_000_000_000:
        if u < 1000:
            out = f"{u}ns"
        elif u < 1_000_000:
            out = _trim_frac(u, 1000) + "µs"
        else:
            out = _trim_frac(u, 1_000_000) + "ms"
        return ("-" if neg else "") + out
    secs_total, frac_ns = divmod(u, 1_000_000_000)
    h, rem = divmod(secs_total, 3600)
    m, s = divmod(rem, 60)
    sec = str(s) + (("." + f"{frac_ns:09d}".rstrip("0")) if frac_ns else "")
    out = ""
    if h:
        out = f"{h}h{m}m{sec}s"
    elif m:
        out = f"{m}m{sec}s"
    else:
        out = f"{sec}s"
    return ("-" if neg else "") + out


def _trim_frac(u: int, unit: int) -> str:
    whole, frac = divmod(u, unit)
    width = len(str(unit)) - 1
    return str(whole) + (("." + f"{frac:0{width}d}".rstrip("0")) if frac else "")


def format_value(v: Any, top: bool = True) -> str:
    """fmt's %v of a value: <nil>, true, 42, 3.14, [a b], map[k:v] (keys sorted), time.Time's String."""
    if v is None or v is MISSING:
        return "<nil>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_float_v(v)
    if isinstance(v, complex):
        return f"({format_float_v(v.real)}{'+' if v.imag >= 0 else ''}{format_float_v(v.imag)}i)"
    if isinstance(v, Mapping):
        items = sorted(v.items(), key=lambda kv: sort_key(kv[0]))
        return "map[" + " ".join(f"{format_value(k, False)}:{format_value(x, False)}" for k, x in items) + "]"
    if isinstance(v, list | tuple):
        return "[" + " ".join(format_value(x, False) for x in v) + "]"
    if isinstance(v, datetime):
        return format_time(v)
    return str(v)


def sort_key(k: Any) -> tuple[int, Any]:
    """Order of map keys as fmt and text/template sort them: numbers numerically, strings bytewise."""
    if isinstance(k, bool):
        return (0, int(k))
    if isinstance(k, int | float):
        return (1, k)
    return (2, str(k))


def sprint(args: Sequence[Any]) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out: list[str] = []
    prev_string = True
    for i, a in enumerate(args):
        is_string = isinstance(a, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(format_value(a))
        prev_string = is_string
    return "".join(out)


def sprintln(args: Sequence[Any]) -> str:
    """fmt.Sprintln: operands always separated by spaces, newline appended."""
    return " ".join(format_value(a) for a in args) + "\n"


def _pad(s: str, width: int | None, minus: bool, zero: bool) -> str:
    if width is None or len(s) >= width:
        return s
    if minus:
        return s + " " * (width - len(s))
    if zero:
        sign = s[0] if s[:1] in "+-" else ""
        body = s[len(sign) :]
        return sign + "0" * (width - len(s)) + body
    return " " * (width - len(s)) + s


class FormatSpec:
    """Flags, width and precision of one printf verb."""

    __slots__ = ("minus", "plus", "prec", "sharp", "space", "width", "zero")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.width: int | None = None
        self.prec: int | None = None


def _bad(verb: str, arg: Any) -> str:
    if arg is None or arg is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type(arg)}={format_value(arg)})"


def _fmt_int(n: int, verb: str, sp: FormatSpec) -> str:
    neg = n < 0
    u = abs(n)
    if verb == "d" or verb == "v":
        body = str(u)
    elif verb == "b":
        body = format(u, "b")
    elif verb == "o":
        body = format(u, "o")
        if sp.sharp:
            body = "0" + body
    elif verb == "O":
        body = "0o" + format(u, "o")
    elif verb == "x":
        body = format(u, "x")
        if sp.sharp:
            body = "0x" + body
    elif verb == "X":
        body = format(u, "X")
        if sp.sharp:
            body = "0X" + body
    elif verb == "c":
        return _pad(chr(n) if 0 <= n <= 0x10FFFF else "\ufffd", sp.width, sp.minus, False)
    elif verb == "q":
        ch = chr(n) if 0 <= n <= 0x10FFFF else "\ufffd"
        quoted = go_quote(ch)[1:-1].replace("'", "\\'").replace('\\"', '"')
        return _pad("'" + quoted + "'", sp.width, sp.minus, False)
    elif verb == "U":
        body = f"U+{u:04X}"
        return _pad(body, sp.width, sp.minus, False)
    else:
        return _bad(verb, n)
    if sp.prec is not None:
        body = body.rjust(sp.prec, "0") if not (sp.prec == 0 and u == 0) else ""
    sign = "-" if neg else ("+" if sp.plus else (" " if sp.space else ""))
    return _pad(sign + body, sp.width, sp.minus, sp.zero and sp.prec is None)


def _fmt_float(x: float, verb: str, sp: FormatSpec) -> str:
    if verb == "v":
        body = format_float_v(x) if sp.prec is None else format_float(x, "g", sp.prec)
    elif verb in "eEfFgG":
        prec = sp.prec if sp.prec is not None else (6 if verb in "eEfF" else -1)
        body = format_float(x, verb if verb != "F" else "f", prec)
    else:
        return _bad(verb, x)
    if sp.plus and not body.startswith("-"):
        body = "+" + body
    elif sp.space and not body.startswith("-"):
        body = " " + body
    zero = sp.zero and not math.isinf(x) and not math.isnan(x)
    return _pad(body, sp.width, sp.minus, zero)


def _fmt_str(s: str, verb: str, sp: FormatSpec) -> str:
    if verb in ("s", "v"):
        body = s if sp.prec is None else s[: sp.prec]
    elif verb == "q":
        body = "`" + s + "`" if sp.sharp and "`" not in s else go_quote(s)
    elif verb in ("x", "X"):
        data = s.encode("utf-8", "surrogateescape")
        if sp.prec is not None:
            data = data[: sp.prec]
        body = data.hex() if verb == "x" else data.hex().upper()
        if sp.space:
            body = " ".join(body[i : i + 2] for i in range(0, len(body), 2))
    else:
        return _bad(verb, s)
    return _pad(body, sp.width, sp.minus, sp.zero)


def format_one(arg: Any, verb: str, sp: FormatSpec) -> str:
    """Format one operand for one verb, with Go's %!verb(type=value) for mismatches."""
    if verb == "T":
        return _pad(go_type(arg), sp.width, sp.minus, False)
    if arg is None or arg is MISSING:
        if verb == "v":
            return _pad("<nil>", sp.width, sp.minus, False)
        return f"%!{verb}(<nil>)"
    if isinstance(arg, bool):
        if verb in ("t", "v"):
            return _pad("true" if arg else "false", sp.width, sp.minus, False)
        return _bad(verb, arg)
    if isinstance(arg, int):
        if sp.sharp and verb == "v":
            return _pad(str(arg), sp.width, sp.minus, False)
        return _fmt_int(arg, verb, sp)
    if isinstance(arg, float):
        return _fmt_float(arg, verb, sp)
    if isinstance(arg, str):
        if sp.sharp and verb == "v":
            return _pad(go_quote(arg), sp.width, sp.minus, False)
        return _fmt_str(arg, verb, sp)
    if isinstance(arg, list | tuple):
        return "[" + " ".join(format_one(x, verb, sp) for x in arg) + "]"
    if isinstance(arg, Mapping):
        items = sorted(arg.items(), key=lambda kv: sort_key(kv[0]))
        return "map[" + " ".join(f"{format_one(k, verb, sp)}:{format_one(x, verb, sp)}" for k, x in items) + "]"
    if verb in ("v", "s"):
        return _pad(format_value(arg), sp.width, sp.minus, False)
    return _bad(verb, arg)


def sprintf(fmt: str, args: Sequence[Any]) -> str:
    """fmt.Sprintf with Go's verbs, flags, width, precision, explicit indexes and error annotations."""
    out: list[str] = []
    argn = 0
    reordered = False
    i = 0
    n = len(fmt)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        sp = FormatSpec()
        while i < n and fmt[i] in "+-# 0":
            c = fmt[i]
            if c == "+":
                sp.plus = True
            elif c == "-":
                sp.minus = True
            elif c == "#":
                sp.sharp = True
            elif c == " ":
                sp.space = True
            else:
                sp.zero = not sp.minus
            i += 1
        # Explicit argument index [n].
        if i < n and fmt[i] == "[":
            close = fmt.find("]", i)
            if close > 0 and fmt[i + 1 : close].isdigit():
                argn = int(fmt[i + 1 : close]) - 1
                reordered = True
                i = close + 1
        if i < n and fmt[i] == "*":
            i += 1
            if argn < len(args) and isinstance(args[argn], int) and not isinstance(args[argn], bool):
                w = args[argn]
                if w < 0:
                    sp.minus, w = True, -w
                sp.width = w
            else:
                out.append("%!(BADWIDTH)")
            argn += 1
        else:
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            if i > start:
                sp.width = int(fmt[start:i])
        if i < n and fmt[i] == ".":
            i += 1
            if i < n and fmt[i] == "*":
                i += 1
                if argn < len(args) and isinstance(args[argn], int) and not isinstance(args[argn], bool):
                    sp.prec = max(args[argn], 0)
                else:
                    out.append("%!(BADPREC)")
                argn += 1
            else:
                start = i
                while i < n and fmt[i].isdigit():
                    i += 1
                sp.prec = int(fmt[start:i]) if i > start else 0
        if i < n and fmt[i] == "[":
            close = fmt.find("]", i)
            if close > 0 and fmt[i + 1 : close].isdigit():
                argn = int(fmt[i + 1 : close]) - 1
                reordered = True
                i = close + 1
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argn >= len(args) or argn < 0:
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(format_one(args[argn], verb, sp))
        argn += 1
    if not reordered and argn < len(args):
        extra = ", ".join(
            "<nil>" if a is None or a is MISSING else f"{go_type(a)}={format_value(a)}" for a in args[argn:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)
