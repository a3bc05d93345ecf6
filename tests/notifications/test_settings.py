"""Notification settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from notifications.settings import NotificationSettings

VARIABLES = (
    "HOST",
    "PORT",
    "FROM",
    "USERNAME",
    "PASSWORD",
    "TLS",
    "TIMEOUT",
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(f"DEBUG_SESSION_SMTP_{name}", raising=False)
    for name in ("GROUP_DIRECTORY", "PUBLIC_URL", "CHAT_WEBHOOK_URL", "BRANDING_NAME"):
        monkeypatch.delenv(f"DEBUG_SESSION_{name}", raising=False)


def test_defaults() -> None:
    s = NotificationSettings()
    assert (s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_tls, s.smtp_timeout) == (
        "",
        25,
        "debug-sessions@localhost",
        "none",
        10,
    )
    assert (s.group_directory, s.public_url, s.chat_webhook_urls, s.branding_name) == (
        None,
        "http://127.0.0.1:8080",
        (),
        "Debug Sessions",
    )


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "DEBUG_SESSION_SMTP_HOST": "smtp.example.com",
        "DEBUG_SESSION_SMTP_PORT": "587",
        "DEBUG_SESSION_SMTP_FROM": "Debug Sessions <ds@example.com>",
        "DEBUG_SESSION_SMTP_USERNAME": "ds",
        "DEBUG_SESSION_SMTP_PASSWORD": "s3cret",
        "DEBUG_SESSION_SMTP_TLS": "starttls",
        "DEBUG_SESSION_SMTP_TIMEOUT": "2.5",
        "DEBUG_SESSION_GROUP_DIRECTORY": "/etc/ds/groups.yaml",
        "DEBUG_SESSION_PUBLIC_URL": "https://debug.example.com/",
        "DEBUG_SESSION_CHAT_WEBHOOK_URL": "https://hooks.example.com/a, ,https://hooks.example.com/b",
        "DEBUG_SESSION_BRANDING_NAME": "ACME",
        "SMTP_HOST": "not-ours.example.com",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s = NotificationSettings()
    assert (s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_username, s.smtp_tls, s.smtp_timeout) == (
        "smtp.example.com",
        587,
        "Debug Sessions <ds@example.com>",
        "ds",
        "starttls",
        2.5,
    )
    assert s.smtp_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s)
    assert s.group_directory == Path("/etc/ds/groups.yaml")
    assert s.public_url == "https://debug.example.com"
    assert s.chat_webhook_urls == ("https://hooks.example.com/a", "https://hooks.example.com/b")
    assert s.branding_name == "ACME"


def test_an_empty_group_directory_variable_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG_SESSION_GROUP_DIRECTORY", "")
    assert NotificationSettings().group_directory is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEBUG_SESSION_SMTP_TLS", "ssl"), ("DEBUG_SESSION_SMTP_PORT", "0"), ("DEBUG_SESSION_SMTP_TIMEOUT", "0")],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        NotificationSettings()


def test_a_login_in_clear_is_refused_unless_the_server_is_local() -> None:
    with pytest.raises(ValidationError, match="the password would cross the network in clear"):
        NotificationSettings(smtp_host="smtp.example.com", smtp_username="ds")
    for host in ("127.0.0.1", "localhost", "::1"):
        assert NotificationSettings(smtp_host=host, smtp_username="ds").smtp_username == "ds"
    assert NotificationSettings(smtp_host="smtp.example.com", smtp_username="ds", smtp_tls="tls").smtp_tls == "tls"
