"""Templates cannot reach Python internals, call methods, or run unbounded: every attempt fails cleanly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from templating.engine import Engine, render
from templating.errors import TemplateRenderError, TemplateSyntaxError


class Secretive:
    """An object with methods and private state that a template must never see."""

    def __init__(self) -> None:
        self._secret = "s3cr3t"
        self.public = "pub"

    def method(self) -> str:
        return "called"


@pytest.fixture
def clock() -> Iterator[None]:
    """Every case here must fail within a second."""
    start = time.monotonic()
    yield
    assert time.monotonic() - start < 5


def fails(src: str, data: Any = None) -> TemplateRenderError:
    """Render src and return the render error it must raise."""
    with pytest.raises(TemplateRenderError) as info:
        render("t", src, {} if data is None else data)
    return info.value


@pytest.mark.parametrize(
    "src",
    ["{{ .__class__ }}", "{{ .__dict__ }}", "{{ ._private }}", "{{ .keys }}", "{{ .items }}", "{{ .get }}"],
)
def test_dunder_and_method_names_are_just_missing_keys_of_maps(src: str) -> None:
    # On a map a field is a key lookup and nothing else, exactly as in Go.
    assert render("t", src, {"a": 1}) == "<no value>"


@pytest.mark.parametrize(
    ("src", "field"),
    [
        ("{{ .s.__class__ }}", "__class__"),
        ("{{ .s.upper }}", "upper"),
        ("{{ .l.append }}", "append"),
        ("{{ .l.__len__ }}", "__len__"),
        ("{{ .n.real }}", "real"),
    ],
)
def test_attributes_of_non_maps_are_refused(src: str, field: str) -> None:
    err = fails(src, {"s": "x", "l": [1], "n": 1})
    assert f"can't evaluate field {field} in type" in err.message


def test_objects_are_opaque() -> None:
    obj = Secretive()
    for src, field in (
        ("{{ .o._secret }}", "_secret"),
        ("{{ .o.public }}", "public"),
        ("{{ .o.method }}", "method"),
        ("{{ .o.__init__ }}", "__init__"),
    ):
        err = fails(src, {"o": obj})
        assert err.message.endswith(f"can't evaluate field {field} in type Secretive")


def test_methods_cannot_be_called() -> None:
    err = fails('{{ .s.replace "a" "b" }}', {"s": "abc"})
    assert "can't evaluate field replace in type string" in err.message
    err = fails('{{ call .s "x" }}', {"s": "abc"})
    assert "error calling call: non-function abc of type string" in err.message


def test_chained_dunders_on_function_results_are_refused() -> None:
    err = fails("{{ (list 1).__class__.__mro__ }}")
    assert "can't evaluate field __class__ in type []interface {}" in err.message


def test_jinja_syntax_cannot_be_injected() -> None:
    payload = "{% for x in ().__class__.__base__.__subclasses__() %}{# x #}{% endfor %}"
    assert render("t", payload, {}) == payload
    assert render("t", "{{ .p }}", {"p": payload}) == payload
    assert render("t", '{{ "{{ 7*7 }}" }}', {}) == "{{ 7*7 }}"


@pytest.mark.usefixtures("clock")
def test_huge_until_fails_cleanly() -> None:
    err = fails("{{ until 10000000 }}")
    assert err.message.endswith("error calling until: list of 10000000 elements exceeds the limit of 1000000")
    err = fails("{{ range until 10000000 }}{{ end }}")
    assert "exceeds the limit" in err.message


@pytest.mark.usefixtures("clock")
def test_range_budget_is_per_render() -> None:
    err = fails("{{ range $i := 2000 }}{{ range $j := 1000 }}{{ end }}{{ end }}")
    assert err.message.endswith("range iteration budget exceeded (1000000 iterations per render)")
    assert (err.line, err.column) == (1, 31)  # Go's 0-based byte column of the inner range's pipeline


@pytest.mark.usefixtures("clock")
def test_huge_int_range_fails_cleanly() -> None:
    err = fails("{{ range 100000000000 }}{{ end }}")
    assert "range iteration budget exceeded" in err.message


@pytest.mark.usefixtures("clock")
def test_huge_seq_and_repeat_fail_cleanly() -> None:
    assert "exceeds the limit" in fails("{{ seq 100000000 }}").message
    assert "result longer than" in fails('{{ repeat 100000000 "xx" }}').message
    assert "exceeds the limit" in fails("{{ untilStep 0 100000000 1 }}").message


@pytest.mark.usefixtures("clock")
def test_deep_recursion_via_template_fails_cleanly() -> None:
    err = fails('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}')
    assert err.message == 'executing "r" at <{{template "r" .}}>: exceeded maximum template depth (100)'


@pytest.mark.usefixtures("clock")
def test_branching_recursion_is_bounded() -> None:
    # Depth stays below 100 but the call tree is 2^60 wide: the call budget stops it.
    src = (
        '{{ define "b" }}{{ if . }}{{ template "b" (sub . 1) }}{{ template "b" (sub . 1) }}{{ end }}{{ end }}'
        '{{ template "b" 60 }}'
    )
    err = fails(src)
    assert "template call budget exceeded (10000 calls per render)" in err.message


@pytest.mark.usefixtures("clock")
def test_string_doubling_is_bounded() -> None:
    src = '{{ $s := "xxxxxxxxxx" }}{{ range until 40 }}{{ $s = print $s $s | replace "x" "xx" }}{{ end }}'
    err = fails(src)
    assert "result longer than" in err.message


@pytest.mark.usefixtures("clock")
def test_print_doubling_is_bounded() -> None:
    err = fails('{{ $s := "xxxxxxxxxx" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}{{ len $s }}')
    assert err.message.endswith("error calling print: result longer than 10000000 characters")


@pytest.mark.usefixtures("clock")
def test_output_is_bounded() -> None:
    err = fails('{{ $s := repeat 5000000 "x" }}{{ range until 1000 }}{{ $s }}{{ end }}')
    assert err.message == "output exceeds the limit of 16000000 characters"


@pytest.mark.usefixtures("clock")
def test_literal_text_in_loops_counts_towards_the_output_limit() -> None:
    body = "y" * 100_000
    err = fails("{{ range until 1000 }}" + body + "{{ end }}")
    assert err.message == "output exceeds the limit of 16000000 characters"


def test_deeply_nested_ranges_fail_at_compile_time_cleanly() -> None:
    src = "{{ range . }}" * 30 + "{{ end }}" * 30
    with pytest.raises(TemplateSyntaxError) as info:
        Engine().compile("t", src)
    assert "nested too deeply" in str(info.value)


def test_engine_environment_exposes_no_globals() -> None:
    for name in ("range", "lipsum", "cycler", "joiner", "namespace", "dict"):
        with pytest.raises(TemplateRenderError):
            render("t", "{{ ." + name + ".x.y }}", {name: None})
