"""The UI over the real stack (Temporal dev server + worker + kubesim) for the end-to-end tests of this
folder: the fixtures of tests/e2e, and an app with its lifespan running."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml

from api.app import create_app
from api.settings import ApiSettings
from api.ui.context import build_context
from api.ui.settings import UiSettings
from tests.conftest import REPO
from tests.e2e.conftest import Stack, cluster, dev_server, kube, stack  # noqa: F401  (fixtures used here)
from tests.ui.support import UI_SECRET

USERS = [
    {"token": "ui-sam-token-1", "user": "sam", "email": "sam@example.com", "displayName": "Sam SRE", "groups": ["sre-team"]},
    {"token": "ui-lena-token-1", "user": "lena", "email": "lena@example.com", "displayName": "Lena Lead", "groups": ["security-leads"]},
    {"token": "ui-dave-token-1", "user": "dave", "email": "dave@example.com", "groups": ["developers"]},
    {"token": "ui-eve-token-12", "user": "eve", "email": "eve@example.com", "groups": ["nobody"]},
    {"token": "ui-ops-token-12", "user": "ops", "email": "ops@example.com", "groups": ["platform-admins"]},
]  # fmt: skip
TOKEN: dict[str, str] = {str(u["user"]): str(u["token"]) for u in USERS}
TEMPORAL_UI = "http://temporal-ui.example"


@contextlib.asynccontextmanager
async def ui_app(running: Stack, tmp_path: Path) -> AsyncIterator[Any]:
    """The app (API + UI) of one API process on the shared stack, the demo catalog pointed at kubesim."""
    catalog = tmp_path / "catalog"
    shutil.copytree(REPO / "deploy" / "demo-catalog", catalog)
    clusters = [d for d in yaml.safe_load_all((catalog / "clusters.yaml").read_text()) if d]
    for c in clusters:
        c["spec"]["kubeconfig"]["path"] = str(running.cluster.kubeconfig_path)
    (catalog / "clusters.yaml").write_text(yaml.safe_dump_all(clusters))
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(yaml.safe_dump(USERS))
    settings = ApiSettings(
        catalog_dir=catalog, tokens_file=tokens, task_queue=running.task_queue, admin_groups="platform-admins"
    )
    app = create_app(settings, client=running.client)
    app.state.ui = build_context(UiSettings(secret=UI_SECRET, temporal_ui_url=TEMPORAL_UI))
    async with app.router.lifespan_context(app):
        yield app
    await app.state.ui.close()
