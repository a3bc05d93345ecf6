"""Recursive-descent parser for Go text/template, mirroring the grammar and messages of Go's parse.go."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType

from templating.errors import TemplateSyntaxError
from templating.lexer import KEYWORDS, Positions, T, Token, lex
from templating.literals import go_quote, parse_number, unquote, unquote_char_constant
from templating.nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
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
    Template,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
    to_source,
)

# Functions every Go template has, whatever FuncMap is installed.
GO_BUILTINS: frozenset[str] = frozenset(
    [
        "and",
        "or",
        "not",
        "len",
        "index",
        "slice",
        "print",
        "printf",
        "println",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "html",
        "js",
        "urlquery",
        "call",
    ]
)

# Go allows 10000 nested parentheses; a Python recursive descent needs far fewer to stay clear of the
# interpreter's recursion limit, and no real manifest comes close to either number.
MAX_PAREN_DEPTH = 64
# Go has no limit on nested control structures; this one exists for the same recursion reason.
MAX_NESTING_DEPTH = 64

_OPERAND_START = frozenset(
    {
        T.BOOL,
        T.CHAR_CONSTANT,
        T.COMPLEX,
        T.DOT,
        T.FIELD,
        T.IDENTIFIER,
        T.NUMBER,
        T.NIL,
        T.RAW_STRING,
        T.STRING,
        T.VARIABLE,
        T.LEFT_PAREN,
    }
)


class _ParseError(Exception):
    """Internal: carries the offending offset until the public error is built."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass(frozen=True)
class _End:
    """An {{end}} action; never part of a tree."""

    offset: int

    def __str__(self) -> str:
        return "{{end}}"


@dataclass(frozen=True)
class _Else:
    """An {{else}} action; never part of a tree."""

    offset: int

    def __str__(self) -> str:
        return "{{else}}"


@dataclass
class _Scope:
    """Per-tree parse state: a define/block body starts afresh with only $ and outside any range."""

    vars: list[str] = field(default_factory=lambda: ["$"])
    range_depth: int = 0


class _Parser:
    def __init__(self, name: str, text: str, funcs: Collection[str]) -> None:
        self.name = name
        self.funcs = GO_BUILTINS | frozenset(funcs)
        self.positions = Positions(text)
        self.tokens = lex(text, self.funcs)
        self.index = 0
        self.scope = _Scope()
        self.action_line = 0
        self.paren_depth = 0
        self.nesting = 0
        self.tree_set: dict[str, ListNode] = {}
        # Errors Go only reports when the action executes, collected so that real syntax errors, which
        # Go reports first, win; the earliest one is raised after a clean parse.
        self.deferred: list[tuple[int, str]] = []

    # Token stream. Past the end the stream keeps answering EOF.
    def next(self) -> Token:
        if self.index < len(self.tokens):
            tok = self.tokens[self.index]
            self.index += 1
            return tok
        self.index += 1
        return self.tokens[-1] if self.tokens[-1].type is T.EOF else Token(T.EOF, "", self.tokens[-1].offset)

    def backup(self, to: int | None = None) -> None:
        self.index = self.index - 1 if to is None else to

    def peek(self) -> Token:
        tok = self.next()
        self.backup()
        return tok

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.type is T.SPACE:
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        tok = self.next_non_space()
        self.backup()
        return tok

    # Errors.
    def line_col(self, offset: int) -> tuple[int, int]:
        return self.positions.line_col(offset)

    def error(self, offset: int, message: str) -> _ParseError:
        return _ParseError(offset, message)

    def unexpected(self, tok: Token, context: str) -> _ParseError:
        if tok.type is T.ERROR:
            extra = ""
            line = self.line_col(tok.offset)[0]
            if self.action_line and self.action_line != line:
                extra = f" in action started at {self.name}:{self.action_line}"
                if tok.value.endswith(" action"):
                    extra = extra[len(" in action") :]
            return self.error(tok.offset, tok.value + extra)
        return self.error(tok.offset, f"unexpected {tok.describe()} in {context}")

    def expect(self, types: Collection[T], context: str) -> Token:
        tok = self.next_non_space()
        if tok.type not in types:
            raise self.unexpected(tok, context)
        return tok

    def node_pos(self, offset: int) -> dict[str, int]:
        line, column = self.line_col(offset)
        return {"line": line, "column": column}

    # Top level.
    def parse(self) -> Template:
        first = self.peek()
        nodes: list[Node] = []
        while self.peek().type is not T.EOF:
            if self.peek().type is T.LEFT_DELIM:
                mark = self.index
                delim = self.next()
                if self.next_non_space().type is T.DEFINE:
                    self.action_line = self.line_col(delim.offset)[0]
                    self.parse_definition()
                    self.action_line = 0
                    continue
                self.backup(mark)
            n = self.text_or_action()
            if isinstance(n, _End | _Else):
                raise self.error(n.offset, f"unexpected {n}")
            nodes.append(n)
        root = ListNode(nodes=tuple(nodes), **self.node_pos(first.offset))
        self.add(self.name, root, first.offset)
        self.post_checks()
        return Template(
            name=self.name,
            root=self.tree_set[self.name],
            defines=MappingProxyType({k: v for k, v in self.tree_set.items() if k != self.name}),
        )

    def add(self, name: str, tree: ListNode, offset: int) -> None:
        # Go's rule: a definition may replace one that is empty (only space and comments), and an empty
        # definition never replaces anything.
        existing = self.tree_set.get(name)
        if existing is None or _is_empty(existing):
            self.tree_set[name] = tree
        elif not _is_empty(tree):
            raise self.error(offset, f"template: multiple definition of template {go_quote(name)}")

    def parse_definition(self) -> None:
        context = "define clause"
        name_tok = self.expect((T.STRING, T.RAW_STRING), context)
        name = self.unquote_token(name_tok)
        self.expect((T.RIGHT_DELIM,), context)
        saved, self.scope = self.scope, _Scope()
        try:
            body, end = self.item_list()
        finally:
            self.scope = saved
        if not isinstance(end, _End):
            raise self.error(end.offset, f"unexpected {end} in {context}")
        self.add(name, body, name_tok.offset)

    def item_list(self) -> tuple[ListNode, _End | _Else]:
        first = self.peek_non_space()
        nodes: list[Node] = []
        while self.peek_non_space().type is not T.EOF:
            n = self.text_or_action()
            if isinstance(n, _End | _Else):
                return ListNode(nodes=tuple(nodes), **self.node_pos(first.offset)), n
            nodes.append(n)
        raise self.error(self.peek().offset, "unexpected EOF")

    def text_or_action(self) -> Node | _End | _Else:
        tok = self.next_non_space()
        if tok.type is T.TEXT:
            return TextNode(text=tok.value, **self.node_pos(tok.offset))
        if tok.type is T.COMMENT:
            return CommentNode(text=tok.value, **self.node_pos(tok.offset))
        if tok.type is T.LEFT_DELIM:
            self.action_line = self.line_col(tok.offset)[0]
            try:
                return self.action(tok)
            finally:
                self.action_line = 0
        raise self.unexpected(tok, "input")

    # Actions.
    def action(self, delim: Token) -> Node | _End | _Else:
        tok = self.next_non_space()
        match tok.type:
            case T.BLOCK:
                return self.block_control(delim)
            case T.BREAK | T.CONTINUE:
                return self.loop_control(delim, tok)
            case T.ELSE:
                return self.else_control(delim)
            case T.END:
                self.expect((T.RIGHT_DELIM,), "end")
                return _End(delim.offset)
            case T.IF | T.RANGE | T.WITH:
                return self.branch_control(delim, tok)
            case T.TEMPLATE:
                return self.template_control(delim)
        self.backup()
        return ActionNode(pipe=self.pipeline("command", T.RIGHT_DELIM), **self.node_pos(delim.offset))

    def loop_control(self, delim: Token, keyword: Token) -> Node:
        word = "{{" + keyword.value + "}}"
        tok = self.next_non_space()
        if tok.type is not T.RIGHT_DELIM:
            raise self.unexpected(tok, word)
        if self.scope.range_depth == 0:
            raise self.error(keyword.offset, f"{word} outside {{{{range}}}}")
        cls = BreakNode if keyword.type is T.BREAK else ContinueNode
        return cls(**self.node_pos(delim.offset))

    def else_control(self, delim: Token) -> _Else:
        # "{{else if ...}}" and "{{else with ...}}" leave the keyword pending for branch_control.
        if self.peek_non_space().type in (T.IF, T.WITH):
            return _Else(delim.offset)
        self.expect((T.RIGHT_DELIM,), "else")
        return _Else(delim.offset)

    def branch_control(self, delim: Token, keyword: Token) -> Node:
        context = keyword.value
        if self.nesting >= MAX_NESTING_DEPTH:
            raise self.error(delim.offset, "max nesting depth exceeded")
        self.nesting += 1
        mark = len(self.scope.vars)
        # An else-if / else-with chain is gathered iteratively and folded into nested nodes afterwards,
        # which is the tree Go builds, without recursing once per link.
        links: list[tuple[int, PipeNode, ListNode]] = []
        else_list: ListNode | None = None
        start = delim.offset
        try:
            while True:
                pipe = self.pipeline(context, T.RIGHT_DELIM)
                if context == "range":
                    self.scope.range_depth += 1
                try:
                    body, nxt = self.item_list()
                finally:
                    if context == "range":
                        self.scope.range_depth -= 1
                links.append((start, pipe, body))
                if isinstance(nxt, _End):
                    break
                chained = self.peek()
                if context in ("if", "with") and chained.type is KEYWORDS[context]:
                    self.next()
                    start = nxt.offset
                    continue
                else_list, nxt = self.item_list()
                if not isinstance(nxt, _End):
                    raise self.error(nxt.offset, f"expected end; found {nxt}")
                break
        finally:
            del self.scope.vars[mark:]
            self.nesting -= 1
        cls: type[BranchNode] = {"if": IfNode, "range": RangeNode, "with": WithNode}[context]
        node: BranchNode | None = None
        for offset, pipe, body in reversed(links):
            if node is not None:
                else_list = ListNode(nodes=(node,), line=node.line, column=node.column)
            node = cls(pipe=pipe, list=body, else_list=else_list, **self.node_pos(offset))
        assert node is not None  # links always holds at least the opening branch
        return node

    def block_control(self, delim: Token) -> Node:
        context = "block clause"
        name_tok = self.next_non_space()
        name = self.template_name(name_tok, context)
        pipe = self.pipeline(context, T.RIGHT_DELIM)
        if self.nesting >= MAX_NESTING_DEPTH:
            raise self.error(delim.offset, "max nesting depth exceeded")
        self.nesting += 1
        saved, self.scope = self.scope, _Scope()
        try:
            body, end = self.item_list()
        finally:
            self.scope = saved
            self.nesting -= 1
        if not isinstance(end, _End):
            raise self.error(end.offset, f"unexpected {end} in {context}")
        self.add(name, body, name_tok.offset)
        return TemplateNode(name=name, pipe=pipe, **self.node_pos(delim.offset))

    def template_control(self, delim: Token) -> Node:
        context = "template clause"
        name_tok = self.next_non_space()
        name = self.template_name(name_tok, context)
        pipe: PipeNode | None = None
        if self.next_non_space().type is not T.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, T.RIGHT_DELIM)
        return TemplateNode(name=name, pipe=pipe, **self.node_pos(delim.offset))

    def template_name(self, tok: Token, context: str) -> str:
        if tok.type not in (T.STRING, T.RAW_STRING):
            raise self.unexpected(tok, context)
        return self.unquote_token(tok)

    def unquote_token(self, tok: Token) -> str:
        try:
            return unquote(tok.value)
        except ValueError as exc:
            raise self.error(tok.offset, str(exc)) from None

    # Pipelines.
    def pipeline(self, context: str, end: T) -> PipeNode:
        first = self.peek_non_space()
        decl: list[VariableNode] = []
        is_assign = False
        while True:
            v = self.peek_non_space()
            if v.type is not T.VARIABLE:
                break
            mark = self.index
            self.next()
            nxt = self.peek_non_space()
            if nxt.type in (T.ASSIGN, T.DECLARE):
                is_assign = nxt.type is T.ASSIGN
                self.next_non_space()
                if is_assign and v.value not in self.scope.vars:
                    # Go parses this but fails whenever it runs: assignment needs a declared variable.
                    self.deferred.append((v.offset, f"undefined variable {go_quote(v.value)}"))
                decl.append(self.variable(v))
                self.scope.vars.append(v.value)
            elif nxt.type is T.CHAR and nxt.value == ",":
                self.next_non_space()
                decl.append(self.variable(v))
                self.scope.vars.append(v.value)
                if context == "range" and len(decl) < 2:
                    if self.peek_non_space().type in (T.VARIABLE, T.RIGHT_DELIM, T.RIGHT_PAREN):
                        continue  # the second variable of "range $i, $v := ..."
                    raise self.error(self.peek_non_space().offset, "range can only initialize variables")
                raise self.error(nxt.offset, f"too many declarations in {context}")
            else:
                self.backup(mark)
            break
        cmds: list[CommandNode] = []
        while True:
            tok = self.next_non_space()
            if tok.type is end:
                self.check_pipeline(cmds, context, tok)
                return PipeNode(decl=tuple(decl), is_assign=is_assign, cmds=tuple(cmds), **self.node_pos(first.offset))
            if tok.type in _OPERAND_START:
                self.backup()
                cmds.append(self.command())
            else:
                raise self.unexpected(tok, context)

    def check_pipeline(self, cmds: list[CommandNode], context: str, end: Token) -> None:
        if not cmds:
            raise self.error(end.offset, f"missing value for {context}")
        for stage, cmd in enumerate(cmds[1:], start=2):
            if isinstance(cmd.args[0], BoolNode | DotNode | NilNode | NumberNode | StringNode):
                raise self.error(self.offset_of(cmd.args[0]), f"non executable command in pipeline stage {stage}")

    def offset_of(self, node: Node) -> int:
        # Nodes keep line/column only; recover the offset for error reporting.
        return self.positions.offset(node.line, node.column)

    def command(self) -> CommandNode:
        first = self.peek_non_space()
        args: list[Operand] = []
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                args.append(operand)
            tok = self.next()
            if tok.type is T.SPACE:
                continue
            if tok.type in (T.RIGHT_DELIM, T.RIGHT_PAREN):
                self.backup()
            elif tok.type is not T.PIPE:
                raise self.unexpected(tok, "operand")
            break
        if not args:
            raise self.error(first.offset, "empty command")
        return CommandNode(args=tuple(args), **self.node_pos(first.offset))

    def operand(self) -> Operand | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().type is not T.FIELD:
            return node
        first_field = self.peek()
        fields: list[str] = []
        while self.peek().type is T.FIELD:
            fields.append(self.next().value[1:])
        pos = {"line": node.line, "column": node.column}
        if isinstance(node, FieldNode):
            return FieldNode(ident=node.ident + tuple(fields), **pos)
        if isinstance(node, VariableNode):
            return VariableNode(ident=node.ident + tuple(fields), **pos)
        if isinstance(node, BoolNode | StringNode | NumberNode | NilNode | DotNode):
            raise self.error(first_field.offset, f"unexpected . after term {go_quote(to_source(node))}")
        return ChainNode(node=node, fields=tuple(fields), **pos)

    def term(self) -> Operand | None:
        tok = self.next_non_space()
        pos = self.node_pos(tok.offset)
        match tok.type:
            case T.IDENTIFIER:
                if tok.value not in self.funcs:
                    raise self.error(tok.offset, f"function {go_quote(tok.value)} not defined")
                return IdentifierNode(name=tok.value, **pos)
            case T.DOT:
                return DotNode(**pos)
            case T.NIL:
                return NilNode(**pos)
            case T.VARIABLE:
                name = tok.value.split(".")[0]
                if name not in self.scope.vars:
                    raise self.error(tok.offset, f"undefined variable {go_quote(name)}")
                return self.variable(tok)
            case T.FIELD:
                return FieldNode(ident=tuple(tok.value[1:].split(".")), **pos)
            case T.BOOL:
                return BoolNode(value=tok.value == "true", **pos)
            case T.CHAR_CONSTANT:
                try:
                    value = unquote_char_constant(tok.value)
                except ValueError as exc:
                    raise self.error(tok.offset, str(exc)) from None
                return NumberNode(text=tok.value, kind="char", value=value, **pos)
            case T.NUMBER | T.COMPLEX:
                try:
                    kind, number = parse_number(tok.value, tok.type is T.COMPLEX)
                except ValueError as exc:
                    raise self.error(tok.offset, str(exc)) from None
                return NumberNode(text=tok.value, kind=kind, value=number, **pos)
            case T.LEFT_PAREN:
                if self.paren_depth >= MAX_PAREN_DEPTH:
                    raise self.error(tok.offset, "max expression depth exceeded")
                self.paren_depth += 1
                try:
                    return self.pipeline("parenthesized pipeline", T.RIGHT_PAREN)
                finally:
                    self.paren_depth -= 1
            case T.STRING | T.RAW_STRING:
                return StringNode(quoted=tok.value, text=self.unquote_token(tok), **pos)
        self.backup()
        return None

    def variable(self, tok: Token) -> VariableNode:
        return VariableNode(ident=tuple(tok.value.split(".")), **self.node_pos(tok.offset))

    # Checks for actions that Go accepts when parsing but that fail every time they execute.
    def post_checks(self) -> None:
        for tree in self.tree_set.values():
            for cmd, stage in _commands(tree):
                self.check_command(cmd, stage)
        if self.deferred:
            offset, message = min(self.deferred)
            raise self.error(offset, message)

    def check_command(self, cmd: CommandNode, stage: int) -> None:
        first = cmd.args[0]
        gets_args = len(cmd.args) > 1 or stage > 0
        not_callable = isinstance(first, BoolNode | DotNode | NilNode | NumberNode | StringNode | PipeNode)
        if isinstance(first, VariableNode) and len(first.ident) == 1:
            not_callable = True
        if not_callable and gets_args:
            self.deferred.append((self.offset_of(first), f"can't give argument to non-function {to_source(first)}"))
        elif isinstance(first, NilNode):
            self.deferred.append((self.offset_of(first), "nil is not a command"))


def _is_empty(tree: ListNode) -> bool:
    """Go's IsEmptyTree: nothing but whitespace text and comments."""
    for n in tree.nodes:
        if isinstance(n, TextNode):
            if n.text.strip():
                return False
        elif isinstance(n, ListNode):
            if not _is_empty(n):
                return False
        elif not isinstance(n, CommentNode):
            return False
    return True


def _commands(node: Node) -> Iterator[tuple[CommandNode, int]]:
    """Every command in a tree with its stage index in its pipeline, in source order."""
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        children: list[Node] = []
        if isinstance(n, PipeNode):
            for stage, cmd in enumerate(n.cmds):
                yield cmd, stage
                children.extend(cmd.args)
        elif isinstance(n, ChainNode):
            children.append(n.node)
        elif isinstance(n, ListNode):
            children.extend(n.nodes)
        elif isinstance(n, ActionNode):
            children.append(n.pipe)
        elif isinstance(n, BranchNode):
            children.extend([n.pipe, n.list])
            if n.else_list is not None:
                children.append(n.else_list)
        elif isinstance(n, TemplateNode) and n.pipe is not None:
            children.append(n.pipe)
        stack.extend(reversed(children))


def parse(name: str, text: str, funcs: Collection[str]) -> Template:
    """Parse Go text/template source into a Template; raises TemplateSyntaxError where Go would fail."""
    parser = _Parser(name, text, funcs)
    try:
        return parser.parse()
    except _ParseError as exc:
        line, column = parser.line_col(exc.offset)
        raise TemplateSyntaxError(name, line, column, exc.message) from None
    except RecursionError:
        # Only reachable when the caller's own stack is already deep; the limits above keep the parser's.
        line, column = parser.line_col(parser.tokens[min(parser.index, len(parser.tokens) - 1)].offset)
        raise TemplateSyntaxError(name, line, column, "max nesting depth exceeded") from None
