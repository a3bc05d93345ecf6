"""Rendering semantics of the engine, case by case against what Go's text/template + Sprig produce.

Each expected string is what `template.New("t").Funcs(sprig.TxtFuncMap()).Parse(src).Execute(w, data)`
prints in Go (modelled on Go's exec_test.go and Sprig's own tests).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from templating.engine import Engine, render
from templating.errors import TemplateRenderError, TemplateSyntaxError

NOW = datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)


def data() -> dict[str, Any]:
    """A fresh copy of the data every case renders with (Sprig's set/unset mutate)."""
    return {
        "s": "hello",
        "n": 42,
        "neg": -7,
        "f": 3.5,
        "big": 1000000.0,
        "t": True,
        "fl": False,
        "z": 0,
        "e": "",
        "nil": None,
        "list": [1, 2, 3],
        "strs": ["b", "a", "c"],
        "empty": [],
        "map": {"b": 2, "a": 1, "c": 3},
        "emptymap": {},
        "nested": {"x": {"y": "deep"}},
        "vars": {"image": "busybox", "hostNetwork": "true", "size": "10Gi"},
        "html": "<a href='x'>&</a>",
        "multi": "line1\nline2\n\nline4",
        "mixed": [1, "a", None, True, 2.5],
    }


CASES: list[tuple[str, str, str]] = [
    # Text, comments, trim markers.
    ("text", "hello world", "hello world"),
    ("empty", "", ""),
    ("trailing newline kept", "a\n", "a\n"),
    ("crlf kept", "a\r\nb", "a\r\nb"),
    ("comment", "a{{/* c */}}b", "ab"),
    ("trimmed comment", "a  {{- /* c */ -}}  b", "ab"),
    ("left trim", "a \n\t {{- 1 }}", "a1"),
    ("right trim", "{{ 1 -}} \n b", "1b"),
    ("both trims", "x \n {{- .s -}} \n y", "xhelloy"),
    ("no trim without space", "{{-3}}", "-3"),
    ("jinja syntax is text", "{% if x %}{# c #}{%- endraw -%}", "{% if x %}{# c #}{%- endraw -%}"),
    ("jinja syntax in strings", '{{ "{% endraw %}{{ x }}" }}', "{% endraw %}{{ x }}"),
    ("endraw in text", "a{% endraw %}b", "a{% endraw %}b"),
    # Fields and missing keys.
    ("field", "{{ .s }}", "hello"),
    ("int field", "{{ .n }}", "42"),
    ("float field", "{{ .f }}", "3.5"),
    ("float 1e6 like %v", "{{ .big }}", "1e+06"),
    ("bool field", "{{ .t }}", "true"),
    ("nested field", "{{ .nested.x.y }}", "deep"),
    ("missing key", "{{ .nope }}", "<no value>"),
    ("missing chain", "{{ .nope.deeper.still }}", "<no value>"),
    ("nil value prints no value", "{{ .nil }}", "<no value>"),
    ("nil in print", "{{ print .nil }}", "<nil>"),
    ("missing in print", "{{ print .nope }}", "<nil>"),
    ("list field", "{{ .list }}", "[1 2 3]"),
    ("map field sorted", "{{ .map }}", "map[a:1 b:2 c:3]"),
    ("mixed list", "{{ .mixed }}", "[1 a <nil> true 2.5]"),
    ("empty list", "{{ .empty }}", "[]"),
    ("empty map", "{{ .emptymap }}", "map[]"),
    ("dot", "{{ .nested }}", "map[x:map[y:deep]]"),
    ("html not escaped", "{{ .html }}", "<a href='x'>&</a>"),
    ("key named like a keyword", "{{ .vars.image }}", "busybox"),
    # Literals.
    ("int literal", "{{ 7 }}", "7"),
    ("negative literal", "{{ -7 }}", "-7"),
    ("hex literal", "{{ 0x1F }}", "31"),
    ("float literal", "{{ 1.5 }}", "1.5"),
    ("float exponent literal", "{{ 1e3 }}", "1000"),
    ("char literal", "{{ 'a' }}", "97"),
    ("string literal", '{{ "a\\tb" }}', "a\tb"),
    ("raw string literal", "{{ `a\\tb` }}", "a\\tb"),
    ("unicode string", '{{ "héllo ✓" }}', "héllo ✓"),
    ("bool literal", "{{ true }} {{ false }}", "true false"),
    # Variables.
    ("declare", "{{ $x := 5 }}{{ $x }}", "5"),
    ("dollar is root", "{{ with .nested }}{{ $.s }}{{ end }}", "hello"),
    ("assign in if updates outer", "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"),
    ("declare in if shadows", "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21"),
    ("assign in range accumulates", "{{ $s := 0 }}{{ range .list }}{{ $s = add $s . }}{{ end }}{{ $s }}", "6"),
    ("variable field", "{{ $m := .nested }}{{ $m.x.y }}", "deep"),
    ("variable missing field", "{{ $m := .nested }}{{ $m.q.r }}", "<no value>"),
    ("variable of missing", "{{ $m := .nope }}{{ $m }}", "<no value>"),
    ("declaration prints nothing", "a{{ $x := 1 }}b", "ab"),
    ("rhs sees the old variable", "{{ $x := 1 }}{{ if true }}{{ $x := add $x 1 }}{{ $x }}{{ end }}", "2"),
    ("if declares", "{{ if $x := .s }}{{ $x }}{{ end }}", "hello"),
    ("with declares", "{{ with $x := .nested.x }}{{ $x.y }}{{ .y }}{{ end }}", "deepdeep"),
    ("parenthesised declaration", "{{ ($x := 3) }} {{ $x }}", "3 3"),
    # Pipelines.
    ("pipe last arg", '{{ .s | printf "%s!" }}', "hello!"),
    ("pipe chain", "{{ .s | upper | quote }}", '"HELLO"'),
    ("paren pipeline", '{{ printf "%d" (add 1 (mul 2 3)) }}', "7"),
    ("chain on paren", '{{ (dict "a" (dict "b" 5)).a.b }}', "5"),
    ("field arg", "{{ print .s .n }}", "hello42"),
    # if / else.
    ("if true", "{{ if .t }}y{{ end }}", "y"),
    ("if false", "{{ if .fl }}y{{ else }}n{{ end }}", "n"),
    ("if zero", "{{ if .z }}y{{ else }}n{{ end }}", "n"),
    ("if empty string", "{{ if .e }}y{{ else }}n{{ end }}", "n"),
    ("if empty list", "{{ if .empty }}y{{ else }}n{{ end }}", "n"),
    ("if empty map", "{{ if .emptymap }}y{{ else }}n{{ end }}", "n"),
    ("if nil", "{{ if .nil }}y{{ else }}n{{ end }}", "n"),
    ("if missing", "{{ if .nope }}y{{ else }}n{{ end }}", "n"),
    ("if nonempty list", "{{ if .list }}y{{ end }}", "y"),
    ("if float", "{{ if .f }}y{{ end }}", "y"),
    ("else if", "{{ if .fl }}a{{ else if .t }}b{{ else }}c{{ end }}", "b"),
    ("else if chain to else", "{{ if .fl }}a{{ else if .z }}b{{ else if .e }}c{{ else }}d{{ end }}", "d"),
    ("eq missing is false", '{{ if eq .vars.nope "true" }}y{{ else }}n{{ end }}', "n"),
    ("eq in if", '{{ if eq .vars.hostNetwork "true" }}y{{ end }}', "y"),
    # with.
    ("with", "{{ with .nested.x }}{{ .y }}{{ end }}", "deep"),
    ("with empty", "{{ with .e }}y{{ else }}n{{ end }}", "n"),
    ("with else with", "{{ with .e }}a{{ else with .s }}{{ . }}{{ end }}", "hello"),
    ("with missing", "{{ with .nope }}y{{ end }}", ""),
    # range.
    ("range list", "{{ range .list }}{{ . }},{{ end }}", "1,2,3,"),
    ("range index value", "{{ range $i, $v := .strs }}{{ $i }}={{ $v }} {{ end }}", "0=b 1=a 2=c "),
    ("range one var", "{{ range $v := .strs }}{{ $v }}{{ end }}", "bac"),
    ("range map sorted", "{{ range $k, $v := .map }}{{ $k }}{{ $v }}{{ end }}", "a1b2c3"),
    ("range map values", "{{ range .map }}{{ . }}{{ end }}", "123"),
    ("range empty else", "{{ range .empty }}x{{ else }}none{{ end }}", "none"),
    ("range nil else", "{{ range .nil }}x{{ else }}none{{ end }}", "none"),
    ("range missing else", "{{ range .nope }}x{{ else }}none{{ end }}", "none"),
    ("range int", "{{ range 3 }}{{ . }}{{ end }}", "012"),
    ("range int var", "{{ range $i := 3 }}{{ $i }}{{ end }}", "012"),
    ("range zero int", "{{ range 0 }}x{{ else }}e{{ end }}", "e"),
    ("break", "{{ range .list }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}", "1"),
    ("continue", "{{ range .list }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ . }}{{ end }}", "13"),
    ("nested range with dollar", "{{ range .list }}{{ range $.strs }}{{ . }}{{ end }}|{{ end }}", "bac|bac|bac|"),
    ("range body var per iteration", "{{ range .list }}{{ $y := . }}{{ $y }}{{ end }}", "123"),
    ("dot restored after range", "{{ range .list }}{{ end }}{{ .s }}", "hello"),
    ("range over until", "{{ range until 3 }}{{ . }}{{ end }}", "012"),
    # define / template / block.
    ("define and template", '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" .s }}', "[hello]"),
    ("template no pipe", '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" }}', "[<no value>]"),
    ("template dollar", '{{ define "x" }}{{ $.s }}{{ end }}{{ template "x" . }}', "hello"),
    ("block default", '{{ block "b" .n }}n={{ . }}{{ end }}', "n=42"),
    (
        "recursive template",
        '{{ define "r" }}{{ if . }}{{ . }}{{ template "r" (sub . 1) }}{{ end }}{{ end }}{{ template "r" 3 }}',
        "321",
    ),
    (
        "define own variables",
        '{{ define "v" }}{{ $x := 9 }}{{ $x }}{{ end }}{{ $x := 1 }}{{ template "v" }}{{ $x }}',
        "91",
    ),
    # and / or / not.
    ("and deciding value", "{{ and 1 0 2 }}", "0"),
    ("and last value", "{{ and 1 2 3 }}", "3"),
    ("or first true", '{{ or 0 "" "x" "y" }}', "x"),
    ("or last value", '{{ or 0 "" }}', ""),
    ("and short-circuits", '{{ and .fl (fail "not evaluated") }}', "false"),
    ("or short-circuits", '{{ or .t (fail "not evaluated") }}', "true"),
    ("not", "{{ not 0 }} {{ not .s }}", "true false"),
    ("and piped", "{{ .s | and 1 }}", "hello"),
    # Comparisons.
    ("eq ints", "{{ eq 1 1 }}", "true"),
    ("eq multi", "{{ eq 3 1 2 3 }}", "true"),
    ("eq multi none", "{{ eq 4 1 2 3 }}", "false"),
    ("eq strings", '{{ eq .s "hello" }}', "true"),
    ("eq nil nil", "{{ eq .nil .nope }}", "true"),
    ("lt int float is an error only when compared", "{{ if false }}{{ lt 1 1.5 }}{{ end }}", ""),
    ("eq bools", "{{ eq .t true }}", "true"),
    ("ne", "{{ ne 1 2 }}", "true"),
    ("lt", "{{ lt 1 2 }}", "true"),
    ("lt strings", '{{ lt "a" "b" }}', "true"),
    ("le", "{{ le 2 2 }}", "true"),
    ("gt", "{{ gt 1.5 2.5 }}", "false"),
    ("ge", "{{ ge 3 2 }}", "true"),
    # len, index, print*.
    ("len string bytes", '{{ len "héllo" }}', "6"),
    ("len list", "{{ len .list }}", "3"),
    ("len map", "{{ len .map }}", "3"),
    ("index list", "{{ index .list 1 }}", "2"),
    ("index map", '{{ index .map "b" }}', "2"),
    ("index missing key", '{{ index .map "zz" }}', "<no value>"),
    ("index nested", '{{ index .nested "x" "y" }}', "deep"),
    ("index string is byte", '{{ index "abc" 1 }}', "98"),
    ("print spaces", "{{ print 1 2 }}", "1 2"),
    ("print strings no space", '{{ print "a" "b" }}', "ab"),
    ("print mixed", '{{ print "a" 1 2 "b" }}', "a1 2b"),
    ("println", '{{ println 1 "a" }}', "1 a\n"),
    ("html builtin", "{{ html .html }}", "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"),
    ("urlquery", '{{ urlquery "a b&c" }}', "a+b%26c"),
    # printf verbs.
    ("printf s", '{{ printf "%s" .s }}', "hello"),
    ("printf d", '{{ printf "%d" 42 }}', "42"),
    ("printf zero pad", '{{ printf "%05d" 42 }}', "00042"),
    ("printf left", '{{ printf "%-6s|" "ab" }}', "ab    |"),
    ("printf right", '{{ printf "%6s|" "ab" }}', "    ab|"),
    ("printf precision", '{{ printf "%.2f" 3.14159 }}', "3.14"),
    ("printf plus", '{{ printf "%+d" 5 }}', "+5"),
    ("printf v list", '{{ printf "%v" .list }}', "[1 2 3]"),
    ("printf v map", '{{ printf "%v" .map }}', "map[a:1 b:2 c:3]"),
    ("printf q", '{{ printf "%q" "a\\"b" }}', '"a\\"b"'),
    ("printf x", '{{ printf "%x %X" 255 255 }}', "ff FF"),
    ("printf x string", '{{ printf "%x" "hi" }}', "6869"),
    ("printf o b", '{{ printf "%o %b" 8 5 }}', "10 101"),
    ("printf e", '{{ printf "%e" 1234.5678 }}', "1.234568e+03"),
    ("printf f default", '{{ printf "%f" 1.5 }}', "1.500000"),
    ("printf g", '{{ printf "%g" 0.000012345 }}', "1.2345e-05"),
    ("printf t", '{{ printf "%t" true }}', "true"),
    ("printf c", '{{ printf "%c" 65 }}', "A"),
    ("printf U", '{{ printf "%U" 0x1F600 }}', "U+1F600"),
    ("printf percent", '{{ printf "100%%" }}', "100%"),
    ("printf wrong type", '{{ printf "%d" "x" }}', "%!d(string=x)"),
    ("printf missing", '{{ printf "%s %s" "a" }}', "a %!s(MISSING)"),
    ("printf extra", '{{ printf "%s" "a" 1 }}', "a%!(EXTRA int=1)"),
    ("printf nil", '{{ printf "%v %d" nil nil }}', "<nil> %!d(<nil>)"),
    ("printf T", '{{ printf "%T %T %T %T" 1 "a" .list .map }}', "int string []interface {} map[string]interface {}"),
    ("printf float v", '{{ printf "%v %v" 1e21 0.1 }}', "1e+21 0.1"),
    ("printf width star", '{{ printf "%*d" 5 42 }}', "   42"),
    ("printf arg index", '{{ printf "%[2]s %[1]s" "a" "b" }}', "b a"),
    # Sprig strings.
    ("trunc", '{{ trunc 3 "abcdef" }}', "abc"),
    ("trunc negative", '{{ trunc -2 "abcdef" }}', "ef"),
    ("trunc longer", '{{ trunc 10 "abc" }}', "abc"),
    ("trim", '{{ trim "  a b  " }}', "a b"),
    ("trimAll", '{{ trimAll "$" "$$5.00$" }}', "5.00"),
    ("trimPrefix", '{{ trimPrefix "-" "-hello" }}', "hello"),
    ("trimSuffix", '{{ trimSuffix "-" "hello-" }}', "hello"),
    ("upper lower", '{{ upper "aB" }}{{ lower "aB" }}', "ABab"),
    ("title", '{{ title "hello world" }}', "Hello World"),
    ("repeat", '{{ repeat 3 "ab" }}', "ababab"),
    ("substr", '{{ substr 1 3 "hello" }}', "el"),
    ("nospace", '{{ nospace "a b\tc" }}', "abc"),
    ("abbrev", '{{ abbrev 5 "hello world" }}', "he..."),
    ("initials", '{{ initials "First Try" }}', "FT"),
    ("contains", '{{ contains "ell" .s }}', "true"),
    ("hasPrefix", '{{ hasPrefix "he" .s }}', "true"),
    ("hasSuffix", '{{ hasSuffix "x" .s }}', "false"),
    ("quote", '{{ quote "a" 1 }}', '"a" "1"'),
    ("quote escapes", '{{ quote "a\\"b\\n" }}', '"a\\"b\\n"'),
    ("squote", '{{ squote "a" }}', "'a'"),
    ("cat", '{{ cat "a" 1 nil "b" }}', "a 1 b"),
    ("indent non-empty lines", "{{ indent 2 .multi }}", "  line1\n  line2\n\n  line4"),
    ("nindent", '{{ nindent 4 "a" }}', "\n    a"),
    ("replace", '{{ "a-b-c" | replace "-" "_" }}', "a_b_c"),
    ("plural", '{{ plural "one" "many" 2 }}', "many"),
    ("snakecase", '{{ snakecase "FirstName" }}', "first_name"),
    ("kebabcase", '{{ kebabcase "FirstName" }}', "first-name"),
    ("camelcase", '{{ camelcase "http_server" }}', "HttpServer"),
    ("wrap", '{{ wrap 5 "aaa bbb ccc" }}', "aaa\nbbb\nccc"),
    # Regex.
    ("regexMatch", '{{ regexMatch "^[a-z]+$" "abc" }}', "true"),
    ("regexFind", '{{ regexFind "[0-9]+" "ab123cd45" }}', "123"),
    ("regexFindAll", '{{ regexFindAll "[0-9]" "a1b2c3" -1 }}', "[1 2 3]"),
    ("regexFindAll limit", '{{ regexFindAll "[0-9]" "a1b2c3" 2 }}', "[1 2]"),
    ("regexReplaceAll groups", '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', "-W-xxW-"),
    ("regexReplaceAllLiteral", '{{ regexReplaceAllLiteral "a(x*)b" "-ab-" "${1}" }}', "-${1}-"),
    ("regexSplit", '{{ regexSplit "z+" "pizza" -1 }}', "[pi a]"),
    ("regexMatch bad pattern is false", '{{ regexMatch "(" "x" }}', "false"),
    # Lists.
    ("list", '{{ list 1 "a" }}', "[1 a]"),
    (
        "first rest last initial",
        "{{ first .list }} {{ rest .list }} {{ last .list }} {{ initial .list }}",
        "1 [2 3] 3 [1 2]",
    ),
    ("first of empty", "{{ first .empty }}", "<no value>"),
    ("append", "{{ append .list 4 }}", "[1 2 3 4]"),
    ("prepend", "{{ prepend .list 0 }}", "[0 1 2 3]"),
    ("concat", "{{ concat .list .strs }}", "[1 2 3 b a c]"),
    ("reverse", "{{ reverse .list }}", "[3 2 1]"),
    ("uniq", "{{ uniq (list 1 1 2 1) }}", "[1 2]"),
    ("without", "{{ without .list 2 }}", "[1 3]"),
    ("has", "{{ has 2 .list }}", "true"),
    ("compact", '{{ compact (list 1 "" 0 "a" nil) }}', "[1 a]"),
    ("slice", "{{ slice .list 1 }} {{ slice .list 0 2 }}", "[2 3] [1 2]"),
    ("until", "{{ until 4 }}", "[0 1 2 3]"),
    ("until negative", "{{ until -3 }}", "[0 -1 -2]"),
    ("untilStep", "{{ untilStep 0 10 3 }}", "[0 3 6 9]"),
    ("seq", "{{ seq 3 }} / {{ seq 2 5 }} / {{ seq 0 2 6 }}", "1 2 3 / 2 3 4 5 / 0 2 4 6"),
    ("sortAlpha", "{{ sortAlpha .strs }}", "[a b c]"),
    ("join", '{{ join "," .strs }}', "b,a,c"),
    ("join ints", '{{ join "-" .list }}', "1-2-3"),
    ("split", '{{ $p := split "." "a.b.c" }}{{ $p._1 }}', "b"),
    ("splitList", '{{ splitList "," "a,b" }}', "[a b]"),
    ("splitn", '{{ splitn "," 2 "a,b,c" }}', "map[_0:a _1:b,c]"),
    # Dicts.
    ("dict", '{{ dict "b" 1 "a" 2 }}', "map[a:2 b:1]"),
    ("get", '{{ get .map "a" }} [{{ get .map "zz" }}]', "1 []"),
    ("set", '{{ $d := dict }}{{ $_ := set $d "k" "v" }}{{ $d.k }}', "v"),
    ("unset", '{{ unset (dict "a" 1 "b" 2) "a" }}', "map[b:2]"),
    ("hasKey", '{{ hasKey .map "a" }} {{ hasKey .map "z" }}', "true false"),
    ("pluck", '{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }}', "[1 3]"),
    ("dig", '{{ dig "x" "y" "def" .nested }} {{ dig "x" "q" "def" .nested }}', "deep def"),
    ("keys sorted", "{{ keys .map }}", "[a b c]"),
    ("values", "{{ values .map }}", "[1 2 3]"),
    ("pick", '{{ pick .map "a" "c" }}', "map[a:1 c:3]"),
    ("omit", '{{ omit .map "a" }}', "map[b:2 c:3]"),
    ("merge keeps dst", '{{ merge (dict "a" 1) (dict "a" 2 "b" 3) }}', "map[a:1 b:3]"),
    ("mergeOverwrite", '{{ mergeOverwrite (dict "a" 1) (dict "a" 2 "b" 3) }}', "map[a:2 b:3]"),
    ("deepCopy", "{{ deepCopy .nested }}", "map[x:map[y:deep]]"),
    # Math.
    ("add", "{{ add 1 2 3 }}", "6"),
    ("add strings", '{{ add "2" 3 }}', "5"),
    ("add1", "{{ add1 .n }}", "43"),
    ("sub", "{{ sub 5 7 }}", "-2"),
    ("mul", "{{ mul 2 3 4 }}", "24"),
    ("div truncates", "{{ div 7 2 }}", "3"),
    ("div negative truncates to zero", "{{ div -7 2 }}", "-3"),
    ("mod", "{{ mod 7 3 }} {{ mod -7 3 }}", "1 -1"),
    ("add floats truncate", "{{ add 1.9 1.9 }}", "2"),
    ("max min", "{{ max 1 5 3 }} {{ min 4 2 8 }}", "5 2"),
    ("floor ceil", "{{ floor 1.5 }} {{ ceil 1.2 }}", "1 2"),
    ("round", "{{ round 3.14159 2 }}", "3.14"),
    ("int", '{{ int "42" }} {{ int 3.9 }}', "42 3"),
    ("int64", "{{ int64 7 }} {{ typeOf (int64 7) }} {{ typeOf (add 1 2) }} {{ typeOf (len .s) }}", "7 int64 int64 int"),
    ("integral float literal is an int", '{{ trunc 2.0 "abc" }}', "ab"),
    ("int64 compares with int", "{{ eq (add 1 1) 2 }}", "true"),
    ("int conversion for int parameters", "{{ trunc (int (add 1 1)) .s }}", "he"),
    ("float64", '{{ float64 "1.5" }}', "1.5"),
    ("atoi", '{{ atoi "12" }} {{ atoi "x" }}', "12 0"),
    ("toString", "{{ toString 5 | quote }}", '"5"'),
    ("toStrings", "{{ toStrings .list }}", "[1 2 3]"),
    # Defaults and flow.
    ("default used", '{{ .nope | default "d" }}', "d"),
    ("default empty string", '{{ .e | default "d" }}', "d"),
    ("default zero", "{{ 0 | default 5 }}", "5"),
    ("default kept", '{{ .s | default "d" }}', "hello"),
    ("default false", "{{ .fl | default true }}", "true"),
    ("empty", "{{ empty .e }} {{ empty .s }} {{ empty .nope }} {{ empty .emptymap }}", "true false true true"),
    ("coalesce", '{{ coalesce .nope .e "x" }}', "x"),
    ("ternary", '{{ ternary "y" "n" true }} {{ true | ternary "y" "n" }}', "y y"),
    ("required present", '{{ required "need s" .s }}', "hello"),
    # Encoding and hashing.
    ("b64", '{{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }}', "aGVsbG8= hello"),
    (
        "b64dec bad input",
        '{{ b64dec "ab$d" }} / {{ b64dec "abc" }}',
        "illegal base64 data at input byte 2 / illegal base64 data at input byte 0",
    ),
    ("b32", '{{ b32enc "hi" }} {{ b32dec "NBUQ====" }}', "NBUQ==== hi"),
    ("toJson", "{{ toJson .map }}", '{"a":1,"b":2,"c":3}'),
    ("toJson html escaped", '{{ toJson "<&>" }}', '"\\u003c\\u0026\\u003e"'),
    ("toRawJson", '{{ toRawJson "<&>" }}', '"<&>"'),
    ("toJson floats like Go", "{{ toJson (list 1.0 .f .big 1e21) }}", "[1,3.5,1000000,1e+21]"),
    ("toPrettyJson", '{{ toPrettyJson (dict "a" (list 1)) }}', '{\n  "a": [\n    1\n  ]\n}'),
    (
        "fromJson numbers are float64",
        '{{ $j := fromJson "{\\"a\\": 1, \\"b\\": [true]}" }}{{ $j.a }} {{ typeOf $j.a }} {{ $j.b }}',
        "1 float64 [true]",
    ),
    ("toYaml", '{{ toYaml (dict "b" (list 1 2) "a" "x") }}', "a: x\nb:\n- 1\n- 2"),
    ("toYaml quotes ambiguous strings", '{{ toYaml (dict "a" "true" "b" "1") }}', 'a: "true"\nb: "1"'),
    ("toYaml nindent", '{{ dict "k" "v" | toYaml | nindent 2 }}', "\n  k: v"),
    ("fromYaml", '{{ $y := fromYaml "a: 1\\nb: [x, y]" }}{{ $y.a }} {{ $y.b }}', "1 [x y]"),
    ("sha256sum", '{{ sha256sum "hello" }}', "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
    ("sha1sum", '{{ sha1sum "hello" }}', "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ("adler32sum", '{{ adler32sum "hello" }}', "103547413"),
    # Dates: now is the render time.
    ("now date", '{{ now | date "2006-01-02T15:04:05Z07:00" }}', "2024-03-05T07:08:09Z"),
    ("date layout", '{{ date "Jan 2, 2006 3:04PM Mon" now }}', "Mar 5, 2024 7:08AM Tue"),
    ("dateInZone", '{{ dateInZone "2006-01-02 15:04 MST" now "UTC" }}', "2024-03-05 07:08 UTC"),
    ("unixEpoch", "{{ unixEpoch now }}", "1709622489"),
    ("duration", '{{ duration "3661" }} {{ duration (int64 90) }} {{ duration "0" }}', "1h1m1s 1m30s 0s"),
    ("duration of an int is 0s in Sprig v3", "{{ duration 90 }}", "0s"),
    ("date of a string means now", '{{ date "2006-01-02" "yesterday" }}', "2024-03-05"),
    ("toDate", '{{ toDate "2006-01-02" "2017-12-31" | date "02/01/2006" }}', "31/12/2017"),
    (
        "toDate with zone",
        '{{ toDate "2006-01-02T15:04:05Z07:00" "2024-01-02T03:04:05+02:00" | unixEpoch }}',
        "1704157445",
    ),
    ("toDate 12-hour clock", '{{ toDate "Jan 2 2006 3:04PM" "Mar 5 2024 7:08PM" | date "15:04" }}', "19:08"),
    ("toDate invalid is the zero time", '{{ toDate "2006-01-02" "nope" }}', "0001-01-01 00:00:00 +0000 UTC"),
    ("date of unix seconds", '{{ date "2006-01-02 15:04" 86400 }}', "1970-01-02 00:00"),
    ("ago", "{{ ago now }}", "0s"),
    ("now prints like time.Time", "{{ now }}", "2024-03-05 07:08:09 +0000 UTC"),
    ("dateModify", '{{ now | dateModify "-1.5h" | date "15:04" }}', "05:38"),
    ("durationRound", '{{ durationRound "2h10m5s" }} {{ durationRound "400h" }} {{ durationRound 5 }}', "2h 16d 0s"),
    ("htmlDate", "{{ htmlDate now }}", "2024-03-05"),
    # Float math (Sprig's *f functions go through decimals).
    ("addf", "{{ addf 1.5 2 }} {{ add1f 1.5 }} {{ subf 5 1.5 }}", "3.5 2.5 3.5"),
    ("mulf divf", "{{ mulf 1.5 2 }} {{ divf 7 2 }}", "3 3.5"),
    ("maxf minf", "{{ maxf 1 2.5 }} {{ minf 1 2.5 }}", "2.5 1"),
    ("toDecimal", '{{ toDecimal "0777" }}', "511"),
    ("abbrevboth", '{{ abbrevboth 5 10 "1234 5678 9123" }}', "...5678..."),
    ("hello", "{{ hello }}", "Hello!"),
    (
        "urlParse",
        '{{ $u := urlParse "https://user@example.com:8443/a/b?x=1#f" }}{{ $u.scheme }} {{ $u.host }} {{ $u.hostname }} {{ $u.path }} {{ $u.query }} {{ $u.fragment }} {{ $u.userinfo }}',
        "https example.com:8443 example.com /a/b x=1 f user",
    ),
    ("urlJoin", '{{ urlJoin (dict "scheme" "https" "host" "h:1" "path" "/p" "query" "q=1") }}', "https://h:1/p?q=1"),
    # Types.
    (
        "kindOf",
        '{{ kindOf "a" }} {{ kindOf 1 }} {{ kindOf .list }} {{ kindOf .map }} {{ kindOf 1.5 }}',
        "string int slice map float64",
    ),
    ("typeOf", "{{ typeOf .list }} {{ typeOf .nil }}", "[]interface {} <nil>"),
    ("kindIs typeIs", '{{ kindIs "int" 1 }} {{ typeIs "string" "a" }}', "true true"),
    ("semverCompare", '{{ semverCompare ">=1.2.0" "1.10.0" }}', "true"),
    # Breakglass functions.
    ("truncName", '{{ truncName 5 "abcdefgh" }} {{ truncName 0 "abc" }}', "abcde abc"),
    ("k8sName", '{{ k8sName "My App_v1.2!" }}', "my-app-v1-2"),
    ("k8sName empty", '{{ k8sName "!!!" }}', "resource"),
    ("parseQuantity", '{{ parseQuantity "2Gi" }} {{ parseQuantity "500m" }}', "2147483648 1"),
    ("formatQuantity", "{{ formatQuantity 1073741824 }} {{ formatQuantity 1536 }}", "1Gi 1536"),
    ("yamlQuote plain", '{{ yamlQuote "abc" }}', "abc"),
    ("yamlQuote special", '{{ yamlQuote "a: b" }} {{ yamlQuote "yes" }} {{ yamlQuote "" }}', '"a: b" "yes" ""'),
    ("yamlSafe", '{{ yamlSafe "a: b # c" }}', "a- b - c"),
    ("resourceQuantity", '{{ resourceQuantity "10Gi" }}', "10Gi"),
]


@pytest.mark.parametrize(("src", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_render(src: str, expected: str) -> None:
    assert render("t", src, data(), now=NOW) == expected


ERRORS: list[tuple[str, str, str]] = [
    (
        "required",
        '{{ required "value is required" .vars.x }}',
        'template: t:1:3: executing "t" at <required "value is required" .vars.x>: error calling required: value is required',
    ),
    (
        "required piped on line 3",
        'a\nb\n  {{ .vars.x | required "need x" }}',
        'template: t:3:15: executing "t" at <required "need x">: error calling required: need x',
    ),
    ("fail", '{{ fail "boom" }}', 'template: t:1:3: executing "t" at <fail "boom">: error calling fail: boom'),
    (
        "eq incompatible",
        '{{ eq 1 "a" }}',
        'template: t:1:3: executing "t" at <eq 1 "a">: error calling eq: incompatible types for comparison: int and string',
    ),
    (
        "eq int float",
        "{{ eq .n 42.0 }}",
        'template: t:1:3: executing "t" at <eq .n 42.0>: error calling eq: incompatible types for comparison: int and float64',
    ),
    (
        "lt nil",
        "{{ lt .nope 1 }}",
        'template: t:1:3: executing "t" at <lt .nope 1>: error calling lt: invalid type for comparison',
    ),
    (
        "lt bools",
        "{{ lt true false }}",
        'template: t:1:3: executing "t" at <lt true false>: error calling lt: invalid type for comparison',
    ),
    (
        "eq one arg",
        "{{ eq 1 }}",
        'template: t:1:3: executing "t" at <eq 1>: error calling eq: missing argument for comparison',
    ),
    (
        "nil pointer field",
        "{{ .nil.x }}",
        'template: t:1:3: executing "t" at <.nil.x>: nil pointer evaluating interface {}.x',
    ),
    (
        "field of string",
        "{{ .s.x }}",
        'template: t:1:3: executing "t" at <.s.x>: can\'t evaluate field x in type string',
    ),
    (
        "method with args",
        "{{ .map.a 1 }}",
        'template: t:1:3: executing "t" at <.map.a>: a is not a method but has arguments',
    ),
    (
        "range over string",
        "{{ range .s }}{{ end }}",
        'template: t:1:9: executing "t" at <{{range .s}}{{end}}>: range can\'t iterate over hello',
    ),
    (
        "index out of range",
        "{{ index .list 5 }}",
        'template: t:1:3: executing "t" at <index .list 5>: error calling index: index out of range: 5',
    ),
    (
        "len of int",
        "{{ len 3 }}",
        'template: t:1:3: executing "t" at <len 3>: error calling len: len of type int',
    ),
    (
        "len of missing",
        "{{ len .nope }}",
        'template: t:1:3: executing "t" at <len .nope>: error calling len: reflect: call of reflect.Value.Type on zero Value',
    ),
    (
        "len of nil",
        "{{ len .nil }}",
        'template: t:1:3: executing "t" at <len .nil>: error calling len: len of nil pointer',
    ),
    (
        "first of nil panics in Sprig",
        "{{ first .nil }}",
        'template: t:1:3: executing "t" at <first .nil>: error calling first: runtime error: invalid memory address or nil pointer dereference',
    ),
    (
        "first of string",
        "{{ first .s }}",
        'template: t:1:3: executing "t" at <first .s>: error calling first: Cannot find first on type string',
    ),
    (
        "Sprig slice wants a list",
        '{{ slice "abc" 1 2 }}',
        'template: t:1:3: executing "t" at <slice "abc" 1 2>: error calling slice: list should be type of slice or array but string',
    ),
    (
        "wrong arg count",
        "{{ trunc 1 }}",
        'template: t:1:3: executing "t" at <trunc 1>: wrong number of args for trunc: want 2 got 1',
    ),
    (
        "wrong arg count variadic",
        "{{ printf }}",
        'template: t:1:3: executing "t" at <printf>: wrong number of args for printf: want at least 1 got 0',
    ),
    (
        "earlier pipeline stage fails first",
        '{{ fail "first" | printf "%s" (fail "second") }}',
        'template: t:1:3: executing "t" at <fail "first">: error calling fail: first',
    ),
    (
        "mustToDate",
        '{{ mustToDate "2006-01-02" "x" }}',
        'template: t:1:3: executing "t" at <mustToDate "2006-01-02" "x">: error calling mustToDate: parsing time "x" as "2006-01-02": cannot parse "x" as "2006"',
    ),
    (
        "unsupported Sprig function fails only when run",
        '{{ getHostByName "example.com" }}',
        'template: t:1:3: executing "t" at <getHostByName "example.com">: error calling getHostByName: function getHostByName is not supported by this engine',
    ),
    (
        "literal of the wrong type",
        '{{ trunc "a" .s }}',
        'template: t:1:9: executing "t" at <"a">: expected integer; found "a"',
    ),
    (
        "value of the wrong type",
        "{{ trunc .s .s }}",
        'template: t:1:9: executing "t" at <.s>: wrong type for value; expected int; got string',
    ),
    (
        "int64 results are not ints",
        "{{ $n := add 1 2 }}{{ trunc $n .s }}",
        'template: t:1:28: executing "t" at <$n>: wrong type for value; expected int; got int64',
    ),
    (
        "piped value of the wrong type",
        "{{ 5 | upper }}",
        'template: t:1:7: executing "t" at <upper>: wrong type for value; expected string; got int',
    ),
    (
        "missing value for a string parameter",
        "{{ upper .nope }}",
        'template: t:1:9: executing "t" at <.nope>: invalid value; expected string',
    ),
    (
        "nil literal for an int parameter",
        "{{ trunc nil .s }}",
        'template: t:1:9: executing "t" at <nil>: cannot assign nil to int',
    ),
    (
        "ternary needs a bool",
        '{{ ternary 1 2 "true" }}',
        'template: t:1:15: executing "t" at <"true">: expected bool; found "true"',
    ),
    (
        "map parameter given a list",
        '{{ get .list "a" }}',
        'template: t:1:7: executing "t" at <.list>: wrong type for value; expected map[string]interface {}; got []interface {}',
    ),
    (
        "div by zero",
        "{{ div 1 0 }}",
        'template: t:1:3: executing "t" at <div 1 0>: error calling div: runtime error: integer divide by zero',
    ),
    (
        "undefined template",
        '{{ template "nope" }}',
        'template: t:1:12: executing "t" at <{{template "nope"}}>: template "nope" not defined',
    ),
    (
        "error inside define names it",
        '{{ define "d" }}\n{{ fail "x" }}{{ end }}{{ template "d" }}',
        'template: t:2:3: executing "d" at <fail "x">: error calling fail: x',
    ),
    (
        "byte column after unicode",
        'é {{ fail "x" }}',
        'template: t:1:6: executing "t" at <fail "x">: error calling fail: x',
    ),
    (
        "int range with two vars",
        "{{ range $i, $v := 3 }}{{ end }}",
        'template: t:1:9: executing "t" at <{{range $i, $v := 3}}{{end}}>: can\'t use int to iterate over more than one variable',
    ),
]


@pytest.mark.parametrize(("src", "message"), [(c[1], c[2]) for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_render_errors(src: str, message: str) -> None:
    with pytest.raises(TemplateRenderError) as info:
        render("t", src, data(), now=NOW)
    assert str(info.value) == message


def test_error_fields() -> None:
    with pytest.raises(TemplateRenderError) as info:
        render("pod", 'x\n {{ fail "no" }}', {}, now=NOW)
    err = info.value
    assert (err.template, err.line, err.column) == ("pod", 2, 4)
    assert err.message == 'executing "pod" at <fail "no">: error calling fail: no'


def test_syntax_errors_surface_from_compile() -> None:
    with pytest.raises(TemplateSyntaxError):
        render("t", "{{ if }}", {})


def test_error_only_when_reached() -> None:
    # Go reports execution errors only for actions that run.
    assert render("t", '{{ if false }}{{ fail "x" }}{{ trunc 1 }}{{ end }}ok', {}) == "ok"


def test_cache_returns_same_compiled_template() -> None:
    engine = Engine()
    a = engine.compile("t", "{{ .s }}")
    assert engine.compile("t", "{{ .s }}") is a
    assert engine.compile("u", "{{ .s }}") is not a
    assert a.render({"s": "x"}) == "x"


def test_cache_is_bounded() -> None:
    engine = Engine(cache_size=2)
    first = engine.compile("a", "1")
    engine.compile("b", "2")
    engine.compile("c", "3")
    assert engine.compile("a", "1") is not first


def test_compile_is_thread_safe() -> None:
    engine = Engine()
    results: list[str] = []

    def work(i: int) -> None:
        results.append(engine.compile("t", "{{ . }}").render(i % 3))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted(str(i % 3) for i in range(16))


def test_render_does_not_mutate_between_renders() -> None:
    engine = Engine()
    tmpl = engine.compile("t", "{{ $x := 0 }}{{ range .l }}{{ $x = add $x . }}{{ end }}{{ $x }}")
    assert tmpl.render({"l": [1, 2]}) == "3"
    assert tmpl.render({"l": [5]}) == "5"


def test_now_comes_from_the_context() -> None:
    out = render("t", '{{ now | date "2006-01-02 15:04:05" }}', {"now": "2023-12-31T23:59:58Z"})
    assert out == "2023-12-31 23:59:58"


def test_now_defaults_to_wall_clock() -> None:
    year = render("t", '{{ now | date "2006" }}', {})
    assert year == str(datetime.now(tz=UTC).year)


def test_non_deterministic_functions_have_the_right_shape() -> None:
    # randAlphaNum and uuidv4 are not deterministic (as in Sprig); only their form can be asserted.
    out = render("t", "{{ randAlphaNum 12 }} {{ uuidv4 }}", {})
    rand, uid = out.split(" ")
    assert len(rand) == 12
    assert rand.isalnum()
    assert len(uid) == 36
    assert uid.count("-") == 4


def test_sprig_only_engine_for_the_legacy_template_field() -> None:
    # Sprig's indent pads every line, empty ones included; the breakglass indent skips empty lines.
    engine = Engine(sprig_only=True)
    assert engine.render("t", "{{ indent 2 .s }}", {"s": "a\n\nb"}) == "  a\n  \n  b"
    assert render("t", "{{ indent 2 .s }}", {"s": "a\n\nb"}) == "  a\n\n  b"
    with pytest.raises(TemplateSyntaxError, match='function "k8sName" not defined'):
        engine.compile("t", '{{ k8sName "x" }}')
    with pytest.raises(TemplateSyntaxError, match='function "toYaml" not defined'):
        engine.compile("t", "{{ toYaml . }}")


def test_env_is_hermetic() -> None:
    assert render("t", '[{{ env "HOME" }}]', {}) == "[]"


def test_case_table_is_large() -> None:
    assert len(CASES) + len(ERRORS) >= 150
