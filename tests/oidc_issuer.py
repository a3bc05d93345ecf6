"""A local OIDC issuer for tests: discovery, JWKS, the device authorization grant (RFC 8628) and refresh
tokens. A device code is approved after `approve_after` polls (as if the user approved it in a browser);
access tokens are JWTs signed with a fresh RSA key and live `token_ttl` seconds."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

from tests.api.test_oidc import new_key


class Issuer:
    def __init__(self, claims: dict[str, Any], approve_after: int = 2, token_ttl: int = 300) -> None:
        self.claims = claims
        self.approve_after = approve_after
        self.token_ttl = token_ttl
        self.private, public = new_key("issuer-key")
        self.keys = [public]
        self.polls: dict[str, int] = {}
        self.refreshes = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(200, {"issuer": outer.url, "jwks_uri": f"{outer.url}/jwks",
                                     "device_authorization_endpoint": f"{outer.url}/device",
                                     "token_endpoint": f"{outer.url}/token"})  # fmt: skip
                elif self.path == "/jwks":
                    self._json(200, {"keys": outer.keys})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path == "/device":
                    code = secrets.token_urlsafe(16)
                    outer.polls[code] = 0
                    self._json(200, {"device_code": code, "user_code": "ABCD-EFGH", "interval": 0.2,
                                     "verification_uri": f"{outer.url}/activate",
                                     "verification_uri_complete": f"{outer.url}/activate?code=ABCD-EFGH",
                                     "expires_in": 60})  # fmt: skip
                elif form.get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code":
                    code = form.get("device_code", "")
                    if code not in outer.polls:
                        self._json(400, {"error": "expired_token"})
                        return
                    outer.polls[code] += 1
                    if outer.polls[code] <= outer.approve_after:
                        self._json(400, {"error": "authorization_pending"})
                        return
                    del outer.polls[code]
                    self._json(200, outer.tokens())
                elif form.get("grant_type") == "refresh_token":
                    outer.refreshes += 1
                    self._json(200, outer.tokens())
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

    def tokens(self) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.url, "aud": "account", "iat": now, "nbf": now, "exp": now + self.token_ttl, **self.claims}
        access = jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": "issuer-key"})
        return {"access_token": access, "refresh_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                "expires_in": self.token_ttl}  # fmt: skip

    def __enter__(self) -> Issuer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
