"""The render context (docs/behaviour/rendering.md#render-context): both spellings, absent keys, vars sanitising."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from templating.context import RenderInputs, build_context, sanitize_var
from templating.engine import render

NOW = datetime(2024, 3, 5, 7, 8, 9, 123456, tzinfo=UTC)


def inputs(**overrides: Any) -> RenderInputs:
    """Inputs of a typical session, with overrides."""
    base: dict[str, Any] = {
        "session_name": "debug-alice-1",
        "session_namespace": "breakglass",
        "cluster": "prod-eu",
        "requested_by": "alice@example.com",
        "reason": "Investigating crash",
        "target_namespace": "debug-ns",
        "template_name": "standard",
        "now": NOW,
    }
    base.update(overrides)
    return RenderInputs(**base)


def r(src: str, **overrides: Any) -> str:
    """Render src with the context of inputs(**overrides)."""
    return render("t", src, build_context(inputs(**overrides)), now=NOW)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("{{ .session.name }}", "debug-alice-1"),
        ("{{ .session.namespace }}", "breakglass"),
        ("{{ .session.cluster }}", "prod-eu"),
        ("{{ .session.requestedBy }}", "alice@example.com"),
        ("{{ .session.reason }}", "Investigating crash"),
        ("[{{ .session.expiresAt }}]", "[]"),
        ("{{ .target.namespace }}", "debug-ns"),
        ("{{ .target.clusterName }}", "prod-eu"),
        ("{{ .template.name }}", "standard"),
        ("{{ .now }}", "2024-03-05T07:08:09Z"),
        ("{{ .enabledResources }}", "<no value>"),
        ('{{ index .labels "app.kubernetes.io/managed-by" }}', "breakglass"),
        ('{{ index .labels "breakglass.t-caas.telekom.com/session" }}', "debug-alice-1"),
        ('{{ index .labels "breakglass.t-caas.telekom.com/session-cluster" }}', "prod-eu"),
        ('{{ index .annotations "breakglass.t-caas.telekom.com/created-by" }}', "alice@example.com"),
        ("{{ .Session.Name }}", "debug-alice-1"),
        ("{{ .Session.Namespace }}", "breakglass"),
        ("{{ .Session.Spec.Cluster }}", "prod-eu"),
        ("{{ .Session.Spec.User }}", "alice@example.com"),
        ("{{ .Session.Spec.TargetNamespace }}", "debug-ns"),
        ("{{ .Session.Spec.Reason }}", "Investigating crash"),
        ("{{ .Target.Namespace }}", "debug-ns"),
        ("{{ .Target.ClusterName }}", "prod-eu"),
        ("{{ .Template.Name }}", "standard"),
        ("{{ .Now }}", "2024-03-05T07:08:09Z"),
        ("{{ len .Labels }} {{ len .Annotations }}", "3 1"),
        ("{{ .Session.Unknown }}", "<no value>"),
    ],
)
def test_both_spellings(src: str, expected: str) -> None:
    assert r(src) == expected


@pytest.mark.parametrize(
    "src",
    [
        "{{ .session.approvedBy }}",
        "{{ .template.displayName }}",
        "{{ .binding.name }}",
        "{{ .binding.namespace }}",
        "{{ .vars.anything }}",
        "{{ .Vars.anything }}",
        "{{ .Binding.Name }}",
    ],
)
def test_absent_keys_in_a_pod_template_context(src: str) -> None:
    assert r(src, binding_name="b1", binding_namespace="ns") == "<no value>"


def test_absent_keys_are_really_absent() -> None:
    ctx = build_context(inputs())
    assert "vars" not in ctx
    assert "binding" not in ctx
    assert "approvedBy" not in ctx["session"]
    assert "displayName" not in ctx["template"]
    assert ctx["enabledResources"] is None


def test_optional_keys_when_present() -> None:
    expires = datetime(2024, 3, 5, 8, 8, 9, tzinfo=UTC)
    out = r(
        "{{ .session.approvedBy }} {{ .template.displayName }} {{ .session.expiresAt }} {{ .vars.image }} {{ .Vars.image }}",
        approved_by="bob",
        template_display_name="Standard",
        expires_at=expires,
        vars={"image": "busybox"},
    )
    assert out == "bob Standard 2024-03-05T08:08:09Z busybox busybox"


def test_auxiliary_context_has_binding_and_enabled_resources() -> None:
    src = "{{ .binding.name }}/{{ .binding.namespace }} {{ .Binding.Name }} {{ .enabledResources }}"
    out = r(src, auxiliary=True, binding_name="b1", binding_namespace="teams", enabled_resources=["np", "sa"])
    assert out == "b1/teams b1 [np sa]"


def test_auxiliary_without_binding_or_resources() -> None:
    assert r("{{ .binding.name }} {{ .enabledResources }}", auxiliary=True) == "<no value> []"


def test_vars_are_sanitised_in_both_spellings() -> None:
    out = r("{{ .vars.x }}|{{ .Vars.x }}", vars={"x": "---\nhostNetwork: true"})
    assert out == " --- hostNetwork: true| --- hostNetwork: true"


def test_context_is_fresh_each_call() -> None:
    a = build_context(inputs())
    a["labels"]["x"] = "y"
    assert "x" not in build_context(inputs())["labels"]
    assert "x" not in a["Labels"]


def test_naive_datetimes_are_utc() -> None:
    ctx = build_context(inputs(now=datetime(2024, 1, 1, 0, 0, 0)))  # noqa: DTZ001 - deliberately naive
    assert ctx["now"] == "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("a\nb", "a b"),
        ("a\r\nb", "a b"),
        ("a\rb", "a b"),
        ("a\u0085b", "a b"),
        ("a\u2028b\u2029c", "a b c"),
        ("a\n\nb", "a  b"),
        ("---", " ---"),
        ("...", " ..."),
        ("--- x", " --- x"),
        ("---\tx", " ---\tx"),
        ("---\nhostNetwork: true", " --- hostNetwork: true"),
        ("...\r\nx", " ... x"),
        ("---foo", "---foo"),
        ("...bar", "...bar"),
        ("----", "----"),
        ("x---", "x---"),
        (" ---", " ---"),
        ("key: {{ value }} # comment", "key: {{ value }} # comment"),
        ("ünïcödé ✓", "ünïcödé ✓"),
        ("", ""),
    ],
)
def test_sanitize_var(value: str, expected: str) -> None:
    assert sanitize_var(value) == expected


def test_inputs_are_frozen() -> None:
    i = inputs()
    with pytest.raises(AttributeError):
        i.session_name = "x"  # type: ignore[misc]
