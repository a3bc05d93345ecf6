"""The web UI's settings (environment variables). The OIDC issuer, client id and branding are the API's
(api/settings.py): the UI logs in against the issuer the API trusts."""

from __future__ import annotations

from datetime import timedelta

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.durations import PositiveDuration

PAGE_SIZE = 50
"""Sessions per list page (one API page: a page costs the same with 100 or 10,000 sessions)."""


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class UiSettings(BaseSettings):
    """Everything the UI adds to the API process."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    enabled: bool = Field(default=True, validation_alias=_env("DEBUG_SESSION_UI_ENABLED", "enabled"))
    secret: SecretStr = Field(default=SecretStr(""), validation_alias=_env("DEBUG_SESSION_UI_SECRET", "secret"))
    """Keys the session cookie (encryption) and the CSRF tokens. Empty: a random key per process (sessions do
    not survive a restart, and replicas do not share them)."""
    temporal_ui_url: str = Field(default="", validation_alias=_env("DEBUG_SESSION_TEMPORAL_UI_URL", "temporal_ui_url"))
    """The Temporal UI's base URL: admins get an "Open in Temporal UI" link on a session. Empty: no link."""
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(""), validation_alias=_env("DEBUG_SESSION_OIDC_CLIENT_SECRET", "oidc_client_secret")
    )
    """For a confidential OIDC client; a public client (PKCE alone) leaves it empty."""
    oidc_scopes: str = Field(
        default="openid profile email", validation_alias=_env("DEBUG_SESSION_OIDC_SCOPES", "oidc_scopes")
    )
    """Scopes the login asks for (add `groups` where the issuer needs it for the groups claim)."""
    public_url: str = Field(default="", validation_alias=_env("DEBUG_SESSION_PUBLIC_URL", "public_url"))
    """Where users reach the UI (the OIDC redirect URI is `<public url>/login/callback`; an https URL makes
    the cookies Secure). Empty: the URL of each request."""
    session_lifetime: PositiveDuration = Field(
        default=timedelta(hours=12), validation_alias=_env("DEBUG_SESSION_UI_SESSION_LIFETIME", "session_lifetime")
    )
    """How long a login lasts (a token login; an OIDC login also ends when its tokens cannot be refreshed)."""
