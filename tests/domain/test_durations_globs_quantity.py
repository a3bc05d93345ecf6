"""Pure helpers: durations (Go + days), globs (path.Match semantics), Kubernetes quantities."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.durations import DurationError, format_duration, parse_duration
from domain.globs import match_pattern
from domain.quantity import QuantityError, parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", timedelta(hours=1)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("7d", timedelta(days=7)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("-1h", timedelta(hours=-1)),
        ("500ms", timedelta(milliseconds=500)),
        ("0", timedelta(0)),
        ("365d", timedelta(days=365)),
    ],
)
def test_parse_duration_accepts_go_syntax_and_days(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1h1d", 'invalid duration "1h1d": expected <number><unit>'),
        ("366d", 'invalid duration "366d": at most 365 days'),
        ("", "empty duration"),
        ("5", 'invalid duration "5"'),
        ("1w", 'invalid duration "1w"'),
        ("h", 'invalid duration "h"'),
    ],
)
def test_parse_duration_rejects_with_reason(text: str, message: str) -> None:
    with pytest.raises(DurationError, match="^" + message.replace("(", r"\(")):
        parse_duration(text)


@pytest.mark.parametrize(
    ("d", "text"), [(timedelta(hours=1), "1h0m0s"), (timedelta(minutes=45), "45m0s"), (timedelta(0), "0s")]
)
def test_format_duration_like_go(d: timedelta, text: str) -> None:
    assert format_duration(d) == text


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("*", "anything/at/all", True),
        ("prod-*", "prod-eu", True),
        ("prod-*", "staging-eu", False),
        ("prod-*", "prod-eu/x", False),  # * does not cross /
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c]x", "bx", True),
        ("[^a]x", "ax", False),
        ("[^a]x", "bx", True),
        ("exact", "exact", True),
        ("exact", "Exact", False),  # case-sensitive
        ("[unclosed", "[unclosed", True),  # invalid glob: exact equality
        ("[unclosed", "u", False),
    ],
)
def test_match_pattern(pattern: str, value: str, matches: bool) -> None:
    assert match_pattern(pattern, value) is matches


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2Gi", Decimal(2**31)),
        ("1e3", Decimal(1000)),
        ("2", Decimal(2)),
        ("1.5k", Decimal(1500)),
    ],
)
def test_parse_quantity(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["2GB", "abc", "1.2.3", "", "Gi"])
def test_parse_quantity_rejects(text: str) -> None:
    with pytest.raises(QuantityError, match="invalid quantity"):
        parse_quantity(text)
