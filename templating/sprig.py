"""The Sprig v3 functions templates use, implemented with Sprig's (Go) semantics on plain Python data."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import re
import secrets
import string
import uuid
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from templating.gofmt import format_duration, format_float, sprintf
from templating.golayout import go_format, go_parse
from templating.literals import go_quote
from templating.runtime import ArgTypeError, GoError, RenderState
from templating.values import MISSING, GoInt64, go_kind, go_type
from templating.yamlcodec import from_yaml, to_yaml

# Sprig functions that build lists may not produce more elements than this (a render budget, not Sprig's).
MAX_LIST = 1_000_000
# No string a function builds may exceed this many characters.
MAX_STRING = 10_000_000

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


# Argument conversion, as Go's reflection does when calling a typed function.


def as_int(v: Any) -> int:
    """A Go int parameter: only integers pass."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if v is None or v is MISSING:
        raise GoError("invalid value; expected int")
    raise ArgTypeError("int", v)


def as_str(v: Any) -> str:
    """A Go string parameter: only strings pass."""
    if isinstance(v, str):
        return v
    if v is None or v is MISSING:
        raise GoError("invalid value; expected string")
    raise ArgTypeError("string", v)


def as_bool(v: Any) -> bool:
    """A Go bool parameter."""
    if isinstance(v, bool):
        return v
    if v is None or v is MISSING:
        raise GoError("invalid value; expected bool")
    raise ArgTypeError("bool", v)


def as_map(v: Any) -> dict[str, Any]:
    """A Go map[string]interface{} parameter; nil is an empty (nil) map."""
    if isinstance(v, dict):
        return v
    if v is None or v is MISSING:
        return {}
    raise ArgTypeError("map[string]interface {}", v)


def _wrap_int64(n: int) -> int:
    """Two's-complement wrap-around of Go's int64 arithmetic."""
    return (n - INT64_MIN) % (1 << 64) + INT64_MIN


def to_int64(v: Any) -> int:
    """spf13/cast.ToInt64: numbers truncate, numeric strings parse, anything else is 0."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return _wrap_int64(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return INT64_MIN
        return _wrap_int64(int(v))
    if isinstance(v, str):
        s = v
        if re.fullmatch(r"[+-]?\d+\.0*", s):
            s = s.split(".")[0]
        try:
            return _wrap_int64(int(s, 0)) if not re.fullmatch(r"[+-]?0\d+", s) else _wrap_int64(int(s, 8))
        except ValueError:
            return 0
    return 0


def to_float64(v: Any) -> float:
    """spf13/cast.ToFloat64: numbers convert, numeric strings parse, anything else is 0."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v) if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(Inf|inf|NaN)", v) else 0.0
        except ValueError:
            return 0.0
    return 0.0


def strval(v: Any) -> str:
    """Sprig's strval: strings as they are, everything else as fmt's %v."""
    if isinstance(v, str):
        return v
    if v is MISSING:
        return "<nil>"
    return sprintf("%v", [v])


def _strslice(v: Any) -> list[str]:
    """Sprig's strslice: a list's non-nil elements as strings, or one string for a scalar."""
    if isinstance(v, list | tuple):
        return [strval(x) for x in v if x is not None and x is not MISSING]
    if v is None or v is MISSING:
        return []
    return [strval(v)]


# Sprig's message when a list function gets something else ({} is the value's kind).
_NOT_A_LIST = {
    "push": "Cannot push on type {}",
    "prepend": "Cannot prepend on type {}",
    "concat": "Cannot concat type {} as list",
    "compact": "Cannot compact on type {}",
    "slice": "list should be type of slice or array but {}",
    "chunk": "Cannot chunk type {}",
}


def _list(v: Any, fn: str) -> list[Any]:
    """Sprig's list helpers accept slices and arrays only."""
    if isinstance(v, list | tuple):
        return list(v)
    if v is None or v is MISSING:
        # Sprig calls reflect.TypeOf(nil).Kind(), which panics.
        raise GoError("runtime error: invalid memory address or nil pointer dereference")
    raise GoError(_NOT_A_LIST.get(fn, "Cannot find " + fn + " on type {}").format(go_kind(v)))


def _bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _str(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _check_len(s: str) -> str:
    if len(s) > MAX_STRING:
        raise GoError(f"result longer than {MAX_STRING} characters")
    return s


# Strings.


def trunc(c: Any, s: Any) -> str:
    """trunc N s: the first N bytes; negative N keeps the last -N."""
    n, b = as_int(c), _bytes(as_str(s))
    if n < 0 and len(b) + n > 0:
        return _str(b[len(b) + n :])
    if n >= 0 and len(b) > n:
        return _str(b[:n])
    return _str(b)


def abbrev(width: Any, s: Any) -> str:
    """abbrev N s: truncate with an ellipsis."""
    w, text = as_int(width), as_str(s)
    if w < 4 or len(text) <= w:
        return text
    return text[: w - 3] + "..."


def substr(start: Any, end: Any, s: Any) -> str:
    """substr start end s: byte slice with Sprig's bounds handling."""
    a, e, b = as_int(start), as_int(end), _bytes(as_str(s))
    try:
        if a < 0:
            if e < 0 or e > len(b):
                raise IndexError
            return _str(b[:e])
        if e < 0 or e > len(b):
            if a > len(b):
                raise IndexError
            return _str(b[a:])
        if a > e:
            raise IndexError
        return _str(b[a:e])
    except IndexError:
        raise GoError(f"runtime error: slice bounds out of range [{a}:{e}]") from None


def title(s: Any) -> str:
    """strings.Title: upper-case the first letter of each word."""
    out, prev_letter = [], False
    for ch in as_str(s):
        is_word = ch.isalnum() or ch in "_'"
        out.append(ch.upper() if is_word and not prev_letter else ch)
        prev_letter = is_word
    return "".join(out)


def untitle(s: Any) -> str:
    """untitle: lower-case the first letter of each word."""
    out, prev = [], False
    for ch in as_str(s):
        is_word = not ch.isspace()
        out.append(ch.lower() if is_word and not prev else ch)
        prev = is_word
    return "".join(out)


def initials(s: Any) -> str:
    """initials: the first letter of each whitespace-separated word."""
    return "".join(w[0] for w in as_str(s).split())


def swapcase(s: Any) -> str:
    """swapcase: swap upper and lower case."""
    return as_str(s).swapcase()


def _words(s: str) -> list[str]:
    """Split into words at separators and lower-to-upper case changes, like xstrings does."""
    parts = re.split(r"[\s_\-.]+", s)
    words: list[str] = []
    for p in parts:
        words.extend(w for w in re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|$)|[A-Z]?[a-z]+|[A-Z]+|\d+", p) if w)
    return words


def snakecase(s: Any) -> str:
    """snakecase: FirstName → first_name."""
    return "_".join(w.lower() for w in _words(as_str(s)))


def kebabcase(s: Any) -> str:
    """kebabcase: FirstName → first-name."""
    return "-".join(w.lower() for w in _words(as_str(s)))


def camelcase(s: Any) -> str:
    """camelcase: http_server → HttpServer (xstrings.ToCamelCase splits on underscores only)."""
    text = as_str(s)
    return "".join(p[:1].upper() + p[1:] for p in text.split("_"))


def nospace(s: Any) -> str:
    """nospace: remove all white space."""
    return "".join(ch for ch in as_str(s) if not ch.isspace())


def wrap(width: Any, s: Any) -> str:
    """wrap N s: word-wrap at N columns (goutils.Wrap, newline separator)."""
    return wrap_with(width, "\n", s)


def wrap_with(width: Any, sep: Any, s: Any) -> str:
    """wrapWith N sep s: word-wrap at N columns with a custom line separator."""
    w, sp, text = as_int(width), as_str(sep), as_str(s)
    if w < 1:
        w = 1
    lines: list[str] = []
    for para in text.split("\n"):
        cur = ""
        for word in para.split(" "):
            if not cur:
                cur = word
            elif len(cur) + 1 + len(word) <= w:
                cur += " " + word
            else:
                lines.append(cur)
                cur = word
        lines.append(cur)
    return sp.join(lines)


def repeat(count: Any, s: Any) -> str:
    """repeat N s."""
    n, text = as_int(count), as_str(s)
    if n < 0:
        raise GoError("strings: negative Repeat count")
    if n * len(text) > MAX_STRING:
        raise GoError(f"result longer than {MAX_STRING} characters")
    return text * n


def quote(*args: Any) -> str:
    """quote a b: each non-nil argument double-quoted Go-style, space-separated."""
    return " ".join(go_quote(strval(a)) for a in args if a is not None and a is not MISSING)


def squote(*args: Any) -> str:
    """squote a b: each non-nil argument in single quotes, space-separated."""
    return " ".join(f"'{strval(a)}'" for a in args if a is not None and a is not MISSING)


def cat(*args: Any) -> str:
    """cat a b c: the non-nil arguments printed with spaces between them."""
    return " ".join(strval(a) for a in args if a is not None and a is not MISSING)


def replace(old: Any, new: Any, src: Any) -> str:
    """replace old new s: replace every occurrence."""
    o, n, s = as_str(old), as_str(new), as_str(src)
    if o == "":
        # Go's strings.Replace with an empty old inserts new around every rune.
        return _check_len(n + n.join(s) + n if s else n)
    return _check_len(s.replace(o, n))


def plural(one: Any, many: Any, count: Any) -> str:
    """plural one many n."""
    return as_str(one) if as_int(count) == 1 else as_str(many)


def split(sep: Any, orig: Any) -> dict[str, Any]:
    """split sep s: a dict with keys _0, _1, …"""
    parts = _go_split(as_str(orig), as_str(sep), -1)
    return {f"_{i}": p for i, p in enumerate(parts)}


def split_list(sep: Any, orig: Any) -> list[Any]:
    """splitList sep s: a list of the parts."""
    return list(_go_split(as_str(orig), as_str(sep), -1))


def splitn(sep: Any, n: Any, orig: Any) -> dict[str, Any]:
    """splitn sep n s: at most n parts, as a dict with keys _0, _1, …"""
    parts = _go_split(as_str(orig), as_str(sep), as_int(n))
    return {f"_{i}": p for i, p in enumerate(parts)}


def _go_split(s: str, sep: str, n: int) -> list[str]:
    """strings.SplitN: an empty separator splits into runes; n < 0 means all."""
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = [*chars[: n - 1], "".join(chars[n - 1 :])]
        return chars
    return s.split(sep) if n < 0 else s.split(sep, n - 1)


def join(sep: Any, v: Any) -> str:
    """join sep list."""
    return as_str(sep).join(_strslice(v))


def sort_alpha(v: Any) -> list[Any]:
    """sortAlpha list: the elements as strings, sorted."""
    if isinstance(v, list | tuple):
        return sorted(_strslice(v), key=_bytes)
    return [strval(v)]


def indent(spaces: Any, v: Any) -> str:
    """indent N s (breakglass): prefix every non-empty line with N spaces."""
    pad = " " * max(as_int(spaces), 0)
    return "\n".join(pad + line if line else line for line in as_str(v).split("\n"))


def nindent(spaces: Any, v: Any) -> str:
    """nindent N s (breakglass): a newline, then indent N s."""
    return "\n" + indent(spaces, v)


def contains(substr: Any, s: Any) -> bool:
    """contains sub s."""
    return as_str(substr) in as_str(s)


def has_prefix(prefix: Any, s: Any) -> bool:
    """hasPrefix p s."""
    return as_str(s).startswith(as_str(prefix))


def has_suffix(suffix: Any, s: Any) -> bool:
    """hasSuffix p s."""
    return as_str(s).endswith(as_str(suffix))


def trim_all(cutset: Any, s: Any) -> str:
    """trimAll chars s: strings.Trim."""
    return as_str(s).strip(as_str(cutset))


def trim_prefix(prefix: Any, s: Any) -> str:
    """trimPrefix p s."""
    p, text = as_str(prefix), as_str(s)
    return text[len(p) :] if p and text.startswith(p) else text


def trim_suffix(suffix: Any, s: Any) -> str:
    """trimSuffix p s."""
    p, text = as_str(suffix), as_str(s)
    return text[: -len(p)] if p and text.endswith(p) else text


# unicode.IsSpace, which strings.TrimSpace uses.
_GO_SPACE = (
    " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def trim(s: Any) -> str:
    """trim s: strings.TrimSpace."""
    return as_str(s).strip(_GO_SPACE)


def rand_string(chars: str) -> Callable[[Any], str]:
    """randAlphaNum & co: NOT deterministic (as in Sprig); use only where that is acceptable."""

    def fn(count: Any) -> str:
        n = as_int(count)
        if n > MAX_STRING:
            raise GoError(f"result longer than {MAX_STRING} characters")
        return "".join(secrets.choice(chars) for _ in range(max(n, 0)))

    return fn


# Regular expressions (Go's RE2 syntax is close to Python's for the patterns used in manifests).


def _regex(pattern: Any) -> re.Pattern[str]:
    p = as_str(pattern)
    # RE2 spellings Python lacks: named groups (?P<n>) are shared; \z is Python's \Z.
    try:
        return re.compile(p.replace(r"\z", r"\Z"))
    except re.error as exc:
        raise GoError(f"error parsing regexp: {exc}: `{p}`") from None


def regex_match(regex: Any, s: Any) -> bool:
    """mustRegexMatch re s."""
    return _regex(regex).search(as_str(s)) is not None


def regex_find(regex: Any, s: Any) -> str:
    """mustRegexFind re s: the first match or ""."""
    m = _regex(regex).search(as_str(s))
    return m.group(0) if m else ""


def regex_find_all(regex: Any, s: Any, n: Any) -> list[Any]:
    """mustRegexFindAll re s n: up to n matches (n < 0: all)."""
    limit = as_int(n)
    out = [m.group(0) for m in _regex(regex).finditer(as_str(s))]
    return out if limit < 0 else out[:limit]


def regex_replace_all(regex: Any, s: Any, repl: Any) -> str:
    """mustRegexReplaceAll re s repl: $1 and ${name} expand; unknown groups expand to ""."""
    pattern = _regex(regex)
    template = as_str(repl)

    def expand(m: re.Match[str]) -> str:
        def group(g: re.Match[str]) -> str:
            name = g.group(1) or g.group(2)
            try:
                key: int | str = int(name) if name.isdigit() else name
                return m.group(key) or ""
            except IndexError:
                return ""

        return re.sub(r"\$\{(\w+)\}|\$(\w+)", group, template.replace("$$", "\x00")).replace("\x00", "$")

    return _check_len(pattern.sub(expand, as_str(s)))


def regex_replace_all_literal(regex: Any, s: Any, repl: Any) -> str:
    """mustRegexReplaceAllLiteral re s repl: no expansion."""
    r = as_str(repl)
    return _check_len(_regex(regex).sub(lambda _m: r, as_str(s)))


def regex_split(regex: Any, s: Any, n: Any) -> list[Any]:
    """mustRegexSplit re s n: split around matches, at most n parts (n < 0: all)."""
    limit = as_int(n)
    if limit == 0:
        return []
    text = as_str(s)
    pattern = _regex(regex)
    if not text:
        return [""]
    out: list[Any] = []
    beg = 0
    for m in pattern.finditer(text):
        if limit > 0 and len(out) == limit - 1:
            break
        if m.end() == 0:
            continue
        out.append(text[beg : m.start()])
        beg = m.end()
    out.append(text[beg:])
    return out


def regex_quote_meta(s: Any) -> str:
    """regexQuoteMeta s."""
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", as_str(s))


def _lenient(fn: Callable[..., Any], fallback: Any) -> Callable[..., Any]:
    """Sprig's non-must regex functions swallow a bad pattern and return a zero value."""

    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        except GoError as exc:
            if str(exc).startswith("error parsing regexp"):
                return copy.copy(fallback)
            raise

    return wrapper


# Lists.


def list_(*args: Any) -> list[Any]:
    """list a b c."""
    return list(args)


def first(v: Any) -> Any:
    """first list: nil when empty."""
    items = _list(v, "first")
    return items[0] if items else None


def rest(v: Any) -> Any:
    """rest list."""
    items = _list(v, "rest")
    return items[1:] if items else None


def last(v: Any) -> Any:
    """last list."""
    items = _list(v, "last")
    return items[-1] if items else None


def initial(v: Any) -> Any:
    """initial list: all but the last."""
    items = _list(v, "initial")
    return items[:-1] if items else None


def push(v: Any, x: Any) -> list[Any]:
    """append list x."""
    return [*_list(v, "push"), x]


def prepend(v: Any, x: Any) -> list[Any]:
    """prepend list x."""
    return [x, *_list(v, "prepend")]


def concat(*lists: Any) -> list[Any]:
    """concat l1 l2."""
    out: list[Any] = []
    for item in lists:
        out.extend(_list(item, "concat"))
    return out


def reverse(v: Any) -> list[Any]:
    """reverse list."""
    return _list(v, "reverse")[::-1]


def _deep_eq(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def uniq(v: Any) -> list[Any]:
    """uniq list: first occurrences, in order (reflect.DeepEqual)."""
    out: list[Any] = []
    for x in _list(v, "uniq"):
        if not any(_deep_eq(x, y) for y in out):
            out.append(x)
    return out


def without(v: Any, *omit: Any) -> list[Any]:
    """without list a b."""
    return [x for x in _list(v, "without") if not any(_deep_eq(x, o) for o in omit)]


def has(needle: Any, haystack: Any) -> bool:
    """has x list."""
    if haystack is None or haystack is MISSING:
        return False
    return any(_deep_eq(needle, y) for y in _list(haystack, "has"))


def empty(v: Any) -> bool:
    """empty x: nil, false, 0, "" and empty collections are empty; structs never are."""
    if v is None or v is MISSING:
        return True
    if isinstance(v, bool | int | float | complex | str | list | tuple | dict):
        return not v
    return False


def compact(v: Any) -> list[Any]:
    """compact list: drop empty elements."""
    return [x for x in _list(v, "compact") if not empty(x)]


def slice_(v: Any, *indices: Any) -> Any:
    """slice list [start [end]] (Sprig's slice, which replaces the builtin)."""
    items = _list(v, "slice")
    idx = [to_int64(i) for i in indices]
    if len(idx) > 2:
        raise GoError("slice expects at most 2 indices")
    start = idx[0] if idx else 0
    end = idx[1] if len(idx) > 1 else len(items)
    if not 0 <= start <= end <= len(items):
        raise GoError(f"runtime error: slice bounds out of range [{start}:{end}]")
    return items[start:end]


def until(count: Any) -> list[Any]:
    """until n: 0..n-1 (counting down for negative n)."""
    return until_step(0, count, 1 if as_int(count) >= 0 else -1)


def until_step(start: Any, stop: Any, step: Any) -> list[Any]:
    """untilStep start stop step."""
    a, b, s = as_int(start), as_int(stop), as_int(step)
    if s == 0 or (s > 0 and a >= b) or (s < 0 and a <= b):
        return []
    r = range(a, b, s)
    if len(r) > MAX_LIST:
        raise GoError(f"list of {len(r)} elements exceeds the limit of {MAX_LIST}")
    return list(r)


def seq(*params: Any) -> str:
    """seq [first [incr]] last: like bash seq, space-separated."""
    p = [as_int(x) for x in params]
    if len(p) == 0:
        return ""
    if len(p) == 1:
        a, step, b = 1, 1, p[0]
        if b < a:
            step = -1
    elif len(p) == 2:
        a, b = p
        step = 1 if b >= a else -1
    elif len(p) == 3:
        a, step, b = p
        if step == 0 or (b < a and step > 0) or (b > a and step < 0):
            return ""
    else:
        raise GoError("seq requires at most 3 arguments")
    r = range(a, b + (1 if step > 0 else -1), step)
    if len(r) > MAX_LIST:
        raise GoError(f"list of {len(r)} elements exceeds the limit of {MAX_LIST}")
    return " ".join(str(x) for x in r)


def chunk(size: Any, v: Any) -> list[Any]:
    """chunk n list."""
    n = as_int(size)
    items = _list(v, "chunk")
    if n <= 0:
        raise GoError("chunk size must be positive")
    return [items[i : i + n] for i in range(0, len(items), n)]


# Dictionaries.


def dict_(*args: Any) -> dict[str, Any]:
    """dict k1 v1 k2 v2: an odd trailing key maps to ""."""
    out: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        key = strval(args[i])
        out[key] = args[i + 1] if i + 1 < len(args) else ""
    return out


def get(d: Any, key: Any) -> Any:
    """get dict key: "" when absent."""
    return as_map(d).get(as_str(key), "")


def set_(d: Any, key: Any, value: Any) -> dict[str, Any]:
    """set dict key value: mutates and returns the dict."""
    m = as_map(d)
    if d is None or d is MISSING:
        raise GoError("assignment to entry in nil map")
    m[as_str(key)] = value
    return m


def unset(d: Any, key: Any) -> dict[str, Any]:
    """unset dict key: mutates and returns the dict."""
    m = as_map(d)
    m.pop(as_str(key), None)
    return m


def has_key(d: Any, key: Any) -> bool:
    """hasKey dict key."""
    return as_str(key) in as_map(d)


def pluck(name: Any, *dicts: Any) -> list[Any]:
    """pluck key d1 d2: the values of key in each dict that has it."""
    k = as_str(name)
    return [as_map(d)[k] for d in dicts if k in as_map(d)]


def dig(*args: Any) -> Any:
    """dig k1 k2 default dict: nested lookup with a default."""
    if len(args) < 3:
        raise GoError(f"wrong number of args for dig: want at least 3 got {len(args)}")
    keys, default, current = args[:-2], args[-2], as_map(args[-1])
    value: Any = current
    for i, k in enumerate(keys):
        key = as_str(k)
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
        if i < len(keys) - 1 and not isinstance(value, Mapping):
            return default
    return value


def keys(*dicts: Any) -> list[Any]:
    """keys d1 d2: all keys; sorted here for determinism (Sprig's order is Go's random map order)."""
    out: list[Any] = []
    for d in dicts:
        out.extend(sorted(as_map(d).keys(), key=_bytes))
    return out


def values(d: Any) -> list[Any]:
    """values dict: in key order here (Sprig's order is random)."""
    m = as_map(d)
    return [m[k] for k in sorted(m, key=_bytes)]


def pick(d: Any, *names: Any) -> dict[str, Any]:
    """pick dict k1 k2."""
    m = as_map(d)
    wanted = [as_str(n) for n in names]
    return {k: m[k] for k in wanted if k in m}


def omit(d: Any, *names: Any) -> dict[str, Any]:
    """omit dict k1 k2."""
    m = as_map(d)
    drop = {as_str(n) for n in names}
    return {k: v for k, v in m.items() if k not in drop}


def _merge(dst: dict[str, Any], src: Mapping[str, Any], overwrite: bool) -> None:
    """mergo.Merge semantics: nested maps merge; scalars fill only empty destinations unless overwriting."""
    for k, v in src.items():
        if k in dst and isinstance(dst[k], dict) and isinstance(v, Mapping):
            _merge(dst[k], v, overwrite)
        elif k not in dst or (overwrite and not (empty(v) and not isinstance(v, bool | int | float))):
            dst[k] = copy.deepcopy(v) if isinstance(v, dict | list) else v
        elif empty(dst[k]) and not overwrite:
            dst[k] = v


def merge(dst: Any, *srcs: Any) -> dict[str, Any]:
    """merge dst src1 src2: deep merge, existing values win; mutates dst."""
    d = as_map(dst)
    for s in srcs:
        _merge(d, as_map(s), overwrite=False)
    return d


def merge_overwrite(dst: Any, *srcs: Any) -> dict[str, Any]:
    """mergeOverwrite dst src1 src2: deep merge, later values win; mutates dst."""
    d = as_map(dst)
    for s in srcs:
        _merge(d, as_map(s), overwrite=True)
    return d


def deep_copy(v: Any) -> Any:
    """deepCopy x."""
    if v is None or v is MISSING:
        raise GoError("interface conversion: interface is nil")
    return copy.deepcopy(v)


# Math: Sprig converts through int64 (truncating) or float64.


def add(*args: Any) -> int:
    """add a b c."""
    return GoInt64(_wrap_int64(sum(to_int64(a) for a in args)))


def add1(a: Any) -> int:
    """add1 x."""
    return GoInt64(_wrap_int64(to_int64(a) + 1))


def sub(a: Any, b: Any) -> int:
    """sub a b."""
    return GoInt64(_wrap_int64(to_int64(a) - to_int64(b)))


def mul(a: Any, *rest_: Any) -> int:
    """mul a b c."""
    r = to_int64(a)
    for b in rest_:
        r = _wrap_int64(r * to_int64(b))
    return GoInt64(r)


def _go_div(a: int, b: int) -> int:
    """Go's integer division truncates toward zero."""
    if b == 0:
        raise GoError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return _wrap_int64(q if (a >= 0) == (b >= 0) else -q)


def div(a: Any, b: Any) -> int:
    """div a b: integer division truncating toward zero."""
    return GoInt64(_go_div(to_int64(a), to_int64(b)))


def mod(a: Any, b: Any) -> int:
    """mod a b: remainder with the sign of a."""
    x, y = to_int64(a), to_int64(b)
    return GoInt64(x - _go_div(x, y) * y)


def max_(a: Any, *rest_: Any) -> int:
    """max a b c."""
    return GoInt64(max([to_int64(a), *(to_int64(b) for b in rest_)]))


def min_(a: Any, *rest_: Any) -> int:
    """min a b c."""
    return GoInt64(min([to_int64(a), *(to_int64(b) for b in rest_)]))


def floor(a: Any) -> float:
    """floor x: float64."""
    return float(math.floor(to_float64(a))) if math.isfinite(to_float64(a)) else to_float64(a)


def ceil(a: Any) -> float:
    """ceil x: float64."""
    return float(math.ceil(to_float64(a))) if math.isfinite(to_float64(a)) else to_float64(a)


def round_(a: Any, p: Any, *r_opt: Any) -> float:
    """round x places [threshold]: Sprig rounds half up at .5 (or the given threshold)."""
    places = as_int(p)
    threshold = float(r_opt[0]) if r_opt else 0.5
    val = to_float64(a)
    pow_ = math.pow(10, places)
    digit = pow_ * val
    frac, _ = math.modf(digit)
    rounded = math.ceil(digit) if frac >= threshold else math.floor(digit)
    return rounded / pow_


def to_int(v: Any) -> int:
    """int x: cast.ToInt."""
    return int(to_int64(v))


def to_int64_fn(v: Any) -> int:
    """int64 x: cast.ToInt64."""
    return GoInt64(to_int64(v))


def atoi(v: Any) -> int:
    """atoi s: 0 when not an integer."""
    try:
        return _wrap_int64(int(as_str(v), 10)) if re.fullmatch(r"[+-]?\d+", as_str(v)) else 0
    except ValueError:
        return 0


def to_string(v: Any) -> str:
    """toString x."""
    return strval(v)


def to_strings(v: Any) -> list[Any]:
    """toStrings list."""
    if isinstance(v, list | tuple):
        return [strval(x) for x in v]
    return [strval(v)]


# Defaults and control.


def default(d: Any, *given: Any) -> Any:
    """default d x: x unless it is empty."""
    if not given or empty(given[0]):
        return d
    return given[0]


def coalesce(*args: Any) -> Any:
    """coalesce a b c: the first non-empty argument."""
    for a in args:
        if not empty(a):
            return a
    return None


def all_(*args: Any) -> bool:
    """all a b: every argument non-empty."""
    return all(not empty(a) for a in args)


def any_(*args: Any) -> bool:
    """any a b: some argument non-empty."""
    return any(not empty(a) for a in args)


def ternary(vt: Any, vf: Any, v: Any) -> Any:
    """ternary a b cond."""
    return vt if as_bool(v) else vf


def fail(msg: Any) -> str:
    """fail msg: stop rendering with msg."""
    raise GoError(as_str(msg))


def required(msg: Any, val: Any) -> Any:
    """required msg val (breakglass): fail with msg when val is nil or ""."""
    if val is None or val is MISSING or val == "":
        raise GoError(as_str(msg))
    return val


# Encodings.


def b64enc(s: Any) -> str:
    """b64enc s."""
    return base64.b64encode(_bytes(strval(s))).decode()


_B64_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/")


def _b64_error_offset(text: str) -> int:
    """Where Go's base64 decoder reports corrupt input: the bad byte, or the start of a cut-off quantum."""
    data = [(i, c) for i, c in enumerate(text) if c not in "\r\n"]
    for n, (i, c) in enumerate(data):
        if c == "=":
            # Padding may only end the last quantum.
            if n % 4 < 2 or any(d != "=" for _, d in data[n:]) or len(data) % 4:
                return i
            return -1
        if c not in _B64_ALPHABET:
            return i
    if len(data) % 4:
        return data[len(data) - len(data) % 4][0]
    return -1


def b64dec(s: Any) -> str:
    """b64dec s: on failure the error text is the result, as in Sprig."""
    text = strval(s)
    try:
        return _str(base64.b64decode(_bytes(text.replace("\r", "").replace("\n", "")), validate=True))
    except ValueError:
        return f"illegal base64 data at input byte {max(_b64_error_offset(text), 0)}"


def b32enc(s: Any) -> str:
    """b32enc s."""
    return base64.b32encode(_bytes(strval(s))).decode()


def b32dec(s: Any) -> str:
    """b32dec s."""
    try:
        return _str(base64.b32decode(_bytes(strval(s))))
    except ValueError as exc:
        return str(exc)


def _json_ready(v: Any) -> Any:
    if v is MISSING:
        return None
    if isinstance(v, Mapping):
        return {str(k): _json_ready(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_ready(x) for x in v]
    if isinstance(v, datetime):
        return v.isoformat().replace("+00:00", "Z")
    return v


def _floats_as_tokens(v: Any, floats: list[str]) -> Any:
    """Replace floats by placeholder strings so Go's float text can be spliced in after encoding."""
    if isinstance(v, float):
        floats.append(go_json_float(v))
        return f"\x00{len(floats) - 1}\x00"
    if isinstance(v, dict):
        return {k: _floats_as_tokens(x, floats) for k, x in v.items()}
    if isinstance(v, list):
        return [_floats_as_tokens(x, floats) for x in v]
    return v


def go_json_float(f: float) -> str:
    """encoding/json's float64 text: shortest digits, exponent form below 1e-6 or from 1e21."""
    if math.isnan(f) or math.isinf(f):
        raise GoError(f"json: unsupported value: {format_float(f)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        text = format_float(f, "e", -1)
        return re.sub(r"e([+-])0(\d)$", r"e\g<1>\2", text)
    return format_float(f, "f", -1)


def _html_escape_json(s: str) -> str:
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _dumps(v: Any, indent_: int | None, escape_html: bool) -> str:
    floats: list[str] = []
    data = _floats_as_tokens(_json_ready(v), floats)
    text = json.dumps(
        data,
        ensure_ascii=False,
        sort_keys=True,
        indent=indent_,
        separators=(",", ":") if indent_ is None else (",", ": "),
        default=str,
    )
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if floats:
        text = re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: floats[int(m[1])], text)
    return _html_escape_json(text) if escape_html else text


def to_json(v: Any) -> str:
    """toJson x: compact, keys sorted, HTML-escaped like encoding/json."""
    return _dumps(v, None, True)


def to_pretty_json(v: Any) -> str:
    """toPrettyJson x: two-space indent."""
    return _dumps(v, 2, True)


def to_raw_json(v: Any) -> str:
    """toRawJson x: no HTML escaping."""
    return _dumps(v, None, False)


def from_json(v: Any) -> Any:
    """fromJson s: numbers become float64 as in Go; invalid JSON gives an empty map (Sprig)."""
    try:
        return json.loads(as_str(v), parse_int=float)
    except ValueError:
        return {}


def must_from_json(v: Any) -> Any:
    """mustFromJson s."""
    try:
        return json.loads(as_str(v), parse_int=float)
    except ValueError as exc:
        raise GoError(str(exc)) from None


def to_yaml_fn(v: Any) -> str:
    """toYaml x: like Helm (sigs.k8s.io/yaml), keys sorted, trailing newline trimmed."""
    return to_yaml(_json_ready(v))


def from_yaml_fn(v: Any) -> Any:
    """fromYaml s: like Helm; a parse error is returned as {"Error": message}."""
    try:
        return from_yaml(as_str(v))
    except ValueError as exc:
        return {"Error": str(exc)}


def sha1sum(s: Any) -> str:
    """sha1sum s."""
    return hashlib.sha1(_bytes(as_str(s)), usedforsecurity=False).hexdigest()


def sha256sum(s: Any) -> str:
    """sha256sum s."""
    return hashlib.sha256(_bytes(as_str(s))).hexdigest()


def sha512sum(s: Any) -> str:
    """sha512sum s."""
    return hashlib.sha512(_bytes(as_str(s))).hexdigest()


def adler32sum(s: Any) -> str:
    """adler32sum s: decimal."""
    return str(zlib.adler32(_bytes(as_str(s))))


# Dates. "now" is the render's clock, so output is a function of the context.


def _to_time(state: RenderState, v: Any, loc: timezone | ZoneInfo = UTC) -> datetime:
    """Sprig's date argument: a time, or Unix seconds as an integer; anything else means now."""
    if isinstance(v, datetime):
        return v.astimezone(loc)
    if isinstance(v, int) and not isinstance(v, bool):
        return datetime.fromtimestamp(int(v), tz=loc)
    return state.now.astimezone(loc)


def now(state: RenderState) -> datetime:
    """now: the render time from the context (not the wall clock)."""
    return state.now


def date(state: RenderState, fmt: Any, d: Any) -> str:
    """date layout t: Go layout formatting (in UTC; Sprig uses the server's local zone)."""
    return go_format(_to_time(state, d), as_str(fmt))


def date_in_zone(state: RenderState, fmt: Any, d: Any, zone: Any) -> str:
    """dateInZone layout t zone."""
    try:
        loc: timezone | ZoneInfo = UTC if as_str(zone) in ("UTC", "") else ZoneInfo(as_str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        loc = UTC
    return go_format(_to_time(state, d, loc), as_str(fmt))


def unix_epoch(d: Any) -> str:
    """unixEpoch t: seconds since 1970 as a string."""
    if not isinstance(d, datetime):
        raise ArgTypeError("time.Time", d)
    return str(int(d.timestamp()))


def duration(sec: Any) -> str:
    """duration seconds: Go's Duration string (1h0m0s); as in Sprig v3 only strings and int64s count."""
    if isinstance(sec, str):
        n = _wrap_int64(int(sec)) if re.fullmatch(r"[+-]?\d+", sec) else 0
    elif isinstance(sec, GoInt64):
        n = int(sec)
    else:
        # Sprig's type switch has no case for int: `duration 90` is 0s, `duration "90"` is 1m30s.
        n = 0
    return format_duration(n * 1_000_000_000)


def ago(state: RenderState, d: Any) -> str:
    """ago t: time since t, rounded to seconds, measured from the render time."""
    t = _to_time(state, d)
    delta: timedelta = state.now - t
    return format_duration(round(delta.total_seconds()) * 1_000_000_000)


def to_date(fmt: Any, s: Any) -> datetime:
    """toDate layout s: parse with a Go layout (in UTC); the zero time if it does not parse."""
    try:
        return go_parse(as_str(fmt), as_str(s), UTC)
    except ValueError:
        return datetime(1, 1, 1, tzinfo=UTC)


def must_to_date(fmt: Any, s: Any) -> datetime:
    """mustToDate layout s."""
    try:
        return go_parse(as_str(fmt), as_str(s), UTC)
    except ValueError as exc:
        raise GoError(str(exc)) from None


# Types and misc.


def kind_of(v: Any) -> str:
    """kindOf x."""
    return go_kind(v)


def type_of(v: Any) -> str:
    """typeOf x."""
    return go_type(v)


def kind_is(target: Any, v: Any) -> bool:
    """kindIs kind x."""
    return as_str(target) == go_kind(v)


def type_is(target: Any, v: Any) -> bool:
    """typeIs type x."""
    return as_str(target) == go_type(v)


def deep_equal(a: Any, b: Any) -> bool:
    """deepEqual a b."""
    return _deep_eq(a, b)


def uuidv4() -> str:
    """uuidv4: NOT deterministic (as in Sprig)."""
    return str(uuid.uuid4())


def _semver(v: str) -> tuple[int, int, int, str]:
    m = re.fullmatch(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?", v.strip())
    if not m:
        raise GoError("Invalid Semantic Version")
    return int(m[1]), int(m[2] or 0), int(m[3] or 0), m[4] or ""


def _semver_key(v: tuple[int, int, int, str]) -> tuple[int, int, int, int, str]:
    return v[0], v[1], v[2], 0 if v[3] else 1, v[3]


def semver(v: Any) -> dict[str, Any]:
    """semver v: the parsed version as a map of Major, Minor, Patch, Prerelease."""
    major, minor, patch, pre = _semver(as_str(v))
    return {"Major": major, "Minor": minor, "Patch": patch, "Prerelease": pre}


def semver_compare(constraint: Any, version: Any) -> bool:
    """semverCompare ">=1.2.0" v: comparison operators, comma (and) and || (or); no ~ or ^ ranges."""
    ver = _semver_key(_semver(as_str(version)))
    for alternative in as_str(constraint).split("||"):
        ok = True
        for part in re.split(r"\s*,\s*|\s+(?=[<>=!])", alternative.strip()):
            m = re.fullmatch(r"(>=|<=|!=|=|>|<)?\s*(.+)", part.strip())
            if not m:
                raise GoError(f"improper constraint: {part}")
            op, target = m[1] or "=", _semver_key(_semver(m[2]))
            ok = (
                ok
                and {
                    "=": ver == target,
                    "!=": ver != target,
                    ">": ver > target,
                    "<": ver < target,
                    ">=": ver >= target,
                    "<=": ver <= target,
                }[op]
            )
        if ok:
            return True
    return False


def base(p: Any) -> str:
    """base path."""
    import posixpath

    s = as_str(p).rstrip("/")
    return posixpath.basename(s) or ("/" if as_str(p).startswith("/") else ".")


def dir_(p: Any) -> str:
    """dir path."""
    import posixpath

    return posixpath.dirname(as_str(p)) or "."


def ext(p: Any) -> str:
    """ext path."""
    import posixpath

    return posixpath.splitext(as_str(p))[1]


def clean(p: Any) -> str:
    """clean path."""
    import posixpath

    s = as_str(p)
    return posixpath.normpath(s) if s else "."


def is_abs(p: Any) -> bool:
    """isAbs path."""
    return as_str(p).startswith("/")


def abbrevboth(left: Any, right: Any, s: Any) -> str:
    """abbrevboth L R s: goutils.AbbreviateFull, ellipses on both sides."""
    offset, width, text = as_int(left), as_int(right), as_str(s)
    if width < 4 or len(text) <= width:
        return text
    offset = max(0, min(offset, len(text)))
    if len(text) - offset < width - 3:
        offset = len(text) - (width - 3)
    if offset <= 4:
        return text[: width - 3] + "..."
    if width < 7:
        return text
    if offset + width - 3 < len(text):
        return "..." + abbrev(width - 3, text[offset:])
    return "..." + text[len(text) - (width - 3) :]


def _dec(v: Any) -> Decimal:
    return Decimal(repr(to_float64(v)))


def addf(*args: Any) -> float:
    """addf a b: float64 addition through decimals, as Sprig does."""
    total = Decimal(0)
    for a in args:
        total += _dec(a)
    return float(total)


def add1f(a: Any) -> float:
    """add1f x."""
    return float(_dec(a) + 1)


def subf(a: Any, *rest_: Any) -> float:
    """subf a b c."""
    total = _dec(a)
    for b in rest_:
        total -= _dec(b)
    return float(total)


def mulf(a: Any, *rest_: Any) -> float:
    """mulf a b c."""
    total = _dec(a)
    for b in rest_:
        total *= _dec(b)
    return float(total)


def divf(a: Any, *rest_: Any) -> float:
    """divf a b c."""
    total = _dec(a)
    for b in rest_:
        d = _dec(b)
        if d == 0:
            raise GoError("decimal division by 0")
        total /= d
    return float(total)


def maxf(a: Any, *rest_: Any) -> float:
    """maxf a b c."""
    return max([to_float64(a), *(to_float64(b) for b in rest_)])


def minf(a: Any, *rest_: Any) -> float:
    """minf a b c."""
    return min([to_float64(a), *(to_float64(b) for b in rest_)])


_DURATION_UNITS = {
    "ns": 1,
    "us": 1000,
    "\u00b5s": 1000,
    "\u03bcs": 1000,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}


def parse_go_duration(text: str) -> int:
    """time.ParseDuration: nanoseconds of "1h30m", "-1.5h", "300ms"; ValueError if malformed."""
    m = re.fullmatch(r"([+-]?)((?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+", text)
    if text in ("0", "+0", "-0"):
        return 0
    if not m:
        raise ValueError(f"time: invalid duration {go_quote(text)}")
    total = Decimal(0)
    for num, unit in re.findall(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)", text):
        total += Decimal(num) * _DURATION_UNITS[unit]
    return int(-total if m.group(1) == "-" else total)


def date_modify(state: RenderState, fmt: Any, d: Any) -> datetime:
    """dateModify "-1.5h" t: t shifted by a Go duration (unchanged if the duration is invalid)."""
    try:
        ns = parse_go_duration(as_str(fmt))
    except ValueError:
        return _to_time(state, d)
    return _to_time(state, d) + timedelta(microseconds=ns // 1000)


def must_date_modify(state: RenderState, fmt: Any, d: Any) -> datetime:
    """mustDateModify "-1.5h" t."""
    try:
        ns = parse_go_duration(as_str(fmt))
    except ValueError as exc:
        raise GoError(str(exc)) from None
    return _to_time(state, d) + timedelta(microseconds=ns // 1000)


def duration_round(state: RenderState, v: Any) -> str:
    """durationRound d: the duration rounded down to its largest unit (2h, 3mo, 1y)."""
    if isinstance(v, str):
        try:
            ns = parse_go_duration(v)
        except ValueError:
            ns = 0
    elif isinstance(v, datetime):
        ns = int((state.now - v).total_seconds() * 10**9)
    elif isinstance(v, GoInt64):
        ns = int(v)
    else:
        ns = 0
    u = abs(ns)
    hour = 3600 * 10**9
    for unit, size in (
        ("y", hour * 24 * 365),
        ("mo", hour * 24 * 30),
        ("d", hour * 24),
        ("h", hour),
        ("m", 60 * 10**9),
        ("s", 10**9),
    ):
        if u > size:
            return f"{u // size}{unit}"
    return "0s"


def html_date(state: RenderState, d: Any) -> str:
    """htmlDate t: 2006-01-02."""
    return date(state, "2006-01-02", d)


def html_date_in_zone(state: RenderState, d: Any, zone: Any) -> str:
    """htmlDateInZone t zone."""
    return date_in_zone(state, "2006-01-02", d, zone)


def to_decimal(v: Any) -> int:
    """toDecimal "0777": an octal string as a decimal number (0 if invalid)."""
    try:
        return GoInt64(int(strval(v), 8))
    except ValueError:
        return GoInt64(0)


def type_is_like(target: Any, v: Any) -> bool:
    """typeIsLike type x: the type or a pointer to it."""
    t = go_type(v)
    return as_str(target) in (t, "*" + t)


def shuffle(s: Any) -> str:
    """shuffle s: NOT deterministic (as in Sprig)."""
    chars = list(as_str(s))
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def rand_int(low: Any, high: Any) -> int:
    """randInt lo hi: NOT deterministic (as in Sprig)."""
    lo, hi = as_int(low), as_int(high)
    if hi <= lo:
        raise GoError("invalid argument to Intn")
    return lo + secrets.randbelow(hi - lo)


def hello() -> str:
    """hello: Sprig's test function."""
    return "Hello!"


def url_parse(v: Any) -> dict[str, Any]:
    """urlParse s: the parts of a URL as Sprig names them."""
    from urllib.parse import urlsplit

    try:
        u = urlsplit(as_str(v))
    except ValueError as exc:
        raise GoError(f"unable to parse url: {exc}") from None
    userinfo = u.netloc.rpartition("@")[0] if "@" in u.netloc else ""
    return {
        "scheme": u.scheme,
        "host": u.netloc.rpartition("@")[2],
        "hostname": u.hostname or "",
        "path": u.path,
        "query": u.query,
        "opaque": "",
        "fragment": u.fragment,
        "userinfo": userinfo,
    }


def url_join(d: Any) -> str:
    """urlJoin dict: the URL built from urlParse's parts."""
    from urllib.parse import urlunsplit

    m = as_map(d)
    host = strval(m.get("host", ""))
    userinfo = strval(m.get("userinfo", ""))
    netloc = f"{userinfo}@{host}" if userinfo else host
    parts = (strval(m.get(k, "")) for k in ("scheme", "path", "query", "fragment"))
    scheme, path, query, fragment = parts
    return urlunsplit((scheme, netloc, path, query, fragment))


def rand_bytes(count: Any) -> str:
    """randBytes n: n random bytes, base64-encoded; NOT deterministic (as in Sprig)."""
    n = as_int(count)
    if n > MAX_STRING:
        raise GoError(f"result longer than {MAX_STRING} characters")
    return base64.b64encode(secrets.token_bytes(max(n, 0))).decode()


ALNUM = string.ascii_letters + string.digits

SPRIG: dict[str, Callable[..., Any]] = {
    "trunc": trunc,
    "abbrev": abbrev,
    "substr": substr,
    "trim": trim,
    "trimAll": trim_all,
    "trimall": trim_all,
    "trimPrefix": trim_prefix,
    "trimSuffix": trim_suffix,
    "upper": lambda s: as_str(s).upper(),
    "lower": lambda s: as_str(s).lower(),
    "title": title,
    "untitle": untitle,
    "repeat": repeat,
    "nospace": nospace,
    "initials": initials,
    "swapcase": swapcase,
    "snakecase": snakecase,
    "camelcase": camelcase,
    "kebabcase": kebabcase,
    "wrap": wrap,
    "wrapWith": wrap_with,
    "contains": contains,
    "hasPrefix": has_prefix,
    "hasSuffix": has_suffix,
    "quote": quote,
    "squote": squote,
    "cat": cat,
    "indent": indent,
    "nindent": nindent,
    "replace": replace,
    "plural": plural,
    "randAlphaNum": rand_string(ALNUM),
    "randAlpha": rand_string(string.ascii_letters),
    "randNumeric": rand_string(string.digits),
    "randAscii": rand_string("".join(chr(c) for c in range(32, 127))),
    "regexMatch": _lenient(regex_match, False),
    "mustRegexMatch": regex_match,
    "regexFind": _lenient(regex_find, ""),
    "mustRegexFind": regex_find,
    "regexFindAll": _lenient(regex_find_all, []),
    "mustRegexFindAll": regex_find_all,
    "regexReplaceAll": _lenient(regex_replace_all, ""),
    "mustRegexReplaceAll": regex_replace_all,
    "regexReplaceAllLiteral": _lenient(regex_replace_all_literal, ""),
    "mustRegexReplaceAllLiteral": regex_replace_all_literal,
    "regexSplit": _lenient(regex_split, []),
    "mustRegexSplit": regex_split,
    "regexQuoteMeta": regex_quote_meta,
    "list": list_,
    "tuple": list_,
    "first": first,
    "mustFirst": first,
    "rest": rest,
    "mustRest": rest,
    "last": last,
    "mustLast": last,
    "initial": initial,
    "mustInitial": initial,
    "append": push,
    "push": push,
    "mustAppend": push,
    "mustPush": push,
    "prepend": prepend,
    "mustPrepend": prepend,
    "concat": concat,
    "reverse": reverse,
    "mustReverse": reverse,
    "uniq": uniq,
    "mustUniq": uniq,
    "without": without,
    "mustWithout": without,
    "has": has,
    "mustHas": has,
    "compact": compact,
    "mustCompact": compact,
    "slice": slice_,
    "mustSlice": slice_,
    "until": until,
    "untilStep": until_step,
    "seq": seq,
    "chunk": chunk,
    "mustChunk": chunk,
    "sortAlpha": sort_alpha,
    "join": join,
    "split": split,
    "splitList": split_list,
    "splitn": splitn,
    "dict": dict_,
    "get": get,
    "set": set_,
    "unset": unset,
    "hasKey": has_key,
    "pluck": pluck,
    "dig": dig,
    "keys": keys,
    "values": values,
    "pick": pick,
    "omit": omit,
    "merge": merge,
    "mustMerge": merge,
    "mergeOverwrite": merge_overwrite,
    "mustMergeOverwrite": merge_overwrite,
    "deepCopy": deep_copy,
    "mustDeepCopy": deep_copy,
    "add": add,
    "add1": add1,
    "sub": sub,
    "mul": mul,
    "div": div,
    "mod": mod,
    "max": max_,
    "biggest": max_,
    "min": min_,
    "floor": floor,
    "ceil": ceil,
    "round": round_,
    "int": to_int,
    "int64": to_int64_fn,
    "float64": to_float64,
    "atoi": atoi,
    "toString": to_string,
    "toStrings": to_strings,
    "default": default,
    "empty": empty,
    "coalesce": coalesce,
    "all": all_,
    "any": any_,
    "ternary": ternary,
    "fail": fail,
    "b64enc": b64enc,
    "b64dec": b64dec,
    "b32enc": b32enc,
    "b32dec": b32dec,
    "toJson": to_json,
    "mustToJson": to_json,
    "toPrettyJson": to_pretty_json,
    "mustToPrettyJson": to_pretty_json,
    "toRawJson": to_raw_json,
    "mustToRawJson": to_raw_json,
    "fromJson": from_json,
    "mustFromJson": must_from_json,
    "toYaml": to_yaml_fn,
    "fromYaml": from_yaml_fn,
    "sha1sum": sha1sum,
    "sha256sum": sha256sum,
    "sha512sum": sha512sum,
    "adler32sum": adler32sum,
    "unixEpoch": unix_epoch,
    "duration": duration,
    "toDate": to_date,
    "mustToDate": must_to_date,
    "kindOf": kind_of,
    "typeOf": type_of,
    "kindIs": kind_is,
    "typeIs": type_is,
    "deepEqual": deep_equal,
    "uuidv4": uuidv4,
    "semver": semver,
    "semverCompare": semver_compare,
    "base": base,
    "dir": dir_,
    "ext": ext,
    "clean": clean,
    "isAbs": is_abs,
    "required": required,
    "abbrevboth": abbrevboth,
    "addf": addf,
    "add1f": add1f,
    "subf": subf,
    "mulf": mulf,
    "divf": divf,
    "maxf": maxf,
    "minf": minf,
    "toDecimal": to_decimal,
    "typeIsLike": type_is_like,
    "shuffle": shuffle,
    "randInt": rand_int,
    "hello": hello,
    "urlParse": url_parse,
    "urlJoin": url_join,
    "randBytes": rand_bytes,
    "osBase": base,
    "osDir": dir_,
    "osExt": ext,
    "osClean": clean,
    "osIsAbs": is_abs,
}


def sprig_indent(spaces: Any, v: Any) -> str:
    """Sprig's own indent N s: every line padded, empty ones too."""
    pad = " " * max(as_int(spaces), 0)
    return pad + as_str(v).replace("\n", "\n" + pad)


def sprig_nindent(spaces: Any, v: Any) -> str:
    """Sprig's own nindent N s."""
    return "\n" + sprig_indent(spaces, v)


def sprig_required(warn: Any, val: Any) -> Any:
    """Sprig's own required msg val: fails on nil and on an empty string."""
    if val is None or val is MISSING or (isinstance(val, str) and val == ""):
        raise GoError(as_str(warn))
    return val


# Sprig's versions of the functions the breakglass set overrides.
SPRIG_OWN: dict[str, Callable[..., Any]] = {
    "indent": sprig_indent,
    "nindent": sprig_nindent,
    "required": sprig_required,
}

# Functions that take the render state as a hidden first argument.
STATEFUL: dict[str, Callable[..., Any]] = {
    "now": now,
    "ago": ago,
    "durationRound": duration_round,
    "date": date,
    "dateInZone": date_in_zone,
    "date_in_zone": date_in_zone,
    "htmlDate": html_date,
    "htmlDateInZone": html_date_in_zone,
    "dateModify": date_modify,
    "date_modify": date_modify,
    "mustDateModify": must_date_modify,
    "must_date_modify": must_date_modify,
}
