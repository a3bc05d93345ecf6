"""Execution semantics of Go text/template that compiled templates call into: values, fields, builtins."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from templating.errors import TemplateRenderError
from templating.gofmt import FormatSpec, format_one, format_value, sort_key, sprint, sprintf, sprintln
from templating.literals import go_quote
from templating.values import MISSING, go_type

# Limits that keep a hostile template from running forever or exhausting the stack.
MAX_RANGE_ITERATIONS = 1_000_000
MAX_TEMPLATE_DEPTH = 100
# Characters one render may produce (Kubernetes objects are limited to about 1.5 MB anyway).
MAX_OUTPUT = 16_000_000


class GoError(Exception):
    """An error returned by a template function; reported as `error calling <fn>: <message>`."""


class ArgTypeError(Exception):
    """An argument Go's reflection would refuse to pass: `wrong type for value; expected X; got Y`."""

    def __init__(self, expected: str, value: Any) -> None:
        super().__init__(f"wrong type for value; expected {expected}; got {go_type(value)}")


@dataclass(frozen=True, slots=True)
class Site:
    """Where a node sits in its template, for error messages worded like Go's ExecError."""

    parse_name: str
    exec_name: str
    line: int
    column: int
    context: str

    def error(self, message: str) -> TemplateRenderError:
        """Build the error Go would report for this node."""
        return TemplateRenderError(
            self.parse_name,
            self.line,
            self.column,
            f"executing {go_quote(self.exec_name)} at <{self.context}>: {message}",
        )


@dataclass(slots=True)
class RenderState:
    """Per-render mutable state: the clock and the budgets (loop iterations, template calls, output)."""

    now: datetime
    name: str = ""
    budget: int = MAX_RANGE_ITERATIONS
    depth: int = 0
    calls: int = 0
    output: int = 0

    def charge_output(self, n: int) -> None:
        """Count n more output characters; a render that would exceed MAX_OUTPUT fails."""
        self.output += n
        if self.output > MAX_OUTPUT:
            raise TemplateRenderError(self.name, 1, 0, f"output exceeds the limit of {MAX_OUTPUT} characters")


def show(v: Any) -> str:
    """How an action prints its value: nil and missing values print <no value>, others as %v."""
    if v is None or v is MISSING:
        return "<no value>"
    if type(v) is str:
        return v
    return format_value(v)


def field_chain(v: Any, names: tuple[str, ...], has_args: bool, site: Site) -> Any:
    """Evaluate .a.b.c on v: map keys only; a missing key yields MISSING (prints <no value>)."""
    last = len(names) - 1
    for i, name in enumerate(names):
        if v is MISSING:
            return MISSING
        if v is None:
            raise site.error(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(v, Mapping):
            if i == last and has_args:
                raise site.error(f"{name} is not a method but has arguments")
            v = v.get(name, MISSING)
            continue
        raise site.error(f"can't evaluate field {name} in type {go_type(v)}")
    return v


def set_var(frame: list[Any], slot: int, value: Any) -> Any:
    """Store a variable in the template's frame and return it (declarations are also expressions)."""
    frame[slot] = value
    return value


def iterate(state: RenderState, value: Any, two: bool, site: Site, text_cost: int = 0) -> Iterator[Any]:
    """The elements {{range}} visits, charged against the iteration budget (and text_cost of output)."""
    if value is None or value is MISSING:
        return
    if isinstance(value, Mapping):
        keys = sorted(value.keys(), key=sort_key)
        pairs: Iterator[tuple[Any, Any]] = ((k, value[k]) for k in keys)
    elif isinstance(value, list | tuple):
        pairs = enumerate(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        if two:
            raise site.error("can't use int to iterate over more than one variable")
        pairs = ((i, i) for i in range(value))
    else:
        raise site.error(f"range can't iterate over {format_value(value)}")
    for pair in pairs:
        state.budget -= 1
        if state.budget < 0:
            raise site.error(f"range iteration budget exceeded ({MAX_RANGE_ITERATIONS} iterations per render)")
        if text_cost:
            state.charge_output(text_cost)
        yield pair if two else pair[1]


# Builtins of text/template (funcs.go), with Go's comparison rules.

_BOOL, _COMPLEX, _INT, _FLOAT, _STRING, _INVALID = range(6)


def _basic_kind(v: Any) -> int:
    if isinstance(v, bool):
        return _BOOL
    if isinstance(v, int):
        return _INT
    if isinstance(v, float):
        return _FLOAT
    if isinstance(v, str):
        return _STRING
    if isinstance(v, complex):
        return _COMPLEX
    return _INVALID


def _is_nil(v: Any) -> bool:
    return v is None or v is MISSING


def go_eq(arg1: Any, *args: Any) -> bool:
    """eq a b c: a == b || a == c, with Go's incompatible-type errors."""
    if not args:
        raise GoError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in args:
        k2 = _basic_kind(arg)
        if k1 != k2:
            if not _is_nil(arg1) and not _is_nil(arg):
                raise GoError(f"incompatible types for comparison: {go_type(arg1)} and {go_type(arg)}")
            truth = False
        elif k1 != _INVALID:
            truth = arg1 == arg
        elif _is_nil(arg1) or _is_nil(arg):
            truth = _is_nil(arg1) and _is_nil(arg)
        else:
            raise GoError(f"non-comparable type {format_one(arg, 's', FormatSpec())}: {go_type(arg)}")
        if truth:
            return True
    return False


def go_ne(arg1: Any, arg2: Any) -> bool:
    """ne a b: the inverse of eq."""
    return not go_eq(arg1, arg2)


def go_lt(arg1: Any, arg2: Any) -> bool:
    """lt a b for basic kinds of the same kind; bools and complex numbers are not ordered."""
    k1 = _basic_kind(arg1)
    if k1 == _INVALID:
        raise GoError("invalid type for comparison")
    k2 = _basic_kind(arg2)
    if k2 == _INVALID:
        raise GoError("invalid type for comparison")
    if k1 != k2:
        raise GoError(f"incompatible types for comparison: {go_type(arg1)} and {go_type(arg2)}")
    if k1 in (_BOOL, _COMPLEX):
        raise GoError("invalid type for comparison")
    if k1 == _STRING:
        return bool(arg1.encode("utf-8", "surrogateescape") < arg2.encode("utf-8", "surrogateescape"))
    return bool(arg1 < arg2)


def go_le(arg1: Any, arg2: Any) -> bool:
    """le a b: lt or eq."""
    return go_lt(arg1, arg2) or go_eq(arg1, arg2)


def go_gt(arg1: Any, arg2: Any) -> bool:
    """gt a b: not le."""
    return not go_le(arg1, arg2)


def go_ge(arg1: Any, arg2: Any) -> bool:
    """ge a b: not lt."""
    return not go_lt(arg1, arg2)


def go_not(arg: Any) -> bool:
    """not x: the negation of Go truthiness."""
    return not arg


def go_len(item: Any) -> int:
    """len x for strings (bytes), lists and maps."""
    if item is MISSING:
        # Go's length() asks a zero reflect.Value for its type, which panics.
        raise GoError("reflect: call of reflect.Value.Type on zero Value")
    if item is None:
        raise GoError("len of nil pointer")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogateescape"))
    if isinstance(item, list | tuple | Mapping):
        return len(item)
    raise GoError(f"len of type {go_type(item)}")


def go_index(item: Any, *indices: Any) -> Any:
    """index x 1 2: x[1][2] over lists, strings (bytes) and maps; a missing map key gives nil."""
    v = item
    for idx in indices:
        if v is None or v is MISSING:
            raise GoError("index of untyped nil")
        if isinstance(v, list | tuple | str):
            if isinstance(idx, bool) or not isinstance(idx, int):
                raise GoError(f"cannot index slice/array with type {go_type(idx)}")
            seq: Any = v.encode("utf-8", "surrogateescape") if isinstance(v, str) else v
            if idx < 0 or idx >= len(seq):
                raise GoError(f"index out of range: {idx}")
            v = seq[idx]
        elif isinstance(v, Mapping):
            if idx is None or idx is MISSING:
                idx = ""
            if not isinstance(idx, str):
                raise GoError(f"value has type {go_type(idx)}; should be string")
            v = v.get(idx)
        else:
            raise GoError(f"can't index item of type {go_type(v)}")
    return v


def go_print(*args: Any) -> str:
    """print: fmt.Sprint."""
    return sprint(args)


def go_println(*args: Any) -> str:
    """println: fmt.Sprintln."""
    return sprintln(args)


def go_printf(fmt: Any, *args: Any) -> str:
    """printf: fmt.Sprintf."""
    if not isinstance(fmt, str):
        raise ArgTypeError("string", fmt)
    return sprintf(fmt, args)


def go_html(*args: Any) -> str:
    """html: HTML-escape the printed arguments like text/template's HTMLEscaper."""
    s = args[0] if len(args) == 1 and isinstance(args[0], str) else sprint(args)
    for a, b in (("\x00", "\ufffd"), ("&", "&amp;"), ("'", "&#39;"), ('"', "&#34;"), ("<", "&lt;"), (">", "&gt;")):
        s = s.replace(a, b)
    return s


def go_js(*args: Any) -> str:
    """js: JavaScript-escape the printed arguments like text/template's JSEscaper."""
    s = args[0] if len(args) == 1 and isinstance(args[0], str) else sprint(args)
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch == '"':
            out.append('\\"')
        elif ch == "<":
            out.append("\\u003C")
        elif ch == ">":
            out.append("\\u003E")
        elif ch == "&":
            out.append("\\u0026")
        elif ch == "=":
            out.append("\\u003D")
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def go_urlquery(*args: Any) -> str:
    """urlquery: url.QueryEscape of the printed arguments."""
    from urllib.parse import quote_plus

    s = args[0] if len(args) == 1 and isinstance(args[0], str) else sprint(args)
    return quote_plus(s, safe="-_.~")


def go_call(*args: Any) -> Any:
    """call: templates hold no function values, so every call fails as in Go with a non-function."""
    if not args or args[0] is None or args[0] is MISSING:
        raise GoError("call of nil")
    raise GoError(f"non-function {format_value(args[0])} of type {go_type(args[0])}")


BUILTINS: dict[str, Callable[..., Any]] = {
    "eq": go_eq,
    "ne": go_ne,
    "lt": go_lt,
    "le": go_le,
    "gt": go_gt,
    "ge": go_ge,
    "not": go_not,
    "len": go_len,
    "index": go_index,
    "print": go_print,
    "printf": go_printf,
    "println": go_println,
    "html": go_html,
    "js": go_js,
    "urlquery": go_urlquery,
    "call": go_call,
}
