"""Tests for the Go text/template parser: tree shapes, trim markers, literals, errors, spec examples."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from templating.functions import ALL_FUNCTIONS, BREAKGLASS_FUNCTIONS, SPRIG_FUNCTIONS
from templating.goparse import (
    GO_BUILTINS,
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
    PipeNode,
    RangeNode,
    StringNode,
    Template,
    TemplateNode,
    TemplateSyntaxError,
    TextNode,
    VariableNode,
    WithNode,
    parse,
    to_source,
)
from tests.conftest import EXAMPLES

FUNCS = ALL_FUNCTIONS


def dump(node: Node | None) -> Any:
    """A position-free nested-tuple form of a tree, so expected shapes can be written inline."""
    match node:
        case None:
            return None
        case TextNode(text=text):
            return ("text", text)
        case CommentNode(text=text):
            return ("comment", text)
        case ListNode(nodes=nodes):
            return tuple(dump(n) for n in nodes)
        case ActionNode(pipe=pipe):
            return ("action", dump(pipe))
        case PipeNode(decl=decl, is_assign=is_assign, cmds=cmds):
            cmd_dumps = tuple(dump(c) for c in cmds)
            if not decl:
                return ("pipe", *cmd_dumps)
            names = tuple(".".join(v.ident) for v in decl)
            return ("pipe", names, "=" if is_assign else ":=", *cmd_dumps)
        case CommandNode(args=args):
            return tuple(dump(a) for a in args)
        case IdentifierNode(name=name):
            return ("fn", name)
        case FieldNode(ident=ident):
            return ("field", ident)
        case VariableNode(ident=ident):
            return ("var", ident)
        case DotNode():
            return ("dot",)
        case NilNode():
            return ("nil",)
        case BoolNode(value=value):
            return ("bool", value)
        case NumberNode(kind=kind, value=value):
            return ("num", kind, value)
        case StringNode(text=text):
            return ("str", text)
        case ChainNode(node=inner, fields=fields):
            return ("chain", dump(inner), fields)
        case IfNode(pipe=pipe, list=body, else_list=else_list):
            return ("if", dump(pipe), dump(body), dump(else_list))
        case RangeNode(pipe=pipe, list=body, else_list=else_list):
            return ("range", dump(pipe), dump(body), dump(else_list))
        case WithNode(pipe=pipe, list=body, else_list=else_list):
            return ("with", dump(pipe), dump(body), dump(else_list))
        case TemplateNode(name=name, pipe=pipe):
            return ("template", name, dump(pipe))
        case BreakNode():
            return ("break",)
        case ContinueNode():
            return ("continue",)
    raise AssertionError(f"unexpected node {node!r}")


def root(text: str, funcs: frozenset[str] = FUNCS) -> Any:
    """Parse and dump the main tree."""
    return dump(parse("t", text, funcs).root)


def error_of(text: str, funcs: frozenset[str] = FUNCS) -> TemplateSyntaxError:
    """Parse text that must fail and return the error."""
    with pytest.raises(TemplateSyntaxError) as info:
        parse("t", text, funcs)
    return info.value


DOT = ("dot",)


def field(*names: str) -> tuple[str, tuple[str, ...]]:
    """Dump of a field chain."""
    return ("field", names)


def var(*names: str) -> tuple[str, tuple[str, ...]]:
    """Dump of a variable with optional fields."""
    return ("var", names)


def fn(name: str) -> tuple[str, str]:
    """Dump of a function identifier."""
    return ("fn", name)


def act(*cmds: Any) -> tuple[str, Any]:
    """Dump of an action whose pipeline has these commands and no declarations."""
    return ("action", ("pipe", *cmds))


# ---------------------------------------------------------------------------------------------------
# Tree shapes of every construct.

SHAPES: list[tuple[str, Any]] = [
    ("", ()),
    ("plain text", (("text", "plain text"),)),
    ("{{.}}", (act((DOT,)),)),
    (
        "{{ .session.name | trunc 15 }}",
        (act((field("session", "name"),), (fn("trunc"), ("num", "int", 15))),),
    ),
    ("{{ .Session.Spec.TargetNamespace }}", (act((field("Session", "Spec", "TargetNamespace"),)),)),
    ("{{$}}", (act((var("$"),)),)),
    ("{{$.I.J}}", (act((var("$", "I", "J"),)),)),
    (
        "{{ $x := .a }}{{ $x.b }}",
        (("action", ("pipe", ("$x",), ":=", (field("a"),))), act((var("$x", "b"),))),
    ),
    (
        "{{ $x := 1 }}{{ $x = 2 }}",
        (
            ("action", ("pipe", ("$x",), ":=", (("num", "int", 1),))),
            ("action", ("pipe", ("$x",), "=", (("num", "int", 2),))),
        ),
    ),
    ('{{ printf "%s-%s" .a .b }}', (act((fn("printf"), ("str", "%s-%s"), field("a"), field("b"))),)),
    ("{{ .a | default `x` | quote }}", (act((field("a"),), (fn("default"), ("str", "x")), (fn("quote"),)),)),
    ("{{ (.a) }}", (act((("pipe", (field("a"),)),)),)),
    ("{{ (print .a).Len }}", (act((("chain", ("pipe", (fn("print"), field("a"))), ("Len",)),)),)),
    ("{{ (print 1).A.B }}", (act((("chain", ("pipe", (fn("print"), ("num", "int", 1))), ("A", "B")),)),)),
    ("{{ print.Field }}", (act((("chain", fn("print"), ("Field",)),)),)),
    ("{{ eq (len .x) 0 }}", (act((fn("eq"), ("pipe", (fn("len"), field("x"))), ("num", "int", 0))),)),
    (
        "{{ true }}{{ false }}{{ eq nil .x }}",
        (act((("bool", True),)), act((("bool", False),)), act((fn("eq"), ("nil",), field("x")))),
    ),
    ("{{ 'a' }}", (act((("num", "char", 97),)),)),
    ("{{/* a comment */}}", (("comment", "/* a comment */"),)),
    ("{{if .x}}yes{{end}}", (("if", ("pipe", (field("x"),)), (("text", "yes"),), None),)),
    ("{{if .x}}a{{else}}b{{end}}", (("if", ("pipe", (field("x"),)), (("text", "a"),), (("text", "b"),)),)),
    (
        "{{if .x}}a{{else if .y}}b{{else if .z}}c{{else}}d{{end}}",
        (
            (
                "if",
                ("pipe", (field("x"),)),
                (("text", "a"),),
                (
                    (
                        "if",
                        ("pipe", (field("y"),)),
                        (("text", "b"),),
                        (("if", ("pipe", (field("z"),)), (("text", "c"),), (("text", "d"),)),),
                    ),
                ),
            ),
        ),
    ),
    ("{{with .x}}{{.}}{{end}}", (("with", ("pipe", (field("x"),)), (act((DOT,)),), None),)),
    (
        "{{with .x}}a{{else with .y}}b{{else}}c{{end}}",
        (
            (
                "with",
                ("pipe", (field("x"),)),
                (("text", "a"),),
                (("with", ("pipe", (field("y"),)), (("text", "b"),), (("text", "c"),)),),
            ),
        ),
    ),
    (
        "{{range .items}}{{.}}{{else}}none{{end}}",
        (("range", ("pipe", (field("items"),)), (act((DOT,)),), (("text", "none"),)),),
    ),
    (
        "{{range $i, $v := .items}}{{$i}}={{$v}}{{end}}",
        (
            (
                "range",
                ("pipe", ("$i", "$v"), ":=", (field("items"),)),
                (act((var("$i"),)), ("text", "="), act((var("$v"),))),
                None,
            ),
        ),
    ),
    (
        "{{range $v := .items}}{{$v}}{{end}}",
        (("range", ("pipe", ("$v",), ":=", (field("items"),)), (act((var("$v"),)),), None),),
    ),
    (
        "{{range .items}}{{if .skip}}{{continue}}{{end}}{{if .stop}}{{break}}{{end}}{{end}}",
        (
            (
                "range",
                ("pipe", (field("items"),)),
                (
                    ("if", ("pipe", (field("skip"),)), (("continue",),), None),
                    ("if", ("pipe", (field("stop"),)), (("break",),), None),
                ),
                None,
            ),
        ),
    ),
    ('{{template "x"}}', (("template", "x", None),)),
    ('{{template "x" .a}}', (("template", "x", ("pipe", (field("a"),))),)),
    ('{{block "b" .}}body{{end}}', (("template", "b", ("pipe", (DOT,))),)),
    ("{{ $x \n := \n 1 \n }}", (("action", ("pipe", ("$x",), ":=", (("num", "int", 1),))),)),
    ('{{\n"x"\n|\nprintf\n}}', (act((("str", "x"),), (fn("printf"),)),)),
    # "$x.M +2" applies $x.M (a method) to +2: never arithmetic.
    (
        "{{ $x := . }}{{ $x.M +2 }}",
        (("action", ("pipe", ("$x",), ":=", (DOT,))), act((var("$x", "M"), ("num", "int", 2)))),
    ),
    # Go accepts a trailing pipe symbol.
    ("{{ 1 | }}", (act((("num", "int", 1),)),)),
]


@pytest.mark.parametrize(("text", "expected"), SHAPES)
def test_tree_shape(text: str, expected: Any) -> None:
    """Every construct parses to the tree Go builds."""
    assert root(text) == expected


GO_STRINGS: list[tuple[str, str]] = [
    # Inputs and renderings from Go's own parse tests (text nodes print unquoted here).
    ("{{.X (.Y .Z) (.A | .B .C) (.E)}}", "{{.X (.Y .Z) (.A | .B .C) (.E)}}"),
    ("{{.X|.Y}}", "{{.X | .Y}}"),
    ("{{$x := .X|.Y}}", "{{$x := .X | .Y}}"),
    ("{{range .X.Y.Z}}hello{{end}}", "{{range .X.Y.Z}}hello{{end}}"),
    ("{{range .X|.M}}true{{else}}false{{end}}", "{{range .X | .M}}true{{else}}false{{end}}"),
    ("{{range .SI 1 -3.2i true false 'a' nil}}{{end}}", "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}"),
    ("{{template `x` .Y}}", '{{template "x" .Y}}'),
    ("+{{if .X}}X{{else if .Y}}Y{{end}}+", "+{{if .X}}X{{else}}{{if .Y}}Y{{end}}{{end}}+"),
    ("{{range $x := 0}}{{$x}}{{end}}", "{{range $x := 0}}{{$x}}{{end}}"),
    ("{{ (( 1 )) }}", "{{((1))}}"),
    ("{{ if ((( true ))) }}YES{{ end }}", "{{if (((true)))}}YES{{end}}"),
]


@pytest.mark.parametrize(("text", "expected"), GO_STRINGS)
def test_round_trip_matches_go_string(text: str, expected: str) -> None:
    """to_source renders trees as Go's Node.String does."""
    assert to_source(parse("t", text, FUNCS).root) == expected


def test_define_and_block_go_to_named_trees() -> None:
    """define and block bodies are separate trees; the main tree only references them."""
    tpl = parse("main", 'a{{define "d"}}D{{.}}{{end}}{{block "b" .x}}B{{end}}c', FUNCS)
    assert isinstance(tpl, Template)
    assert tpl.name == "main"
    assert dump(tpl.root) == (("text", "a"), ("template", "b", ("pipe", (field("x"),))), ("text", "c"))
    assert set(tpl.defines) == {"d", "b"}
    assert dump(tpl.defines["d"]) == (("text", "D"), act((DOT,)))
    assert dump(tpl.defines["b"]) == (("text", "B"),)


def test_empty_redefinition_is_allowed() -> None:
    """As in Go, an empty definition neither conflicts with nor replaces a non-empty one."""
    tpl = parse("t", '{{define "a"}}x{{end}}{{define "a"}} {{/* c */}} {{end}}', FUNCS)
    assert dump(tpl.defines["a"]) == (("text", "x"),)


def test_define_with_the_template_name_replaces_an_empty_main() -> None:
    """Go's tree set: a define named like the template supplies its body when the main text is empty."""
    tpl = parse("t", '  {{define "t"}}body{{end}}\n', FUNCS)
    assert dump(tpl.root) == (("text", "body"),)
    assert dict(tpl.defines) == {}


def test_variables_are_scoped_to_their_control_structure() -> None:
    """A variable declared in a branch is gone after its end; define bodies only see $."""
    assert error_of("{{with $x := 4}}{{end}}{{$x}}").message == 'undefined variable "$x"'
    assert error_of('{{$x := 1}}{{define "d"}}{{$x}}{{end}}').message == 'undefined variable "$x"'
    assert root("{{if $x := .a}}{{else if $x}}{{$x}}{{end}}")[0][0] == "if"


def test_break_and_continue_are_functions_when_defined() -> None:
    """Go treats break/continue as identifiers when a function of that name exists."""
    tree = root("{{range .X}}{{break 20}}{{end}}", FUNCS | {"break"})
    assert tree == (("range", ("pipe", (field("X"),)), (act((fn("break"), ("num", "int", 20))),), None),)
    assert error_of("{{range .X}}{{break 20}}{{end}}").message == 'unexpected "20" in {{break}}'


def test_positions_are_one_based_line_and_column() -> None:
    """Nodes carry the line and column where they start."""
    tpl = parse("t", "ab\n  {{ if .x }}\n\t{{ .y | quote }}{{ end }}", FUNCS)
    text, if_node = tpl.root.nodes
    assert (text.line, text.column) == (1, 1)
    assert isinstance(if_node, IfNode)
    assert (if_node.line, if_node.column) == (2, 3)
    assert (if_node.pipe.line, if_node.pipe.column) == (2, 9)
    inner = if_node.list.nodes[1]
    assert isinstance(inner, ActionNode)
    assert (inner.line, inner.column) == (3, 2)
    quote_cmd = inner.pipe.cmds[1]
    assert (quote_cmd.line, quote_cmd.column) == (3, 10)
    assert (quote_cmd.args[0].line, quote_cmd.args[0].column) == (3, 10)


# ---------------------------------------------------------------------------------------------------
# Trim markers.

TRIMS: list[tuple[str, list[str]]] = [
    ("x \r\n\t{{- 3}}", ["x"]),
    ("{{3 -}}\n\n\ty", ["y"]),
    ("x \r\n\t{{- 3 -}}\n\n\ty", ["x", "y"]),
    ("x\n{{-  3   -}}\ny", ["x", "y"]),
    ("x \r\n\t{{- /* hi */}}", ["x"]),
    ("{{/* hi */ -}}\n\n\ty", ["y"]),
    ("x \r\n\t{{- /* */ -}}\n\n\ty", ["x", "y"]),
    ("x\n{{-\n/*\nhello\n*/\n-}}\ny", ["x", "y"]),
    ("a\n  {{- if .x }}\n  b\n  {{- end }}\nc", ["a", "\n  b", "\nc"]),
    ("a \n{{-3}} \nb", ["a \n", " \nb"]),  # {{-3}} is the number -3: nothing is trimmed
    ("  \n {{- 1 -}} \n  ", []),
    ("a{{- 1 -}}b", ["a", "b"]),
    ("a\t{{- 1}}\t{{1 -}}\tb", ["a", "\t", "b"]),
]


def _texts(n: Node) -> Iterator[str]:
    if isinstance(n, TextNode):
        yield n.text
    elif isinstance(n, ListNode):
        for child in n.nodes:
            yield from _texts(child)
    elif isinstance(n, IfNode):
        yield from _texts(n.list)


@pytest.mark.parametrize(("text", "texts"), TRIMS)
def test_trim_markers_remove_all_adjacent_whitespace(text: str, texts: list[str]) -> None:
    """Trim markers remove every adjacent space, tab, CR and LF of the neighbouring text, nothing else."""
    assert list(_texts(parse("t", text, FUNCS).root)) == texts


def test_left_trim_marker_needs_a_following_space() -> None:
    """{{-3}} is the number -3 and {{- 3}} trims; the same for " -}}" versus "-}}"."""
    assert root("a {{-3}}") == (("text", "a "), act((("num", "int", -3),)))
    assert root("a {{- 3}}") == (("text", "a"), act((("num", "int", 3),)))
    assert error_of("{{x-}}").message == "bad character U+002D '-'"


# ---------------------------------------------------------------------------------------------------
# Literals.

NUMBERS: list[tuple[str, str, int | float | complex]] = [
    ("0", "int", 0),
    ("-0", "int", 0),
    ("73", "int", 73),
    ("7_3", "int", 73),
    ("0b10_010_01", "int", 73),
    ("0B10_010_01", "int", 73),
    ("073", "int", 0o73),
    ("0o73", "int", 0o73),
    ("0O73", "int", 0o73),
    ("0x73", "int", 0x73),
    ("0X73", "int", 0x73),
    ("0x7_3", "int", 0x73),
    ("-73", "int", -73),
    ("+73", "int", 73),
    ("0xef", "int", 0xEF),
    ("0xdeadbeef", "int", 0xDEADBEEF),
    ("-0x0", "int", 0),
    ("18446744073709551615", "int", 18446744073709551615),
    ("-9223372036854775808", "int", -9223372036854775808),
    ("1e9", "float", 1e9),
    ("-1.2", "float", -1.2),
    ("1e1_9", "float", 1e19),
    ("1.", "float", 1.0),
    (".5", "float", 0.5),
    ("0x_1p4", "float", 16.0),
    ("0x_1p-4", "float", 1 / 16),
    ("4i", "complex", 4j),
    ("073i", "complex", 73j),
    ("-1.2+4.2i", "complex", complex(-1.2, 4.2)),
    ("13+0i", "complex", 13 + 0j),
    ("'a'", "char", 97),
    ("'\\n'", "char", 10),
    ("'\\\\'", "char", 92),
    ("'\\''", "char", 39),
    ("'\\xFF'", "char", 255),
    ("'パ'", "char", 0x30D1),
    ("'\\u30d1'", "char", 0x30D1),
    ("'\\U000030d1'", "char", 0x30D1),
    ("'\\101'", "char", 65),
]


@pytest.mark.parametrize(("literal", "kind", "value"), NUMBERS)
def test_number_literals(literal: str, kind: str, value: int | float | complex) -> None:
    """Numbers keep Go's kind (int, float, char, complex) and value."""
    action = parse("t", "{{print " + literal + "}}", FUNCS).root.nodes[0]
    assert isinstance(action, ActionNode)
    number = action.pipe.cmds[0].args[1]
    assert isinstance(number, NumberNode)
    assert (number.kind, number.value, number.text) == (kind, value, literal)
    assert type(number.value) is type(value)


STRINGS: list[tuple[str, str]] = [
    ('"plain"', "plain"),
    ('"a\\tb\\nc"', "a\tb\nc"),
    ('"\\a\\b\\f\\r\\v\\\\\\""', '\a\b\f\r\v\\"'),
    ('"\\x41\\101\\u00e9\\U0001F600"', "AAé\U0001f600"),
    ('"\\xff"', "\udcff"),  # not UTF-8: Go keeps the raw byte, kept here as a surrogate escape
    ("`raw \\n ${x}`", "raw \\n ${x}"),
    ("`multi\r\nline`", "multi\nline"),  # Go drops carriage returns from raw strings
    ('""', ""),
]


@pytest.mark.parametrize(("literal", "text"), STRINGS)
def test_string_literals(literal: str, text: str) -> None:
    """Strings are unquoted with Go's escapes; the source form is kept."""
    action = parse("t", "{{print " + literal + "}}", FUNCS).root.nodes[0]
    assert isinstance(action, ActionNode)
    string = action.pipe.cmds[0].args[1]
    assert isinstance(string, StringNode)
    assert (string.text, string.quoted) == (text, literal)


# ---------------------------------------------------------------------------------------------------
# Errors: message, line and column.

ERRORS: list[tuple[str, int, int, str]] = [
    ("{{}}", 1, 3, "missing value for command"),
    ("é\r\nü{{ nope }}", 2, 5, 'function "nope" not defined'),  # columns count characters
    ("{{\n}}", 2, 1, "missing value for command"),
    ("hello{{range", 1, 13, "unclosed action"),
    ("line1\n{{", 2, 3, "unclosed action"),
    ('line1\n{{"x"\n"y"\n', 4, 1, "unclosed action started at t:2"),
    ("{{\n\n\n\n\n", 6, 1, "unclosed action started at t:1"),
    ("{{(.X 1 2 3", 1, 12, "unclosed action"),
    ("{{end}}", 1, 1, "unexpected {{end}}"),
    ("{{else}}", 1, 1, "unexpected {{else}}"),
    ("{{if .X}}hello{{end}}{{else}}", 1, 22, "unexpected {{else}}"),
    ("{{if .X}}1{{else}}2{{else}}3{{end}}", 1, 20, "expected end; found {{else}}"),
    ("{{if .X}}a{{else if .Y}}b{{end}}{{end}}", 1, 33, "unexpected {{end}}"),
    ("hello{{range .x}}", 1, 18, "unexpected EOF"),
    ("hello{{range .x}}{{else}}", 1, 26, "unexpected EOF"),
    ("x\n{{ if .a }}\n", 3, 1, "unexpected EOF"),
    ("hello{{undefined}}", 1, 8, 'function "undefined" not defined'),
    ("line1\n{{\nx\n}}", 3, 1, 'function "x" not defined'),
    ("{{ .a | toYaml | nindent 4 }}{{ frobnicate }}", 1, 33, 'function "frobnicate" not defined'),
    ("{{$x}}", 1, 3, 'undefined variable "$x"'),
    ("{{with $x := 4}}{{end}}{{$x}}", 1, 26, 'undefined variable "$x"'),
    ("{{range $k}}{{end}}", 1, 9, 'undefined variable "$k"'),
    ("{{range $k, $v}}{{end}}", 1, 13, 'undefined variable "$v"'),
    ("{{template $v}}", 1, 12, 'unexpected "$v" in template clause'),
    ("{{template .X}}", 1, 12, 'unexpected ".X" in template clause'),
    ("{{with $x.Y := 4}}{{end}}", 1, 8, 'undefined variable "$x"'),
    ("{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}", 1, 25, 'unexpected ":=" in operand'),
    ("{{printf 3, 4}}", 1, 11, 'unexpected "," in operand'),
    ("{{with $v, $u := 3}}{{end}}", 1, 10, "too many declarations in with"),
    ("{{$a,$b,$c := 23}}", 1, 5, "too many declarations in command"),
    ("{{range $u, $v, $w := 3}}{{end}}", 1, 15, "too many declarations in range"),
    ("{{range $k,}}{{end}}", 1, 12, "missing value for range"),
    ("{{range $k, $v := }}{{end}}", 1, 19, "missing value for range"),
    ("{{range $k, .}}{{end}}", 1, 13, "range can only initialize variables"),
    ("{{range $k, 123 := .}}{{end}}", 1, 13, "range can only initialize variables"),
    ("{{printf (printf .).}}", 1, 20, "unexpected <.> in operand"),
    ("{{printf 3`x`}}", 1, 11, 'unexpected "`x`" in operand'),
    ("{{printf `x`.}}", 1, 13, "unexpected <.> in operand"),
    ("{{range .}}{{end}} {{break}}", 1, 22, "{{break}} outside {{range}}"),
    ("{{range .}}{{end}} {{continue}}", 1, 22, "{{continue}} outside {{range}}"),
    ("{{range .}}{{else}}{{break}}{{end}}", 1, 22, "{{break}} outside {{range}}"),
    ("{{range .}}{{else}}{{continue}}{{end}}", 1, 22, "{{continue}} outside {{range}}"),
    ('{{range .}}{{define "x"}}{{break}}{{end}}{{end}}', 1, 14, "unexpected <define> in command"),
    ("{{$x:=.}}{{$x!2}}", 1, 14, "bad character U+0021 '!'"),
    ("{{$x:=.}}{{$x+2}}", 1, 14, "bad character U+002B '+'"),
    ("{{a#}}", 1, 4, "bad character U+0023 '#'"),
    ("{{ € }}", 1, 4, "unrecognized character in action: U+20AC '€'"),
    ("{{1.E}}", 1, 3, 'illegal number syntax: "1.E"'),
    ("{{0xi}}", 1, 3, 'illegal number syntax: "0xi"'),
    ("{{3x}}", 1, 3, 'bad number syntax: "3x"'),
    ("{{1+2.}}", 1, 3, 'bad number syntax: "1+2."'),
    ("{{08}}", 1, 3, 'integer overflow: "08"'),
    ("{{99999999999999999999}}", 1, 3, 'integer overflow: "99999999999999999999"'),
    ("{{1__0}}", 1, 3, 'illegal number syntax: "1__0"'),
    ("{{-}}", 1, 3, 'illegal number syntax: "-"'),
    ("{{true.E}}", 1, 7, 'unexpected . after term "true"'),
    ('{{"hello".guys}}', 1, 10, 'unexpected . after term "\\"hello\\""'),
    ("{{'a'.any}}", 1, 6, "unexpected . after term \"'a'\""),
    ("{{..E}}", 1, 4, 'unexpected . after term "."'),
    ("{{nil.E}}", 1, 6, 'unexpected . after term "nil"'),
    ("{{12|.}}", 1, 6, "non executable command in pipeline stage 2"),
    ("{{.|12|printf}}", 1, 5, "non executable command in pipeline stage 2"),
    ('{{.|printf|"error"}}', 1, 12, "non executable command in pipeline stage 3"),
    ("{{12|printf|'e'}}", 1, 13, "non executable command in pipeline stage 3"),
    ("{{.|true}}", 1, 5, "non executable command in pipeline stage 2"),
    ("{{'c'|nil}}", 1, 7, "non executable command in pipeline stage 2"),
    ('{{printf "%d" ( ) }}', 1, 17, "missing value for parenthesized pipeline"),
    ('{{block "foo"}}hello{{end}}', 1, 14, "missing value for block clause"),
    ("{{if}}x{{end}}", 1, 5, "missing value for if"),
    ("{{template}}", 1, 11, 'unexpected "}}" in template clause'),
    ("{{define}}{{end}}", 1, 9, 'unexpected "}}" in define clause'),
    ('{{define "x"}}{{else}}{{end}}', 1, 15, "unexpected {{else}} in define clause"),
    ('{{define "x"}}', 1, 15, "unexpected EOF"),
    ("{{end x}}", 1, 7, 'unexpected "x" in end'),
    ("{{if .a}}{{else x}}{{end}}", 1, 17, 'unexpected "x" in else'),
    ("{{range .}}{{else if .x}}{{end}}", 1, 19, "unexpected <if> in input"),
    ("{{define `a`}}a{{end}}{{define `a`}}b{{end}}", 1, 32, 'template: multiple definition of template "a"'),
    ("{{/*}}", 1, 3, "unclosed comment"),
    ("{{/*\nhello\n}}", 1, 3, "unclosed comment"),
    ("{{/* c */ x}}", 1, 3, "comment ends before closing delimiter"),
    ("{{ /* c */ }}", 1, 4, 'unexpected "/" in command'),
    ("{{.X (1 2 3}}", 1, 12, "unclosed left paren"),
    ("{{.X 1 2 3 ) }}", 1, 12, "unexpected right paren"),
    ("{{'a}}", 1, 3, "unterminated character constant"),
    ('{{"a}}', 1, 3, "unterminated quoted string"),
    ('{{"a\nb"}}', 1, 3, "unterminated quoted string"),
    ("{{`a}}", 1, 3, "unterminated raw quoted string"),
    ("{{'ab'}}", 1, 3, "malformed character constant: 'ab'"),
    ("{{''}}", 1, 3, "invalid syntax"),
    ('{{"\\q"}}', 1, 3, "invalid syntax"),
    ('{{"\\\'"}}', 1, 3, "invalid syntax"),
    ('{{"\\uD800"}}', 1, 3, "invalid syntax"),
    ('{{"\\400"}}', 1, 3, "invalid syntax"),
    ("{{$x := 1}}{{$x:1}}", 1, 16, "expected :="),
    ("{{$x:1}}", 1, 3, 'undefined variable "$x"'),  # Go's order: the variable is checked first
    ("{{ | 1 }}", 1, 4, 'unexpected "|" in command'),
    ("{{ " + "(" * 65 + "1" + ")" * 65 + " }}", 1, 68, "max expression depth exceeded"),
    ("{{if 1}}" * 65 + "{{end}}" * 65, 1, 513, "max nesting depth exceeded"),
    ('{{block "b" 1}}' * 65 + "{{end}}" * 65, 1, 961, "max nesting depth exceeded"),
    # Errors Go reports when the action runs; reported here because they fail every time.
    ("{{nil}}", 1, 3, "nil is not a command"),
    ('{{template "x" nil}}', 1, 16, "nil is not a command"),
    ("{{ $x := nil }}", 1, 10, "nil is not a command"),
    ("{{ 1 2 }}", 1, 4, "can't give argument to non-function 1"),
    ('{{ "a" .b }}', 1, 4, 'can\'t give argument to non-function "a"'),
    ("{{ . 1 }}", 1, 4, "can't give argument to non-function ."),
    ("{{ nil 1 }}", 1, 4, "can't give argument to non-function nil"),
    ("{{ .a | (print) }}", 1, 10, "can't give argument to non-function print"),
    ("{{ $x := 1 }}{{ $x 2 }}", 1, 17, "can't give argument to non-function $x"),
    ("{{ .a | $ }}", 1, 9, "can't give argument to non-function $"),
    ("{{$x = 1}}", 1, 3, 'undefined variable "$x"'),
    ("{{range $x = .a}}{{end}}", 1, 9, 'undefined variable "$x"'),
    # A real syntax error wins over an earlier execution-time one, as in Go.
    ("{{ nil }}{{ end }}", 1, 10, "unexpected {{end}}"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), ERRORS)
def test_errors(text: str, line: int, column: int, message: str) -> None:
    """Each error class gives Go's message at the offending line and column."""
    err = error_of(text)
    assert (err.message, err.line, err.column) == (message, line, column)
    assert str(err) == f"t:{line}:{column}: {message}"
    assert err.template == "t"


def test_error_survives_pickling() -> None:
    """Errors keep their fields through pickle, as they may cross process boundaries."""
    err = pickle.loads(pickle.dumps(error_of("{{ nope }}")))
    assert (err.template, err.line, err.column, err.message) == ("t", 1, 4, 'function "nope" not defined')
    assert str(err) == 't:1:4: function "nope" not defined'


def test_error_string_names_the_template() -> None:
    """str(error) is template:line:col: message."""
    with pytest.raises(TemplateSyntaxError, match=r'^pod-template:2:8: unexpected "\}" in operand$'):
        parse("pod-template", 'a\n{{ "x" } }}', FUNCS)


def test_nesting_up_to_the_limits_parses() -> None:
    """64 nested control structures with 64 nested parentheses inside still parse."""
    text = "{{range .}}" * 64 + "{{ " + "(" * 64 + "1" + ")" * 64 + " }}" + "{{end}}" * 64
    node = parse("t", text, FUNCS).root.nodes[0]
    depth = 0
    while isinstance(node, RangeNode):
        depth += 1
        node = node.list.nodes[0]
    assert depth == 64
    assert isinstance(node, ActionNode)


def test_assignment_to_declared_variable_is_fine() -> None:
    """$x = ... only needs $x declared in an enclosing scope."""
    tree = root("{{ $x := 1 }}{{ range .a }}{{ $x = . }}{{ end }}{{ $x }}")
    assert tree[1][2] == (("action", ("pipe", ("$x",), "=", (DOT,))),)


# ---------------------------------------------------------------------------------------------------
# Function names.


def test_function_sets() -> None:
    """Sprig, breakglass and Go builtins are all known; unknown names are rejected."""
    assert {
        "trunc",
        "default",
        "quote",
        "toJson",
        "sha256sum",
        "nindent",
        "regexReplaceAll",
    } <= SPRIG_FUNCTIONS
    assert {"semverCompare", "uuidv4", "dig", "mustRegexMatch", "getHostByName"} <= SPRIG_FUNCTIONS
    assert {"truncName", "k8sName", "yamlQuote", "yamlSafe", "toYaml", "fromYaml", "required"} <= (BREAKGLASS_FUNCTIONS)
    assert (
        frozenset(
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
        == GO_BUILTINS
    )
    assert SPRIG_FUNCTIONS | BREAKGLASS_FUNCTIONS | GO_BUILTINS == ALL_FUNCTIONS
    assert "toYaml" not in SPRIG_FUNCTIONS


def test_builtins_are_always_defined_and_others_are_checked() -> None:
    """With no functions passed, only Go's builtins parse."""
    assert root("{{ printf `%d` (len .x) | html }}", frozenset())[0][0] == "action"
    assert error_of("{{ .x | quote }}", frozenset()).message == 'function "quote" not defined'
    assert error_of("{{ .x | toYaml }}", SPRIG_FUNCTIONS).message == 'function "toYaml" not defined'


# ---------------------------------------------------------------------------------------------------
# The spec's examples.


TEMPLATE_KEYS = ("templateString", "podTemplateString", "podOverridesTemplate")


def _template_strings(doc: Any, path: str) -> Iterator[tuple[str, str, frozenset[str]]]:
    """Yield (path, template text, functions) for every template-bearing field in a YAML document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            here = f"{path}.{key}"
            if key in TEMPLATE_KEYS and isinstance(value, str):
                yield here, value, ALL_FUNCTIONS
            elif key == "template" and isinstance(value, dict) and ".auxiliaryResources" in path:
                # The legacy object form is checked string by string, with Sprig's functions only.
                for sub_path, text in _strings(value, here):
                    yield sub_path, text, SPRIG_FUNCTIONS | GO_BUILTINS
            else:
                yield from _template_strings(value, here)
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            yield from _template_strings(item, f"{path}[{i}]")


def _strings(doc: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(doc, str) and "{{" in doc:
        yield path, doc
    elif isinstance(doc, dict):
        for key, value in doc.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            yield from _strings(item, f"{path}[{i}]")


def _example_templates() -> list[tuple[str, str, frozenset[str]]]:
    found = []
    for file in sorted(EXAMPLES.glob("*.yaml")):
        for doc_index, doc in enumerate(yaml.safe_load_all(file.read_text(encoding="utf-8"))):
            for path, text, funcs in _template_strings(doc, f"{file.name}#{doc_index}"):
                found.append((path, text, funcs))
    return found


EXAMPLE_TEMPLATES = _example_templates()


def test_examples_were_found() -> None:
    """The walk finds the pod, multi-document and auxiliary templates of the spec."""
    files = {path.split("#")[0] for path, _, _ in EXAMPLE_TEMPLATES}
    assert {
        "05-debugpodtemplate-templatestring.yaml",
        "06-podtemplate-multidoc-pvc.yaml",
        "07-podtemplate-multidoc-configmap-secret.yaml",
        "08-podtemplate-conditional-resources.yaml",
        "27-auxiliary-resources.yaml",
        "28-auxiliary-multidoc-templatestring.yaml",
    } <= files


@pytest.mark.parametrize(("path", "text", "funcs"), EXAMPLE_TEMPLATES, ids=[p for p, _, _ in EXAMPLE_TEMPLATES])
def test_spec_examples_parse(path: str, text: str, funcs: frozenset[str]) -> None:
    """Every template in the spec's examples parses, and contains at least one action."""
    tpl = parse(path, text, funcs)
    assert any(not isinstance(n, TextNode) for n in tpl.root.nodes)


# ---------------------------------------------------------------------------------------------------
# Robustness.

FRAGMENTS = [
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "/*",
    "*/",
    " ",
    "\n",
    "(",
    ")",
    "|",
    ".",
    ".a",
    "$",
    "$x",
    ":=",
    "=",
    ",",
    '"s"',
    '"',
    "`",
    "'c'",
    "'",
    "1",
    "-",
    "0x",
    "1e",
    "i",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "block",
    "template",
    "break",
    "continue",
    "nil",
    "true",
    "quote",
    "printf",
    "undefinedfn",
    "\\",
    "#",
    "€",
    "text",
]


def _outcome(text: str) -> Template | TemplateSyntaxError:
    """The parse result, or the syntax error; any other exception propagates and fails the test."""
    try:
        return parse("t", text, FUNCS)
    except TemplateSyntaxError as err:
        return err


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_only_raises_syntax_errors(text: str) -> None:
    """Any input either parses or raises TemplateSyntaxError with a valid position."""
    outcome = _outcome(text)
    if isinstance(outcome, TemplateSyntaxError):
        assert outcome.line >= 1
        assert outcome.column >= 1
    else:
        assert isinstance(outcome.root, ListNode)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_template_like_text_only_raises_syntax_errors(text: str) -> None:
    """Inputs built from template tokens either parse or raise TemplateSyntaxError at a real position."""
    outcome = _outcome(text)
    if isinstance(outcome, TemplateSyntaxError):
        lines = text.split("\n")
        assert 1 <= outcome.line <= len(lines)
        assert 1 <= outcome.column <= len(lines[outcome.line - 1]) + 1
    else:
        assert isinstance(outcome.root, ListNode)
