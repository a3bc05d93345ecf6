"""Typed, immutable parse tree of a Go text/template, shaped like Go's text/template/parse nodes.

Every node carries the 1-based line and column where it starts in the template source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from templating.literals import NumberKind, go_quote


@dataclass(frozen=True, kw_only=True)
class Node:
    """Base of every parse-tree node."""

    line: int
    column: int


@dataclass(frozen=True, kw_only=True)
class TextNode(Node):
    """Literal text between actions, already trimmed by any adjacent trim markers."""

    text: str


@dataclass(frozen=True, kw_only=True)
class CommentNode(Node):
    """A {{/* ... */}} comment; text includes the /* */ markers, as in Go."""

    text: str


@dataclass(frozen=True, kw_only=True)
class IdentifierNode(Node):
    """A function name (always one of the known functions)."""

    name: str


@dataclass(frozen=True, kw_only=True)
class FieldNode(Node):
    """A field chain on dot: .a.b is ident ("a", "b")."""

    ident: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class VariableNode(Node):
    """A variable with optional field chain: $x.a is ident ("$x", "a"); "$" alone is the root."""

    ident: tuple[str, ...]

    @property
    def name(self) -> str:
        """The variable name including the dollar sign."""
        return self.ident[0]


@dataclass(frozen=True, kw_only=True)
class DotNode(Node):
    """The cursor '.'."""


@dataclass(frozen=True, kw_only=True)
class NilNode(Node):
    """The untyped constant nil."""


@dataclass(frozen=True, kw_only=True)
class BoolNode(Node):
    """true or false."""

    value: bool


@dataclass(frozen=True, kw_only=True)
class NumberNode(Node):
    """A numeric or character constant; kind tells how Go treats it when printed or compared."""

    text: str
    kind: NumberKind
    value: int | float | complex


@dataclass(frozen=True, kw_only=True)
class StringNode(Node):
    """A string constant: quoted is the source form, text the unquoted value."""

    quoted: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ChainNode(Node):
    """Field access on a non-field term, e.g. (pipeline).Field or fn.Field."""

    node: Operand
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CommandNode(Node):
    """One stage of a pipeline: its first argument is the function, field or value to evaluate."""

    args: tuple[Operand, ...]


@dataclass(frozen=True, kw_only=True)
class PipeNode(Node):
    """A pipeline with optional declarations ($x := ...) or assignments ($x = ...).

    When used as an operand it stands for a parenthesised pipeline.
    """

    decl: tuple[VariableNode, ...]
    is_assign: bool
    cmds: tuple[CommandNode, ...]


@dataclass(frozen=True, kw_only=True)
class ListNode(Node):
    """A sequence of nodes."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True, kw_only=True)
class ActionNode(Node):
    """A non-control action such as {{ .a | quote }} or {{ $x := 1 }}."""

    pipe: PipeNode


@dataclass(frozen=True, kw_only=True)
class BranchNode(Node):
    """Common shape of if, range and with; else_list is None when there is no else branch."""

    pipe: PipeNode
    list: ListNode
    else_list: ListNode | None


@dataclass(frozen=True, kw_only=True)
class IfNode(BranchNode):
    """{{if}}; an {{else if}} is an IfNode alone in the else_list, as in Go."""


@dataclass(frozen=True, kw_only=True)
class RangeNode(BranchNode):
    """{{range}}; pipe.decl holds up to two variables ($i, $v)."""


@dataclass(frozen=True, kw_only=True)
class WithNode(BranchNode):
    """{{with}}; an {{else with}} is a WithNode alone in the else_list, as in Go."""


@dataclass(frozen=True, kw_only=True)
class TemplateNode(Node):
    """{{template "name" pipeline}}, also produced by {{block}}; pipe is None when absent."""

    name: str
    pipe: PipeNode | None


@dataclass(frozen=True, kw_only=True)
class BreakNode(Node):
    """{{break}} inside a range."""


@dataclass(frozen=True, kw_only=True)
class ContinueNode(Node):
    """{{continue}} inside a range."""


Operand = (
    IdentifierNode
    | FieldNode
    | VariableNode
    | DotNode
    | NilNode
    | BoolNode
    | NumberNode
    | StringNode
    | ChainNode
    | PipeNode
)


@dataclass(frozen=True)
class Template:
    """A parsed template: the main tree and the trees named by define/block (read-only mapping)."""

    name: str
    root: ListNode
    defines: Mapping[str, ListNode] = field(default_factory=dict)


def to_source(node: Node) -> str:
    """Render a node back to template syntax the way Go's Node.String does (used in messages)."""
    match node:
        case TextNode(text=text):
            return text
        case CommentNode(text=text):
            return "{{" + text + "}}"
        case IdentifierNode(name=name):
            return name
        case FieldNode(ident=ident):
            return "".join("." + i for i in ident)
        case VariableNode(ident=ident):
            return ".".join(ident)
        case DotNode():
            return "."
        case NilNode():
            return "nil"
        case BoolNode(value=value):
            return "true" if value else "false"
        case NumberNode(text=text):
            return text
        case StringNode(quoted=quoted):
            return quoted
        case ChainNode(node=inner, fields=fields):
            head = f"({to_source(inner)})" if isinstance(inner, PipeNode) else to_source(inner)
            return head + "".join("." + f for f in fields)
        case CommandNode(args=args):
            return " ".join(f"({to_source(a)})" if isinstance(a, PipeNode) else to_source(a) for a in args)
        case PipeNode(decl=decl, is_assign=is_assign, cmds=cmds):
            head = ", ".join(to_source(v) for v in decl) + (" = " if is_assign else " := ") if decl else ""
            return head + " | ".join(to_source(c) for c in cmds)
        case ListNode(nodes=nodes):
            return "".join(to_source(n) for n in nodes)
        case ActionNode(pipe=pipe):
            return "{{" + to_source(pipe) + "}}"
        case BranchNode(pipe=pipe, list=body, else_list=else_list):
            word = {IfNode: "if", RangeNode: "range", WithNode: "with"}[type(node)]
            out = "{{" + word + " " + to_source(pipe) + "}}" + to_source(body)
            if else_list is not None:
                out += "{{else}}" + to_source(else_list)
            return out + "{{end}}"
        case TemplateNode(name=name, pipe=pipe):
            return "{{template " + go_quote(name) + ("" if pipe is None else " " + to_source(pipe)) + "}}"
        case BreakNode():
            return "{{break}}"
        case ContinueNode():
            return "{{continue}}"
    raise TypeError(f"unknown node {type(node).__name__}")
