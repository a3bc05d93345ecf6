"""Temporal connection settings, named as Temporal's own tools name them (TEMPORAL_*).

The TLS files may also be given under the names of Temporal's environment configuration
(`TEMPORAL_TLS_CLIENT_CERT_PATH`, `TEMPORAL_TLS_CLIENT_KEY_PATH`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class TemporalSettings(BaseSettings):
    """Where Temporal is and how to authenticate to it: plain (dev server), TLS, mTLS, or an API key
    (Temporal Cloud)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    address: str = Field(default="localhost:7233", validation_alias=_env("TEMPORAL_ADDRESS", "address"))
    namespace: str = Field(default="default", validation_alias=_env("TEMPORAL_NAMESPACE", "namespace"))
    tls: bool = Field(default=False, validation_alias=_env("TEMPORAL_TLS", "tls"))
    """TLS with the system's CAs even without any file (implied by a certificate, a CA or an API key)."""
    tls_cert: Path | None = Field(
        default=None, validation_alias=_env("TEMPORAL_TLS_CERT", "TEMPORAL_TLS_CLIENT_CERT_PATH", "tls_cert")
    )
    """Client certificate (PEM) for mTLS; needs `tls_key`."""
    tls_key: Path | None = Field(
        default=None, validation_alias=_env("TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CLIENT_KEY_PATH", "tls_key")
    )
    tls_ca: Path | None = Field(
        default=None, validation_alias=_env("TEMPORAL_TLS_CA", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "tls_ca")
    )
    """CA bundle (PEM) the server's certificate is checked against; the system's CAs when unset."""
    tls_server_name: str = Field(default="", validation_alias=_env("TEMPORAL_TLS_SERVER_NAME", "tls_server_name"))
    """The name the server's certificate must carry, when it is not the address's host."""
    api_key: SecretStr | None = Field(default=None, validation_alias=_env("TEMPORAL_API_KEY", "api_key"))
    """Temporal Cloud API key (sent as a bearer token; TLS is then on)."""

    @model_validator(mode="after")
    def _check(self) -> TemporalSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS needs both)")
        for name, path in (("TEMPORAL_TLS_CERT", self.tls_cert), ("TEMPORAL_TLS_KEY", self.tls_key),
                           ("TEMPORAL_TLS_CA", self.tls_ca)):  # fmt: skip
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: no such file: {path}")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.api_key is not None or any((self.tls_cert, self.tls_ca, self.tls_server_name))
