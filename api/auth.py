"""Authentication for now: a static token file (development). OIDC comes with the access-control issue."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.identity import Identity


class TokenEntry(BaseModel):
    """One line of the token file: `{token, user, email, groups}`."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=8)
    user: str = Field(min_length=1)
    email: str = ""
    display_name: str = Field(default="", alias="displayName")
    groups: list[str] = Field(default_factory=list)


class TokenFileError(ValueError):
    """The token file is unusable; the message names the file and entry."""


def load_tokens(path: Path) -> dict[str, Identity]:
    """Read a YAML list of token entries into token -> identity."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TokenFileError(f"{path}: cannot read token file: {exc}") from exc
    if not isinstance(data, list):
        raise TokenFileError(f"{path}: must be a YAML list of {{token, user, email, groups}}")
    tokens: dict[str, Identity] = {}
    for i, raw in enumerate(data):
        try:
            entry = TokenEntry.model_validate(raw)
        except ValidationError as exc:
            raise TokenFileError(f"{path}: entry {i + 1}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc
        if entry.token in tokens:
            raise TokenFileError(f"{path}: entry {i + 1}: duplicate token")
        tokens[entry.token] = Identity(
            username=entry.user, email=entry.email, display_name=entry.display_name, groups=tuple(entry.groups)
        )
    return tokens
