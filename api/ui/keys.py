"""The UI's secrets: one key for sealing cookies (Fernet: encrypted and authenticated), one for CSRF tokens,
both derived (HKDF/SHA-256) from DEBUG_SESSION_UI_SECRET, or random per process when it is not set."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import zlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"debug-sessions-ui/v1"


class Keys:
    """Seal and open cookie values; make and check CSRF tokens."""

    def __init__(self, secret: str) -> None:
        self.ephemeral = not secret
        material = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=INFO).derive(
            (secret or secrets.token_urlsafe(32)).encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(material[:32]))
        self._mac = material[32:]

    def seal(self, data: dict[str, Any]) -> str:
        """`data` as an opaque cookie value (compressed: OIDC tokens are large)."""
        raw = json.dumps(data, separators=(",", ":")).encode()
        # without base64 padding: a cookie value with `=` gets quoted, which some proxies mangle
        return self._fernet.encrypt(zlib.compress(raw, 9)).decode().rstrip("=")

    def open(self, value: str | None, max_age: int | None = None) -> dict[str, Any] | None:
        """What `seal` sealed (and at most `max_age` seconds ago), or None for anything else."""
        if not value:
            return None
        try:
            token = value.strip('"') + "=" * (-len(value.strip('"')) % 4)
            data = json.loads(zlib.decompress(self._fernet.decrypt(token.encode(), ttl=max_age)))
        except (InvalidToken, zlib.error, ValueError, binascii.Error):
            return None
        return data if isinstance(data, dict) else None

    def csrf_token(self, sid: str) -> str:
        """The CSRF token of the login (or login form) `sid`."""
        return hmac.new(self._mac, b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, sid: str, token: str) -> bool:
        """`token` is the CSRF token of `sid` (compared in constant time)."""
        return bool(sid) and hmac.compare_digest(self.csrf_token(sid), token)
