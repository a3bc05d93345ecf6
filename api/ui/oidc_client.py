"""The OIDC authorization-code flow with PKCE (RFC 7636, S256) as the UI's relying party: discovery, the
authorization URL, the code exchange and refreshing. The tokens are the API's business: the access token
goes into the session cookie and the API's own verifier checks it on every call."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt

DISCOVERY_TTL = 3600.0
DEFAULT_TTL = 300
"""Seconds an access token is assumed to live when the token endpoint does not say (`expires_in`)."""


class OidcError(Exception):
    """The identity provider could not be used; the message says what failed."""


@dataclass(frozen=True)
class Provider:
    """Where to log in and as which client."""

    authority: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid profile email"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_at: float
    refresh_token: str = ""
    id_token: str = ""


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def discover(
    web: httpx.AsyncClient, cache: dict[str, tuple[float, dict[str, Any]]], authority: str
) -> dict[str, Any]:
    """The provider's openid-configuration (cached for an hour)."""
    hit = cache.get(authority)
    if hit is not None and time.monotonic() - hit[0] < DISCOVERY_TTL:
        return hit[1]
    url = authority.rstrip("/") + "/.well-known/openid-configuration"
    try:
        resp = await web.get(url)
        resp.raise_for_status()
        meta = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError(f"cannot read {url}: {exc}") from exc
    if not isinstance(meta, dict) or not meta.get("authorization_endpoint") or not meta.get("token_endpoint"):
        raise OidcError(f"{url} names no authorization_endpoint and token_endpoint")
    cache[authority] = (time.monotonic(), meta)
    return meta


def authorization_url(
    meta: dict[str, Any], provider: Provider, redirect_uri: str, state: str, nonce: str, challenge: str
) -> str:
    """Where to send the browser: response_type=code with state, nonce and the S256 challenge."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": provider.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    endpoint = str(meta["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


async def _token_request(
    web: httpx.AsyncClient, meta: dict[str, Any], provider: Provider, form: dict[str, str]
) -> Tokens:
    form = {**form, "client_id": provider.client_id}
    headers = {"Accept": "application/json"}
    if provider.client_secret:  # client_secret_basic (RFC 6749 2.3.1)
        pair = f"{quote_plus(provider.client_id)}:{quote_plus(provider.client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    try:
        resp = await web.post(str(meta["token_endpoint"]), data=form, headers=headers)
        body = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError(f"token endpoint: {exc}") from exc
    if resp.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        what = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
        raise OidcError(f"token endpoint refused ({resp.status_code}): {what or 'no access token'}")
    try:
        ttl = float(body.get("expires_in") or DEFAULT_TTL)
    except (TypeError, ValueError):
        ttl = DEFAULT_TTL
    return Tokens(
        access_token=str(body["access_token"]),
        expires_at=time.time() + ttl,
        refresh_token=str(body.get("refresh_token") or ""),
        id_token=str(body.get("id_token") or ""),
    )


async def exchange_code(
    web: httpx.AsyncClient, meta: dict[str, Any], provider: Provider, code: str, verifier: str, redirect_uri: str
) -> Tokens:
    """Trade the authorization code (and the PKCE verifier) for tokens."""
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": redirect_uri}
    return await _token_request(web, meta, provider, form)


async def refresh(web: httpx.AsyncClient, meta: dict[str, Any], provider: Provider, refresh_token: str) -> Tokens:
    """New tokens from a refresh token (the old refresh token is kept when no new one comes)."""
    tokens = await _token_request(web, meta, provider, {"grant_type": "refresh_token", "refresh_token": refresh_token})
    if not tokens.refresh_token:
        return Tokens(tokens.access_token, tokens.expires_at, refresh_token, tokens.id_token)
    return tokens


def check_nonce(id_token: str, nonce: str) -> None:
    """The ID token (when there is one) was issued for this login. Read without checking its signature:
    it came straight from the token endpoint over the connection we opened (OIDC Core 3.1.3.7)."""
    if not id_token:
        return
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise OidcError(f"unreadable ID token: {exc}") from exc
    if claims.get("nonce") != nonce:
        raise OidcError("the ID token's nonce is not this login's")
