"""`dsctl login`: the OAuth 2.0 device authorization grant (RFC 8628) against the OIDC issuer the API
announces (`/api/config`), and the refresh of a stored token before it expires.

The terminal prints a URL and a code; the user approves in any browser; dsctl polls the token endpoint at
the interval the issuer asks for (slower on `slow_down`) until it answers with tokens, the user denies, or
the code expires. Tokens are stored in the dsctl context (cli/config.py).
"""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import Any

import httpx

from cli.client import CliError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = "openid profile email offline_access"


def discover(issuer: str) -> dict[str, Any]:
    """The issuer's OpenID configuration (its device authorization and token endpoints)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        resp = httpx.get(url, timeout=10)
        resp.raise_for_status()
        doc: dict[str, Any] = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise CliError(f"cannot read the OIDC configuration at {url}: {exc}") from exc
    if "device_authorization_endpoint" not in doc or "token_endpoint" not in doc:
        raise CliError(f"the issuer {issuer} offers no device authorization (RFC 8628)")
    return doc


def device_login(issuer: str, client_id: str, wait_limit: float = 600) -> dict[str, Any]:
    """Run the device flow; the token response (access_token, refresh_token, ...)."""
    endpoints = discover(issuer)
    try:
        started = httpx.post(
            endpoints["device_authorization_endpoint"], data={"client_id": client_id, "scope": SCOPES}, timeout=10
        )
        started.raise_for_status()
        grant = started.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise CliError(f"the issuer refused to start a device login: {exc}") from exc
    where = grant.get("verification_uri_complete") or grant["verification_uri"]
    print(f"To log in, open {where} and enter the code {grant['user_code']}", file=sys.stderr, flush=True)
    interval = float(grant.get("interval", 5))
    deadline = time.monotonic() + min(float(grant.get("expires_in", wait_limit)), wait_limit)
    while time.monotonic() < deadline:
        time.sleep(interval)
        answer = _token(
            endpoints["token_endpoint"],
            {"grant_type": DEVICE_GRANT, "device_code": grant["device_code"], "client_id": client_id},
        )
        error = answer.get("error")
        if error is None:
            return answer
        if error == "slow_down":
            interval += 5
        elif error != "authorization_pending":
            raise CliError(f"login failed: {error} {answer.get('error_description', '')}".rstrip())
    raise CliError("login timed out: the code was not approved in time")


def refresh(issuer: str, client_id: str, refresh_token: str) -> dict[str, Any]:
    """New tokens for a refresh token (CliError when the issuer refuses: log in again)."""
    token_endpoint = discover(issuer)["token_endpoint"]
    answer = _token(
        token_endpoint, {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    )
    if "error" in answer:
        raise CliError(f"the session's login expired ({answer['error']}): run dsctl login again")
    return answer


def expires_soon(token: str, within: float = 30) -> bool:
    """The JWT's `exp` is within `within` seconds (False for a token that is not a JWT, e.g. static)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return False
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return isinstance(exp, int | float) and exp - time.time() < within


def _token(endpoint: str, form: dict[str, str]) -> dict[str, Any]:
    try:
        resp = httpx.post(endpoint, data=form, timeout=10)
        body: dict[str, Any] = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise CliError(f"the issuer's token endpoint did not answer: {exc}") from exc
    if resp.status_code >= 400 and "error" not in body:
        raise CliError(f"the issuer's token endpoint answered {resp.status_code}")
    return body
