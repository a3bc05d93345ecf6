"""OIDC tokens: minted with a local key, verified against a JWKS served on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.errors import ApiError
from api.oidc import OidcConfig, OidcVerifier

ISSUER = "https://idp.example.test"
AUDIENCE = "debug-sessions"


def new_key(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return private, public


class Jwks:
    """A JWKS endpoint on 127.0.0.1 whose key set the test can rotate."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Jwks:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def idp() -> Iterator[tuple[Jwks, rsa.RSAPrivateKey]]:
    with Jwks() as server:
        private, public = new_key("k1")
        server.keys = [public]
        yield server, private


def mint(private: rsa.RSAPrivateKey, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300, "preferred_username": "alice",
            "email": "alice@example.com", "name": "Alice", "groups": ["sre-team"], **claims}  # fmt: skip
    return jwt.encode(body, private, algorithm="RS256", headers={"kid": kid})


def verifier(server: Jwks) -> OidcVerifier:
    return OidcVerifier(
        OidcConfig(issuer=ISSUER, audience=AUDIENCE, jwks_url=server.url, leeway_seconds=0, refetch_cooldown_seconds=0)
    )


def test_valid_token_gives_the_identity(idp: tuple[Jwks, rsa.RSAPrivateKey]) -> None:
    server, private = idp
    who = verifier(server).verify(mint(private))
    assert (who.username, who.email, who.display_name, who.groups) == (
        "alice",
        "alice@example.com",
        "Alice",
        ("sre-team",),
    )


@pytest.mark.parametrize(
    ("claims", "details"),
    [
        ({"iss": "https://evil.example"}, "wrong token issuer"),
        ({"aud": "someone-else"}, "wrong token audience"),
        ({"exp": int(time.time()) - 10}, "token expired"),
        ({"nbf": int(time.time()) + 600}, "token not yet valid (nbf)"),
        ({"preferred_username": ""}, "token has no preferred_username claim"),
    ],
)
def test_claims_are_enforced(idp: tuple[Jwks, rsa.RSAPrivateKey], claims: dict[str, Any], details: str) -> None:
    server, private = idp
    with pytest.raises(ApiError) as info:
        verifier(server).verify(mint(private, **claims))
    assert (info.value.status, info.value.message, info.value.details) == (401, "user not authenticated", details)


def test_bad_signature(idp: tuple[Jwks, rsa.RSAPrivateKey]) -> None:
    server, _ = idp
    forged, _ = new_key("k1")  # same kid, another key
    with pytest.raises(ApiError) as info:
        verifier(server).verify(mint(forged))
    assert info.value.details == "invalid token: Signature verification failed"


def test_unknown_kid_then_rotated_jwks(idp: tuple[Jwks, rsa.RSAPrivateKey]) -> None:
    server, private = idp
    v = verifier(server)
    v.verify(mint(private))
    fetches = server.fetches
    rotated, public = new_key("k2")
    with pytest.raises(ApiError) as info:
        v.verify(mint(rotated, kid="k2"))  # not published yet
    assert info.value.details.startswith("signing key not found")
    server.keys = [public]  # the issuer rotates its keys
    who = v.verify(mint(rotated, kid="k2"))
    assert who.username == "alice"
    assert server.fetches > fetches  # the cached JWKS was refetched for the unknown kid


def test_without_a_configured_audience_any_audience_is_accepted(idp: tuple[Jwks, rsa.RSAPrivateKey]) -> None:
    """Keycloak access tokens often say `aud: account`; the issuer and the signature still decide."""
    server, private = idp
    v = OidcVerifier(OidcConfig(issuer=ISSUER, jwks_url=server.url, leeway_seconds=0, refetch_cooldown_seconds=0))
    assert v.verify(mint(private, aud="account")).username == "alice"
    body = {k: v for k, v in jwt.decode(mint(private), options={"verify_signature": False}).items() if k != "aud"}
    no_audience = jwt.encode(body, private, algorithm="RS256", headers={"kid": "k1"})
    assert v.verify(no_audience).username == "alice"
    with pytest.raises(ApiError) as info:
        v.verify(mint(private, iss="https://evil.example"))
    assert info.value.details == "wrong token issuer"


def test_groups_fall_back_to_keycloak_realm_roles(idp: tuple[Jwks, rsa.RSAPrivateKey]) -> None:
    server, private = idp
    body = jwt.decode(mint(private, realm_access={"roles": ["oncall", "sre"]}), options={"verify_signature": False})
    del body["groups"]
    token = jwt.encode(body, private, algorithm="RS256", headers={"kid": "k1"})
    assert verifier(server).verify(token).groups == ("oncall", "sre")
    # the configured claim wins when it is there
    assert verifier(server).verify(mint(private, realm_access={"roles": ["x"]})).groups == ("sre-team",)
