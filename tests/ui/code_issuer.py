"""A tiny OIDC provider for the UI's login: discovery, an authorization endpoint that approves at once and
redirects back with a code, a token endpoint that checks the PKCE verifier against the S256 challenge (and
refreshes), and the JWKS. Access tokens are JWTs signed with a fresh RSA key."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

from tests.api.test_oidc import new_key


class CodeIssuer:
    def __init__(self, claims: dict[str, Any], client_id: str = "debug-ui", token_ttl: int = 300) -> None:
        self.claims = claims
        self.client_id = client_id
        self.token_ttl = token_ttl
        self.private, public = new_key("code-issuer-key")
        self.keys = [public]
        self.codes: dict[str, dict[str, str]] = {}
        self.exchanges = 0
        self.refreshes = 0
        self.refused: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path == "/.well-known/openid-configuration":
                    self._json(200, {"issuer": outer.url, "jwks_uri": f"{outer.url}/jwks",
                                     "authorization_endpoint": f"{outer.url}/authorize",
                                     "token_endpoint": f"{outer.url}/token"})  # fmt: skip
                elif path == "/jwks":
                    self._json(200, {"keys": outer.keys})
                elif path == "/authorize":
                    q = dict(urllib.parse.parse_qsl(query))
                    if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
                        self._json(400, {"error": "invalid_request"})
                        return
                    code = secrets.token_urlsafe(16)
                    outer.codes[code] = q
                    back = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if form.get("grant_type") == "authorization_code":
                    asked = outer.codes.pop(form.get("code", ""), None)
                    verifier = form.get("code_verifier", "")
                    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                    problem = (
                        "unknown code" if asked is None
                        else "wrong redirect_uri" if form.get("redirect_uri") != asked["redirect_uri"]
                        else "wrong client" if form.get("client_id") != outer.client_id
                        else "PKCE verifier does not match" if challenge.decode() != asked["code_challenge"]
                        else ""
                    )  # fmt: skip
                    if problem:
                        outer.refused.append(problem)
                        self._json(400, {"error": "invalid_grant", "error_description": problem})
                        return
                    assert asked is not None
                    outer.exchanges += 1
                    self._json(200, outer.tokens(asked["nonce"]))
                elif form.get("grant_type") == "refresh_token":
                    outer.refreshes += 1
                    self._json(200, outer.tokens(""))
                else:
                    self._json(400, {"error": "unsupported_grant_type"})

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def tokens(self, nonce: str) -> dict[str, Any]:
        now = int(time.time())
        base = {"iss": self.url, "iat": now, "nbf": now, "exp": now + self.token_ttl, **self.claims}
        kid = {"kid": "code-issuer-key"}
        body = {
            "access_token": jwt.encode({**base, "aud": "account"}, self.private, algorithm="RS256", headers=kid),
            "refresh_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
        }
        if nonce:
            claims = {**base, "aud": self.client_id, "nonce": nonce}
            body["id_token"] = jwt.encode(claims, self.private, algorithm="RS256", headers=kid)
        return body

    def __enter__(self) -> CodeIssuer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
