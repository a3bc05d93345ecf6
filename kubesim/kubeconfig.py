"""Writes the kubeconfig clients use to reach a kubesim server."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml

CONTEXT = "kubesim"
TOKEN = "kubesim-admin-token"


def kubeconfig(url: str, ca_pem: bytes | None = None, users: dict[str, str] | None = None) -> dict[str, Any]:
    """Kubeconfig with cluster, admin user and context named `kubesim`, plus a `kubesim-<user>` per token user."""
    cluster: dict[str, Any] = {"server": url}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    user_entries = [{"name": CONTEXT, "user": {"token": TOKEN}}]
    contexts = [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": "default"}}]
    for name, token in (users or {}).items():
        user_entries.append({"name": f"{CONTEXT}-{name}", "user": {"token": token}})
        contexts.append(
            {
                "name": f"{CONTEXT}-{name}",
                "context": {"cluster": CONTEXT, "user": f"{CONTEXT}-{name}", "namespace": "default"},
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": user_entries,
        "contexts": contexts,
        "current-context": CONTEXT,
    }


def write_kubeconfig(
    path: str | os.PathLike[str], url: str, ca_pem: bytes | None = None, users: dict[str, str] | None = None
) -> Path:
    """Write the kubeconfig atomically (readers never see a half-written file) with mode 0600."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(kubeconfig(url, ca_pem, users), fh, sort_keys=False)
    tmp.replace(target)
    return target
