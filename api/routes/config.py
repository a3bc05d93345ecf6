"""What a browser UI reads before anyone logs in: where to log in and how to brand itself.

The reference's frontend calls these three at start-up (docs/reference-clients.md); they are public, like
there, and never carry a secret. With OIDC off (static tokens, `dsctl dev`) there is no identity provider to
announce: /api/identity-provider answers 404 and /api/config/idps an empty list.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import State
from api.errors import ApiError
from api.responses import errors
from api.settings import ApiSettings

router = APIRouter(tags=["ui configuration"])


class FrontendConfig(BaseModel):
    oidcAuthority: str = Field(description="Where the browser logs in (empty: OIDC is off).")
    oidcClientID: str = Field(description="The browser's OIDC client.")
    brandingName: str = Field(description="The product name the UI shows.")
    uiFlavour: str = Field(description="The UI's look (the reference's `oss` or `telekom`).")


class PublicConfig(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "frontend": {
                        "oidcAuthority": "https://keycloak.example.com/realms/ops",
                        "oidcClientID": "debug-sessions-ui",
                        "brandingName": "Debug Sessions",
                        "uiFlavour": "oss",
                    }
                }
            ]
        }
    )
    frontend: FrontendConfig


class IdentityProvider(BaseModel):
    type: str = "OIDC"
    authority: str
    clientId: str
    clientID: str = Field(description="Same as clientId: the reference's UI reads this spelling.")


class IdpInfo(BaseModel):
    name: str
    displayName: str
    issuer: str
    enabled: bool
    oidcAuthority: str
    oidcClientID: str


class IdpList(BaseModel):
    identityProviders: list[IdpInfo]
    escalationIDPMapping: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Always empty: Debug Sessions has no escalations (the reference's UI reads it).",
    )


def _authority(settings: ApiSettings) -> str:
    return settings.oidc_authority or settings.oidc_issuer


@router.get("/api/config", response_model=PublicConfig)
async def public_config(state: State) -> PublicConfig:
    """Where the UI sends users to log in, and its branding."""
    s = state.settings
    return PublicConfig(
        frontend=FrontendConfig(
            oidcAuthority=_authority(s),
            oidcClientID=s.oidc_client_id,
            brandingName=s.branding_name,
            uiFlavour=s.ui_flavour,
        )
    )


@router.get("/api/identity-provider", response_model=IdentityProvider, responses=errors(404))
async def identity_provider(state: State) -> IdentityProvider:
    """The one identity provider (OIDC), without secrets; 404 while OIDC is off."""
    s = state.settings
    if not s.oidc_issuer:
        raise ApiError(404, "no identity provider configured", "OIDC is off: DEBUG_SESSION_OIDC_ISSUER is not set")
    return IdentityProvider(authority=_authority(s), clientId=s.oidc_client_id, clientID=s.oidc_client_id)


@router.get("/api/config/idps", response_model=IdpList)
async def identity_providers(state: State) -> IdpList:
    """The identity providers a UI may offer (one, or none while OIDC is off)."""
    s = state.settings
    if not s.oidc_issuer:
        return IdpList(identityProviders=[])
    idp = IdpInfo(
        name="oidc",
        displayName=s.branding_name,
        issuer=s.oidc_issuer,
        enabled=True,
        oidcAuthority=_authority(s),
        oidcClientID=s.oidc_client_id,
    )
    return IdpList(identityProviders=[idp])
