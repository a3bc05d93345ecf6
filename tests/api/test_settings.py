"""Settings the API refuses at start (insecure production combinations), and typed durations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import ApiSettings
from temporal_access.connect import tls_config
from temporal_access.search_attributes import create_commands
from temporal_access.settings import TemporalSettings


def test_a_public_address_needs_a_webhook_token() -> None:
    with pytest.raises(ValueError, match=r"refusing to serve the authorization webhook on 0\.0\.0\.0 without a token"):
        ApiSettings(host="0.0.0.0")
    assert ApiSettings(host="0.0.0.0", webhook_token="s3cret").webhook_token == "s3cret"
    assert ApiSettings(host="127.0.0.1").webhook_token == ""  # loopback: development


def test_oidc_urls_must_use_tls_except_on_loopback() -> None:
    with pytest.raises(ValueError, match=r"DEBUG_SESSION_OIDC_ISSUER must be an https:// URL"):
        ApiSettings(oidc_issuer="http://idp.example.com", oidc_jwks_url="https://idp.example.com/jwks")
    with pytest.raises(ValueError, match=r"DEBUG_SESSION_OIDC_JWKS_URL must be an https:// URL"):
        ApiSettings(oidc_issuer="https://idp.example.com", oidc_jwks_url="http://idp.example.com/jwks")
    local = ApiSettings(oidc_issuer="http://127.0.0.1:9000", oidc_jwks_url="http://127.0.0.1:9000/jwks")
    assert local.oidc_issuer == "http://127.0.0.1:9000"


def test_durations_are_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG_SESSION_APPROVAL_TIMEOUT", "1h30m")
    monkeypatch.setenv("DEBUG_SESSION_RETENTION_PERIOD", "7d")
    settings = ApiSettings()
    assert settings.approval_timeout == timedelta(hours=1, minutes=30)
    assert settings.retention_period == timedelta(days=7)
    assert settings.safety_check_interval == timedelta(minutes=15)
    assert settings.workflow_settings.approval_timeout == timedelta(hours=1, minutes=30)
    monkeypatch.setenv("DEBUG_SESSION_APPROVAL_TIMEOUT", "0s")
    with pytest.raises(ValidationError, match="must be positive"):
        ApiSettings()
    monkeypatch.setenv("DEBUG_SESSION_APPROVAL_TIMEOUT", "soon")
    with pytest.raises(
        ValidationError, match=r"DEBUG_SESSION_APPROVAL_TIMEOUT\n  Value error, invalid duration \"soon\""
    ):
        ApiSettings()


def test_temporal_settings_follow_temporals_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cert, key, ca = (tmp_path / n for n in ("client.pem", "client.key", "ca.pem"))
    for f in (cert, key, ca):
        f.write_text(f"-----BEGIN {f.name}-----\n")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.example.com:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "debug")
    monkeypatch.setenv("TEMPORAL_TLS_CERT", str(cert))
    monkeypatch.setenv("TEMPORAL_TLS_KEY", str(key))
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(ca))  # Temporal's envconfig name works too
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    settings = ApiSettings().temporal
    assert (settings.address, settings.namespace) == ("temporal.example.com:7233", "debug")
    tls = tls_config(settings)
    assert not isinstance(tls, bool)
    assert tls.client_cert == cert.read_bytes()
    assert tls.client_private_key == key.read_bytes()
    assert tls.server_root_ca_cert == ca.read_bytes()
    assert tls.domain == "temporal.internal"


def test_temporal_settings_refuse_half_of_mtls_and_missing_files(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"):
        TemporalSettings(tls_cert=cert)
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_CA: no such file"):
        TemporalSettings(tls_ca=tmp_path / "nope.pem")


def test_an_api_key_implies_tls_and_a_plain_address_does_not() -> None:
    assert tls_config(TemporalSettings()) is False
    cloud = TemporalSettings(address="ns.acct.tmprl.cloud:7233", api_key="key-123")
    tls = tls_config(cloud)
    assert not isinstance(tls, bool)
    assert tls.client_cert is None
    assert "key-123" not in repr(cloud)  # a secret never shows in logs


def test_missing_search_attributes_are_reported_as_commands() -> None:
    commands = create_commands("debug")
    assert (
        "temporal operator search-attribute create --namespace debug --name DebugSessionState --type Keyword"
        in commands
    )
    assert any("--name DebugSessionExpiresAt --type Datetime" in c for c in commands)
    assert any("--name DebugSessionParticipants --type KeywordList" in c for c in commands)
