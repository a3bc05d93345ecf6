"""The template routes without Temporal: the app with a hand-made state (catalog, tokens, cluster health).

The lifespan is never entered (it would connect to Temporal): `get_state` is overridden instead, and the
real `get_caller` and `get_catalog` read the fake state. Requests go through httpx's ASGI transport (which
runs no lifespan either); starlette's TestClient warns about its httpx here, and warnings fail the suite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from api.app import create_app
from api.cluster_health import ClusterHealth
from api.deps import get_state
from api.settings import ApiSettings
from domain.catalog.catalog import Catalog
from domain.identity import Identity

CHECKED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class TemplateApi:
    """`await api.get(path, token)`: the JSON answer (asserting its status)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def response(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://api") as c:
            return await c.get(path, headers=headers)

    async def get(self, path: str, token: str, status: int = 200) -> Any:
        resp = await self.response(path, token)
        assert resp.status_code == status, resp.text
        return resp.json()


def template_client(
    catalog: Catalog,
    tokens: dict[str, Identity],
    unready: tuple[str, ...] = (),
    healthy: tuple[str, ...] = (),
    catalog_dir: Path = Path("/nonexistent"),
) -> TemplateApi:
    """A client for the app serving `catalog`; `tokens` maps a bearer token to its caller. Clusters in
    `unready` failed their last health check, those in `healthy` passed it, the others were never checked."""
    settings = ApiSettings(catalog_dir=catalog_dir)
    health = ClusterHealth(lambda: catalog)
    health.results = dict.fromkeys(unready, (False, CHECKED, "connection refused")) | dict.fromkeys(
        healthy, (True, CHECKED, "kube-apiserver v1.31.0")
    )
    state = SimpleNamespace(
        settings=settings, tokens=tokens, oidc=None, health=health, watcher=SimpleNamespace(catalog=catalog)
    )
    app = create_app(settings)
    app.dependency_overrides[get_state] = lambda: state
    return TemplateApi(app)
