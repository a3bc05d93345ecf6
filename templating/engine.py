"""The template engine: Go text/template source compiled onto a sandboxed Jinja2 environment, cached."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from templating.compiler import CompiledTree, compile_tree
from templating.errors import TemplateRenderError, TemplateSyntaxError
from templating.functions import ALL_FUNCTIONS, GO_BUILTINS, SPRIG_FUNCTIONS
from templating.literals import go_quote
from templating.parser import parse
from templating.runtime import (
    MAX_TEMPLATE_DEPTH,
    ArgTypeError,
    GoError,
    RenderState,
    field_chain,
    iterate,
    set_var,
    show,
)
from templating.signatures import value_error
from templating.sprig import MAX_STRING
from templating.values import MISSING

# Total {{template}} invocations one render may make (recursion can branch, so depth alone is no bound).
MAX_TEMPLATE_CALLS = 10_000
CACHE_SIZE = 512


class _Tables:
    """Per-tree side tables the compiled code reaches through the global X."""

    __slots__ = ("owner", "tree")

    def __init__(self, tree: CompiledTree, owner: CompiledTemplate) -> None:
        self.tree = tree
        self.owner = owner


# The helpers are Jinja filters: Jinja calls filters directly, while every ordinary call in sandboxed
# code goes through the sandbox's call checks, which would dominate the render time.


def _call(x: _Tables, i: int, *args: Any) -> Any:
    """X|c(i, args…): call function i, turning its failures into Go-worded render errors."""
    cs = x.tree.calls[i]
    offset = 1 if cs.stateful else 0  # a stateful function gets the render state first
    for index, typ, site in cs.checks:
        problem = value_error(typ, args[index + offset])
        if problem is not None:
            raise site.error(problem)
    if MISSING in args and not cs.keep_missing:
        # A missing value reaches a Go function as nil, except where it takes reflect.Values.
        args = tuple(None if a is MISSING else a for a in args)
    try:
        result = cs.fn(*args)
    except (TemplateRenderError, RecursionError):
        raise
    except ArgTypeError as exc:
        raise cs.site.error(str(exc)) from None
    except GoError as exc:
        raise cs.site.error(f"error calling {cs.name}: {exc}") from None
    except Exception as exc:
        # Go recovers panics in functions and reports them like returned errors.
        raise cs.site.error(f"error calling {cs.name}: {exc}") from None
    if type(result) is str and len(result) > MAX_STRING:
        # Strings doubled in a loop (print $s $s) would otherwise exhaust memory within few iterations.
        raise cs.site.error(f"error calling {cs.name}: result longer than {MAX_STRING} characters")
    return result


def _print(value: Any, state: RenderState) -> str:
    """(v)|p(S): an action's output, counted against the output budget."""
    text = show(value)
    state.charge_output(len(text))
    return text


def _piped_call(final: Any, x: _Tables, i: int, *args: Any) -> Any:
    """(v)|pc(X, i, args…): call function i with the piped value v as its last argument."""
    return _call(x, i, *args, final)


def _field(receiver: Any, x: _Tables, i: int) -> Any:
    """(v)|fld(X, i): the field chain i evaluated on v."""
    fs = x.tree.fields[i]
    return field_chain(receiver, fs.names, fs.has_args, fs.site)


def _raise(x: _Tables, i: int) -> Any:
    """X|e(i): an error known at compile time, raised when (and only if) the action runs."""
    site, message = x.tree.errors[i]
    raise site.error(message)


def _constant(x: _Tables, i: int) -> Any:
    """X|k(i): constant i."""
    return x.tree.constants[i]


def _range(value: Any, state: RenderState, x: _Tables, i: int, two: bool) -> Any:
    """(v)|r(S, X, i, two): what {{range}} visits."""
    return iterate(state, value, two, x.tree.sites[i], x.tree.range_costs[i])


def _set(value: Any, frame: list[Any], slot: int) -> Any:
    """(v)|v(f, slot): declare or assign a variable; the value is also the expression's result."""
    return set_var(frame, slot, value)


def _template(dot: Any, state: RenderState, x: _Tables, i: int) -> str:
    """(dot)|t(S, X, i): execute a named template."""
    return x.owner.call_template(state, x.tree, i, dot)


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=False,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        undefined=jinja2.StrictUndefined,
        cache_size=0,
    )
    # Nothing of Jinja's own library is reachable: only the helpers the compiler emits.
    env.globals.clear()
    env.tests.clear()
    env.filters.clear()
    env.filters.update(
        {
            "p": _print,
            "c": _call,
            "pc": _piped_call,
            "fld": _field,
            "e": _raise,
            "k": _constant,
            "r": _range,
            "v": _set,
            "t": _template,
        }
    )
    return env


class CompiledTemplate:
    """A parsed and compiled template set (the main template and its defines), ready to render."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._trees: dict[str, tuple[CompiledTree, jinja2.Template]] = {}

    def render(self, data: Any, *, now: datetime | None = None) -> str:
        """Execute on data (plain dicts, lists, str, numbers, bool, None); now defaults to data["now"]."""
        state = RenderState(now=now or _context_time(data) or datetime.now(tz=UTC), name=self.name)
        return self._run(self.name, state, data)

    def _run(self, tree_name: str, state: RenderState, dot: Any) -> str:
        tree, jt = self._trees[tree_name]
        frame: list[Any] = [MISSING] * tree.nslots
        frame[0] = dot
        try:
            return jt.render(S=state, f=frame, d0=dot)
        except RecursionError:
            raise TemplateRenderError(self.name, 1, 0, "template nesting too deep") from None

    def call_template(self, state: RenderState, tree: CompiledTree, i: int, dot: Any) -> str:
        """Run {{template}} call i of tree with the given dot, within the depth and call budgets."""
        site, name = tree.templates[i]
        if name not in self._trees:
            raise site.error(f"template {go_quote(name)} not defined")
        if state.depth >= MAX_TEMPLATE_DEPTH:
            raise site.error(f"exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})")
        state.calls += 1
        if state.calls > MAX_TEMPLATE_CALLS:
            raise site.error(f"template call budget exceeded ({MAX_TEMPLATE_CALLS} calls per render)")
        state.depth += 1
        try:
            return self._run(name, state, dot)
        finally:
            state.depth -= 1


def _context_time(data: Any) -> datetime | None:
    """The render time a context carries (its RFC 3339 "now"), so Sprig's now is a function of the data."""
    text = data.get("now") if isinstance(data, Mapping) else None
    if not isinstance(text, str):
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class Engine:
    """Compiles Go templates (cached by name and text, thread-safe) and renders them."""

    def __init__(self, *, sprig_only: bool = False, cache_size: int = CACHE_SIZE) -> None:
        self._env = _environment()
        # sprig_only: the legacy auxiliary `template` field (Sprig without the breakglass functions).
        self._sprig_only = sprig_only
        self._funcs = SPRIG_FUNCTIONS | GO_BUILTINS if sprig_only else ALL_FUNCTIONS
        self._cache: OrderedDict[tuple[str, str], CompiledTemplate] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def compile(self, name: str, text: str) -> CompiledTemplate:
        """Parse and compile text (TemplateSyntaxError if Go would reject it); cached."""
        key = (name, text)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        compiled = self._compile(name, text)
        with self._lock:
            self._cache[key] = compiled
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return compiled

    def _compile(self, name: str, text: str) -> CompiledTemplate:
        tmpl = parse(name, text, self._funcs)
        compiled = CompiledTemplate(name)
        roots = {name: tmpl.root, **tmpl.defines}
        for tree_name, root in roots.items():
            tree = compile_tree(name, tree_name, root, text, sprig_only=self._sprig_only)
            try:
                jt = self._env.from_string(tree.source, globals={"X": _Tables(tree, compiled), "MISSING": MISSING})
            except (RecursionError, SyntaxError, MemoryError, jinja2.TemplateSyntaxError):
                # Python's compiler limits nesting (about 20 loops); Go accepts deeper templates.
                raise TemplateSyntaxError(name, 1, 1, "template nested too deeply to compile") from None
            compiled._trees[tree_name] = (tree, jt)
        return compiled

    def render(self, name: str, text: str, data: Mapping[str, Any], *, now: datetime | None = None) -> str:
        """Compile (cached) and render."""
        return self.compile(name, text).render(data, now=now)


_DEFAULT = Engine()


def render(name: str, text: str, data: Mapping[str, Any], *, now: datetime | None = None) -> str:
    """Render Go template text named name on data with the shared engine; now is Sprig's `now`."""
    return _DEFAULT.render(name, text, data, now=now)
