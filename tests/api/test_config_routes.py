"""/api/config, /api/identity-provider and /api/config/idps: what a browser UI reads before login (no
Temporal needed: the routes read only the settings)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from api.app import create_app
from api.deps import get_state
from api.settings import ApiSettings


async def get(settings: ApiSettings, path: str) -> httpx.Response:
    app = create_app(settings)
    app.dependency_overrides[get_state] = lambda: SimpleNamespace(settings=settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        return await client.get(path)  # no Authorization: these are public


OIDC: dict[str, Any] = {
    "oidc_issuer": "https://keycloak.example.com/realms/ops",
    "oidc_jwks_url": "https://keycloak.example.com/realms/ops/protocol/openid-connect/certs",
    "oidc_client_id": "debug-sessions-ui",
}


async def test_config_announces_where_to_log_in(tmp_path: Path) -> None:
    settings = ApiSettings(catalog_dir=tmp_path, branding_name="Acme Debug", **OIDC)
    resp = await get(settings, "/api/config")
    assert resp.json() == {
        "frontend": {
            "oidcAuthority": "https://keycloak.example.com/realms/ops",
            "oidcClientID": "debug-sessions-ui",
            "brandingName": "Acme Debug",
            "uiFlavour": "oss",
        }
    }
    assert (await get(settings, "/api/identity-provider")).json() == {
        "type": "OIDC",
        "authority": "https://keycloak.example.com/realms/ops",
        "clientId": "debug-sessions-ui",
        "clientID": "debug-sessions-ui",
    }
    idps = (await get(settings, "/api/config/idps")).json()
    assert idps["escalationIDPMapping"] == {}
    assert [(i["issuer"], i["enabled"], i["oidcClientID"]) for i in idps["identityProviders"]] == [
        ("https://keycloak.example.com/realms/ops", True, "debug-sessions-ui")
    ]


async def test_a_separate_browser_authority_wins_over_the_issuer(tmp_path: Path) -> None:
    settings = ApiSettings(catalog_dir=tmp_path, oidc_authority="https://login.example.com/realms/ops", **OIDC)
    assert (await get(settings, "/api/config")).json()["frontend"][
        "oidcAuthority"
    ] == "https://login.example.com/realms/ops"


async def test_without_oidc_there_is_no_identity_provider(tmp_path: Path) -> None:
    settings = ApiSettings(catalog_dir=tmp_path)
    assert (await get(settings, "/api/config")).json()["frontend"]["oidcAuthority"] == ""
    missing = await get(settings, "/api/identity-provider")
    assert (missing.status_code, missing.json()["error"]) == (404, "no identity provider configured")
    assert (await get(settings, "/api/config/idps")).json() == {"identityProviders": [], "escalationIDPMapping": {}}
