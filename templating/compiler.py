"""Translation of a parsed Go template tree into Jinja2 source that calls the Go runtime.

Everything user-controlled (text, strings, field names) reaches the Jinja source only as escaped literals
or as indexes into side tables, so a template can never inject Jinja syntax. Control flow maps onto
Jinja's (if/elif/else, for/else, break/continue); values, fields and calls go through runtime helpers.
Go variables live in a per-invocation frame list: every declaration gets its own slot, resolved here at
compile time, so assignments inside if/range bodies update the outer variable as Go requires, whatever
Jinja's own scoping rules are.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from templating.breakglass import BREAKGLASS
from templating.nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    Operand,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
    to_source,
)
from templating.runtime import BUILTINS, Site
from templating.signatures import convert_literal, literal_error, parameter_types
from templating.sprig import SPRIG, SPRIG_OWN, STATEFUL

# Sprig functions that would reach outside the render (environment, DNS) are hermetic here, like
# Sprig's HermeticTxtFuncMap: env and expandenv see an empty environment.
_HERMETIC: dict[str, Callable[..., Any]] = {
    "env": lambda name: "",
    "expandenv": lambda s: s,
}

# Function lookup order as in the reference: breakglass overrides Sprig, Sprig overrides Go builtins.
FUNCTIONS: dict[str, Callable[..., Any]] = {**BUILTINS, **SPRIG, **_HERMETIC, **BREAKGLASS}
# Sprig alone, as the original renders the legacy auxiliary `template` field
# (docs/behaviour/rendering.md#template-engine): Sprig's own indent,
# nindent and required, and no breakglass additions.
SPRIG_ONLY_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **{k: v for k, v in {**BUILTINS, **SPRIG, **_HERMETIC}.items() if k not in BREAKGLASS},
    **SPRIG_OWN,
}


def _arity(fn: Callable[..., Any], stateful: bool) -> tuple[int, int | None]:
    """(minimum, maximum or None when variadic) number of template arguments of fn."""
    params = list(inspect.signature(fn).parameters.values())
    if stateful:
        params = params[1:]
    required = sum(1 for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty)
    variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
    positional = sum(1 for p in params if p.kind is p.POSITIONAL_OR_KEYWORD)
    return required, None if variadic else positional


_ARITY: dict[str, tuple[int, int | None]] = {
    **{name: _arity(fn, False) for name, fn in FUNCTIONS.items()},
    **{"sprig:" + name: _arity(fn, False) for name, fn in SPRIG_ONLY_FUNCTIONS.items()},
    **{name: _arity(fn, True) for name, fn in STATEFUL.items()},
    "and": (1, None),
    "or": (1, None),
}


# Builtins whose Go parameters are reflect.Values: they see a missing value as such, not as nil.
_REFLECT_VALUE_ARGS = frozenset({"len"})


@dataclass(frozen=True, slots=True)
class CallSite:
    """One function call in a template."""

    fn: Callable[..., Any]
    name: str
    site: Site
    stateful: bool
    keep_missing: bool
    checks: tuple[tuple[int, str, Site], ...] = ()


@dataclass(frozen=True, slots=True)
class FieldSite:
    """One field chain (.a.b) in a template."""

    names: tuple[str, ...]
    has_args: bool
    site: Site


@dataclass
class CompiledTree:
    """A template tree as Jinja source plus the side tables its helpers index into."""

    name: str
    source: str
    calls: list[CallSite] = field(default_factory=list)
    fields: list[FieldSite] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    errors: list[tuple[Site, str]] = field(default_factory=list)
    constants: list[Any] = field(default_factory=list)
    templates: list[tuple[Site, str]] = field(default_factory=list)
    range_costs: list[int] = field(default_factory=list)
    nslots: int = 1


_TEMPLATE_KEYWORD = re.compile(r"\{\{-?\s*(?:template|block)\s+")

_SAFE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:/-")


def _text_length(lst: ListNode) -> int:
    """Characters of literal text directly in a list and its if/with branches (not nested ranges)."""
    total = 0
    stack: list[Node] = list(lst.nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, TextNode):
            total += len(n.text)
        elif isinstance(n, IfNode | WithNode):
            stack.extend(n.list.nodes)
            if n.else_list is not None:
                stack.extend(n.else_list.nodes)
    return total


def _literal(node: Node) -> tuple[str, Any] | None:
    """(kind, value) of a constant operand, or None for anything computed at run time."""
    match node:
        case NumberNode(kind=kind, value=value):
            return kind, value
        case StringNode(text=text):
            return "string", text
        case BoolNode(value=value):
            return "bool", value
        case NilNode():
            return "nil", None
    return None


def jinja_string(s: str) -> str:
    """A Jinja string literal for s using only safe ASCII (Jinja decodes it with unicode-escape)."""
    out = ['"']
    for ch in s:
        if ch in _SAFE_CHARS:
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


class _Compiler:
    """Walks one tree, emitting Jinja source into out and filling the tree's side tables."""

    def __init__(self, parse_name: str, tree_name: str, text: str, functions: dict[str, Callable[..., Any]]) -> None:
        self.functions = functions
        self.parse_name = parse_name
        self.tree = CompiledTree(name=tree_name, source="")
        self.lines = text.split("\n")
        self.out: list[str] = []
        self.scope: list[tuple[str, int]] = [("$", 0)]
        self.counter = 0

    # Positions and side tables.
    def site(self, node: Node) -> Site:
        line, col = node.line, node.column
        if isinstance(node, IfNode | RangeNode | WithNode):
            # Go positions a control node at its pipeline.
            line, col = node.pipe.line, node.pipe.column
        line_text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if isinstance(node, TemplateNode):
            # ... and a template call at its name.
            m = _TEMPLATE_KEYWORD.match(line_text, col - 1)
            if m:
                col = m.end() + 1
        # Go reports the column as a 0-based byte offset within the line.
        column = len(line_text[: col - 1].encode("utf-8", "surrogateescape"))
        # Modern Go prints the whole node (older releases cut it at 20 bytes).
        context = to_source(node)
        return Site(self.parse_name, self.tree.name, line, column, context)

    def error_expr(self, node: Node, message: str) -> str:
        self.tree.errors.append((self.site(node), message))
        return f"X|e({len(self.tree.errors) - 1})"

    def constant(self, value: Any) -> str:
        self.tree.constants.append(value)
        return f"X|k({len(self.tree.constants) - 1})"

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def declare(self, name: str) -> int:
        slot = self.tree.nslots
        self.tree.nslots += 1
        self.scope.append((name, slot))
        return slot

    def lookup(self, name: str) -> int:
        for n, slot in reversed(self.scope):
            if n == name:
                return slot
        raise AssertionError(f"undeclared variable {name}")  # the parser rejects these

    # Statements.
    def emit_list(self, lst: ListNode | None, dot: str) -> None:
        if lst is None:
            return
        for n in lst.nodes:
            self.emit(n, dot)

    def emit(self, node: Node, dot: str) -> None:
        match node:
            case TextNode(text=text):
                self.emit_text(text)
            case CommentNode():
                pass
            case ActionNode(pipe=pipe):
                expr = self.pipe_expr(pipe, dot)
                if pipe.decl:
                    self.out.append("{% do " + expr + " %}")
                else:
                    self.out.append("{{ (" + expr + ")|p(S) }}")
            case IfNode():
                self.emit_if(node, dot)
            case WithNode():
                self.emit_with(node, dot)
            case RangeNode():
                self.emit_range(node, dot)
            case TemplateNode(name=name, pipe=pipe):
                self.tree.templates.append((self.site(node), name))
                arg = "MISSING" if pipe is None else self.pipe_expr(pipe, dot)
                self.out.append("{{ (" + arg + ")|t(S, X, " + str(len(self.tree.templates) - 1) + ") }}")
            case BreakNode():
                self.out.append("{% break %}")
            case ContinueNode():
                self.out.append("{% continue %}")
            case ListNode():
                self.emit_list(node, dot)
            case _:
                raise TypeError(f"unexpected node {type(node).__name__}")

    def emit_text(self, text: str) -> None:
        if not text:
            return
        # Raw blocks keep the text as a constant in the compiled code; text Jinja would alter (an
        # "endraw" inside, carriage returns it would normalise) goes through the constant table.
        if "endraw" in text or "\r" in text:
            self.out.append("{{ " + self.constant(text) + " }}")
        else:
            self.out.append("{% raw %}" + text + "{% endraw %}")

    def emit_if(self, node: IfNode, dot: str) -> None:
        mark = len(self.scope)
        self.out.append("{% if " + self.pipe_expr(node.pipe, dot) + " %}")
        self.emit_list(node.list, dot)
        else_list = node.else_list
        # An else-if chain becomes elif, which keeps the generated Python flat.
        while else_list is not None and len(else_list.nodes) == 1 and isinstance(else_list.nodes[0], IfNode):
            nested = else_list.nodes[0]
            self.out.append("{% elif " + self.pipe_expr(nested.pipe, dot) + " %}")
            self.emit_list(nested.list, dot)
            else_list = nested.else_list
        if else_list is not None:
            self.out.append("{% else %}")
            self.emit_list(else_list, dot)
        self.out.append("{% endif %}")
        del self.scope[mark:]

    def emit_with(self, node: WithNode, dot: str) -> None:
        mark = len(self.scope)
        var = self.fresh("w")
        self.out.append("{% set " + var + " = " + self.pipe_expr(node.pipe, dot) + " %}")
        self.out.append("{% if " + var + " %}")
        self.emit_list(node.list, var)
        if node.else_list is not None:
            self.out.append("{% else %}")
            self.emit_list(node.else_list, dot)
        self.out.append("{% endif %}")
        del self.scope[mark:]

    def emit_range(self, node: RangeNode, dot: str) -> None:
        mark = len(self.scope)
        pipe = node.pipe
        value = self.pipe_expr(
            PipeNode(decl=(), is_assign=False, cmds=pipe.cmds, line=pipe.line, column=pipe.column), dot
        )
        self.tree.sites.append(self.site(node))
        # Each iteration charges the literal text of the body against the output budget.
        self.tree.range_costs.append(_text_length(node.list))
        site = len(self.tree.sites) - 1
        elem = self.fresh("d")
        two = len(pipe.decl) == 2
        if two:
            key = self.fresh("k")
            self.out.append(f"{{% for {key}, {elem} in ({value})|r(S, X, {site}, true) %}}")
            k_slot = self.declare(pipe.decl[0].name)
            v_slot = self.declare(pipe.decl[1].name)
            self.out.append(f"{{% do {key}|v(f, {k_slot}) %}}{{% do {elem}|v(f, {v_slot}) %}}")
        else:
            self.out.append(f"{{% for {elem} in ({value})|r(S, X, {site}, false) %}}")
            if pipe.decl:
                slot = self.declare(pipe.decl[0].name)
                self.out.append(f"{{% do {elem}|v(f, {slot}) %}}")
        body_mark = len(self.scope)
        self.emit_list(node.list, elem)
        del self.scope[body_mark:]
        if node.else_list is not None:
            self.out.append("{% else %}")
            self.emit_list(node.else_list, dot)
        self.out.append("{% endfor %}")
        del self.scope[mark:]

    # Expressions.
    def pipe_expr(self, pipe: PipeNode, dot: str) -> str:
        expr: str | None = None
        for cmd in pipe.cmds:
            expr = self.cmd_expr(cmd, dot, expr)
        assert expr is not None  # the parser rejects empty pipelines
        if not pipe.decl:
            return expr
        var = pipe.decl[0]
        slot = self.lookup(var.name) if pipe.is_assign else self.declare(var.name)
        return f"({expr})|v(f, {slot})"

    def cmd_expr(self, cmd: CommandNode, dot: str, final: str | None) -> str:
        first, rest = cmd.args[0], cmd.args[1:]
        has_args = bool(rest) or final is not None
        match first:
            case IdentifierNode(name=name):
                args = [self.arg_expr(a, dot) for a in rest]
                if final is not None:
                    args.append(final)
                return self.call_expr(name, cmd, args, rest, final is not None)
            case FieldNode(ident=ident):
                return self.field_expr(first, ident, dot, has_args)
            case VariableNode(ident=ident):
                base = f"f[{self.lookup(ident[0])}]"
                if len(ident) == 1:
                    return base
                return self.field_expr(first, ident[1:], base, has_args)
            case ChainNode(node=inner, fields=fields):
                if isinstance(inner, NilNode):
                    return self.error_expr(first, f"indirection through explicit nil in {to_source(first)}")
                return self.field_expr(first, fields, self.arg_expr(inner, dot), has_args)
        return self.arg_expr(first, dot)

    def field_expr(self, node: Node, names: tuple[str, ...], receiver: str, has_args: bool) -> str:
        self.tree.fields.append(FieldSite(names, has_args, self.site(node)))
        return f"({receiver})|fld(X, {len(self.tree.fields) - 1})"

    def call_expr(
        self, name: str, cmd: CommandNode, args: list[str], nodes: Sequence[Operand] = (), piped: bool = False
    ) -> str:
        stateful = name in STATEFUL
        fn = STATEFUL[name] if stateful else self.functions.get(name)
        if fn is None and name not in ("and", "or"):
            return self.error_expr(cmd, f"error calling {name}: function {name} is not supported by this engine")
        low, high = _ARITY[name if self.functions is FUNCTIONS or stateful else "sprig:" + name]
        if len(args) < low or (high is not None and len(args) > high):
            want = f"at least {low}" if high is None else str(high)
            return self.error_expr(cmd, f"wrong number of args for {name}: want {want} got {len(args)}")
        if name in ("and", "or"):
            # Short-circuit and return the deciding value; Python's truthiness equals Go's for template data.
            return "(" + f" {name} ".join(args) + ")"
        assert fn is not None
        checks: list[tuple[int, str, Site]] = []
        types = parameter_types(name, len(args))
        if types is not None:
            for i, typ in enumerate(types):
                if typ == "any":
                    continue
                if i < len(nodes):
                    node = nodes[i]
                    literal = _literal(node)
                    if literal is None:
                        checks.append((i, typ, self.site(node)))
                        continue
                    kind, value = literal
                    problem = literal_error(typ, kind, value, to_source(node))
                    if problem is not None:
                        return self.error_expr(node, problem)
                    if typ in ("int", "int64", "float64"):
                        args[i] = self.constant(convert_literal(typ, value))
                else:
                    # Go checks the piped value where it last stood: the last argument, else the name.
                    where: Node = nodes[-1] if nodes else cmd.args[0]
                    checks.append((i, typ, self.site(where)))
        self.tree.calls.append(CallSite(fn, name, self.site(cmd), stateful, name in _REFLECT_VALUE_ARGS, tuple(checks)))
        index = len(self.tree.calls) - 1
        state = ", S" if stateful else ""
        if piped:
            # The piped value is the filter's input so that, as in Go, the earlier pipeline stage runs
            # before this command's own arguments are evaluated.
            *explicit, final = args
            return f"({final})|pc(X, {index}{state}" + "".join(", " + a for a in explicit) + ")"
        return f"X|c({index}{state}" + "".join(", " + a for a in args) + ")"

    def arg_expr(self, node: Operand, dot: str) -> str:
        match node:
            case DotNode():
                return dot
            case NilNode():
                return "none"
            case BoolNode(value=value):
                return "true" if value else "false"
            case StringNode(text=text):
                return jinja_string(text)
            case NumberNode(value=value):
                if isinstance(value, int) and not isinstance(value, bool):
                    return str(value) if value >= 0 else f"({value})"
                return self.constant(value)
            case IdentifierNode(name=name):
                return self.call_expr(name, CommandNode(args=(node,), line=node.line, column=node.column), [])
            case PipeNode():
                return "(" + self.pipe_expr(node, dot) + ")"
            case FieldNode() | VariableNode() | ChainNode():
                return self.cmd_expr(CommandNode(args=(node,), line=node.line, column=node.column), dot, None)
        raise TypeError(f"unexpected operand {type(node).__name__}")


def compile_tree(
    parse_name: str, tree_name: str, root: ListNode, text: str, *, sprig_only: bool = False
) -> CompiledTree:
    """Compile one tree (the main template or a define) to Jinja source and side tables."""
    c = _Compiler(parse_name, tree_name, text, SPRIG_ONLY_FUNCTIONS if sprig_only else FUNCTIONS)
    c.emit_list(root, "d0")
    c.tree.source = "".join(c.out)
    return c.tree
