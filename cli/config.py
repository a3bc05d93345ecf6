"""dsctl's own configuration: contexts (an API server and a token each), like kubeconfig's.

The file is `$DSCTL_CONFIG`, else `~/.config/dsctl/config.yaml`:

    current-context: prod
    contexts:
      - name: prod
        server: https://debug-sessions.example.com
        token: eyJ...                      # set by `dsctl login --token`
        clusters:                          # optional: how kubectl reaches each session cluster
          prod-eu: {kubeconfig: ~/.kube/prod-eu.yaml, context: prod-eu-admin}

Flags win over the environment (`DSCTL_SERVER`, `DSCTL_TOKEN`), which wins over the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cli.client import CliError


def path() -> Path:
    """Where the configuration lives."""
    return Path(os.environ.get("DSCTL_CONFIG") or Path.home() / ".config" / "dsctl" / "config.yaml")


@dataclass
class Context:
    name: str
    server: str = ""
    token: str = ""
    clusters: dict[str, dict[str, str]] = field(default_factory=dict)
    refresh_token: str = ""
    """Set by a device login: renews `token` before it expires."""
    issuer: str = ""
    client_id: str = ""


@dataclass
class Config:
    current: str = ""
    contexts: list[Context] = field(default_factory=list)

    def context(self, name: str | None = None) -> Context | None:
        """The named context, or the current one (None when there is none)."""
        wanted = name or self.current
        return next((c for c in self.contexts if c.name == wanted), None)


def load() -> Config:
    """The configuration file, or an empty configuration when there is none."""
    file = path()
    if not file.exists():
        return Config()
    try:
        doc = yaml.safe_load(file.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(f"{file}: {exc}", 2) from exc
    if not isinstance(doc, dict):
        raise CliError(f"{file}: expected a mapping with current-context and contexts", 2)
    contexts = []
    for i, raw in enumerate(doc.get("contexts") or []):
        if not isinstance(raw, dict) or not raw.get("name"):
            raise CliError(f"{file}: contexts[{i}]: a context needs a name", 2)
        clusters = raw.get("clusters") or {}
        contexts.append(
            Context(
                name=str(raw["name"]),
                server=str(raw.get("server") or ""),
                token=str(raw.get("token") or ""),
                clusters={str(k): {kk: str(vv) for kk, vv in (v or {}).items()} for k, v in clusters.items()},
                refresh_token=str(raw.get("refresh-token") or ""),
                issuer=str(raw.get("issuer") or ""),
                client_id=str(raw.get("client-id") or ""),
            )
        )
    return Config(current=str(doc.get("current-context") or ""), contexts=contexts)


def save(config: Config) -> Path:
    """Write the configuration (readable by its owner only: it holds tokens)."""
    file = path()
    file.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "current-context": config.current,
        "contexts": [_context_doc(c) for c in config.contexts],
    }
    file.write_text(yaml.safe_dump(doc, sort_keys=False))
    file.chmod(0o600)
    return file


def _context_doc(c: Context) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": c.name, "server": c.server, "token": c.token}
    if c.refresh_token:
        doc.update({"refresh-token": c.refresh_token, "issuer": c.issuer, "client-id": c.client_id})
    if c.clusters:
        doc["clusters"] = c.clusters
    return doc
