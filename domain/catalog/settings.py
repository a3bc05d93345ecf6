"""Catalog settings of the running service (environment variables; `dsctl validate` has flags instead)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CatalogSettings(BaseSettings):
    """Where the catalog lives and how strictly it is read.

    DEBUG_SESSION_CATALOG_DIR     directory (searched recursively) of catalog manifests
    DEBUG_SESSION_CATALOG_STRICT  true: unknown fields, deprecated spellings and duplicate keys reject
                                  the catalog (the last good one stays in service)
    DEBUG_SESSION_CATALOG_POLL_INTERVAL  seconds between change checks (default 0.5)
    """

    model_config = SettingsConfigDict(env_prefix="DEBUG_SESSION_CATALOG_")

    dir: Path = Field(default=Path("deploy/demo-catalog"))
    strict: bool = False
    poll_interval: float = Field(default=0.5, gt=0, le=60)
