"""OIDC bearer tokens: JWT signature against the issuer's JWKS (cached, refetched on an unknown `kid`),
issuer, expiry and not-before enforced, the audience when one is configured; the identity read from
configurable claims.

The audience is optional because Keycloak's access tokens often carry `aud: account` rather than the
client's ID; groups come from the configured claim, else from Keycloak's `realm_access.roles` (as the
reference reads them)."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
from jwt import PyJWKClient

from api.errors import ApiError
from domain.identity import Identity

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


@dataclass(frozen=True)
class OidcConfig:
    """Where keys come from and which claims name the user."""

    issuer: str
    jwks_url: str
    audience: str = ""
    """Empty: any audience (the token's issuer and signature still decide)."""
    username_claim: str = "preferred_username"
    email_claim: str = "email"
    name_claim: str = "name"
    groups_claim: str = "groups"
    leeway_seconds: float = 30
    refetch_cooldown_seconds: float = 30


class OidcVerifier:
    """Verifies tokens; the JWKS is cached and refetched when a token names a key it does not know."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.jwks = PyJWKClient(
            config.jwks_url,
            cache_jwk_set=True,
            lifespan=300,
            timeout=5,
            cooldown_duration=config.refetch_cooldown_seconds,
        )

    def verify(self, token: str) -> Identity:
        """The identity in a valid token; ApiError 401 naming what is wrong otherwise."""
        c = self.config
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=c.audience or None,
                issuer=c.issuer,
                leeway=c.leeway_seconds,
                options={
                    "require": ["exp", "iss", "aud"] if c.audience else ["exp", "iss"],
                    "verify_aud": bool(c.audience),
                },
            )
        except jwt.ExpiredSignatureError as exc:
            raise ApiError(401, "user not authenticated", "token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise ApiError(401, "user not authenticated", "token not yet valid (nbf)") from exc
        except jwt.InvalidIssuerError as exc:
            raise ApiError(401, "user not authenticated", "wrong token issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise ApiError(401, "user not authenticated", "wrong token audience") from exc
        except jwt.PyJWKClientError as exc:
            raise ApiError(401, "user not authenticated", f"signing key not found: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise ApiError(401, "user not authenticated", f"invalid token: {exc}") from exc
        username = claims.get(c.username_claim)
        if not isinstance(username, str) or not username.strip():
            raise ApiError(401, "user not authenticated", f"token has no {c.username_claim} claim")
        groups = claims.get(c.groups_claim)
        if groups is None:
            realm = claims.get("realm_access")
            groups = realm.get("roles") if isinstance(realm, dict) else None
        groups = groups or []
        return Identity(
            username=username,
            email=str(claims.get(c.email_claim) or ""),
            display_name=str(claims.get(c.name_claim) or ""),
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        )
