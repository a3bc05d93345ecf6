"""The UI's pure presentation rules, as tables: relative times, states, and which form field a refusal is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.ui.format import create_field_errors, relative, state_class, state_symbol
from domain.session import SessionState

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(0), "now"),
        (timedelta(seconds=42), "in 42 s"),
        (timedelta(minutes=42, seconds=10), "in 42 min"),
        (timedelta(hours=1, minutes=5), "in 1 h 5 min"),
        (timedelta(hours=2), "in 2 h"),
        (timedelta(days=2, hours=3), "in 2 d 3 h"),
        (-timedelta(minutes=3), "3 min ago"),
        (-timedelta(days=1), "1 d ago"),
    ],
)
def test_relative_times(offset: timedelta, words: str) -> None:
    assert relative((NOW + offset).strftime("%Y-%m-%dT%H:%M:%SZ"), NOW) == words


def test_no_time_is_no_words() -> None:
    assert relative(None, NOW) == relative("", NOW) == relative("yesterday", NOW) == ""


def test_every_state_has_its_own_symbol() -> None:
    symbols = [state_symbol(s) for s in SessionState]
    assert len(set(symbols)) == len(symbols)
    assert state_symbol("Nonsense") == "?"
    assert state_class(None) == "unknown"


@pytest.mark.parametrize(
    ("message", "details", "field"),
    [
        ("templateRef is required", "", "templateRef"),
        ("template 'nope' not found", "", "templateRef"),
        ("cluster is required", "", "cluster"),
        ("cluster 'x' is not ready for debug sessions", "", "cluster"),
        ("cluster 'x' is not configured for debug sessions", "", "cluster"),
        ("requestedDuration 9h exceeds maximum duration 4h", "", "requestedDuration"),
        ("invalid requestedDuration: bad", "", "requestedDuration"),
        ("missing required request reason", "", "reason"),
        ("reason must be at least 10 characters", "", "reason"),
        (
            "template 't' does not allow user-specified namespaces: namespaceConstraints.allowUserNamespace=false, "
            "only defaultNamespace 'x' may be used",
            "",
            "targetNamespace",
        ),
        ("namespace 'kube-system' is explicitly denied by template spec...", "", "targetNamespace"),
        ("scheduling option 'gpu' not found in template or binding", "", "selectedSchedulingOption"),
        ("scheduling option is required but none selected and no default defined", "", "selectedSchedulingOption"),
        ("binding 'a/b' not found", "", "bindingRef"),
        ("bindingRef must use namespace/name format", "", "bindingRef"),
        ("invalid request body: invitedParticipants.0: Input should be a valid string", "", "invitedParticipants"),
        ("user is not allowed to request this debug session", "", ""),
        ("session limit reached: maximum 1 active sessions per user allowed via this binding", "", ""),
        ("binding scheduling constraints conflict with template constraints: x", "", ""),
    ],
)
def test_a_refusal_names_the_field_it_is_about(message: str, details: str, field: str) -> None:
    errors = create_field_errors(message, details)
    assert list(errors) == [field]
    assert message in errors[field]


def test_variable_refusals_go_to_each_variable() -> None:
    details = (
        'extraDeployValues[image]: Unsupported value: "x": supported values: "a", "b"; '
        "extraDeployValues[size]: Invalid value: 3: must be at least 5; "
        "extraDeployValues[size]: Invalid value: 3: must be at most 2"
    )
    errors = create_field_errors("extraDeployValues validation failed", details)
    assert errors == {
        "extraDeployValues.image": 'Unsupported value: "x": supported values: "a", "b"',
        "extraDeployValues.size": "Invalid value: 3: must be at least 5; Invalid value: 3: must be at most 2",
    }
