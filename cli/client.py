"""The API as the CLI sees it: where it is, who you are, and its errors as one line.

Where the server and the token come from (flags, environment, context) is decided in one place,
`cli.remote._api`; the default server is `http://127.0.0.1:8080`, what `dsctl dev` serves. Every failure
is a `CliError`: the API's error envelope as `error: <message>` (exit 1), a 401 with how to authenticate,
an unreachable server with its address.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_SERVER = "http://127.0.0.1:8080"
LOGIN_HINT = "run dsctl login, or set DSCTL_TOKEN or pass --token"


class CliError(Exception):
    """A failure to print as one line (`error: ...`) with exit status `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Api:
    """A thin client of the Debug Sessions API (the seed's path family)."""

    server: str
    token: str
    timeout: float = 30.0

    def call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        """The decoded JSON answer of a 2xx; CliError otherwise."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            resp = httpx.request(
                method, self.server + path, json=json, params=params, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach the Debug Sessions API at {self.server}: {exc}") from exc
        if resp.status_code == 401:
            raise CliError(f"not authenticated ({_message(resp)}): {LOGIN_HINT}")
        if resp.status_code >= 400:
            raise CliError(_message(resp))
        return resp.json()

    def events(self, path: str, params: Any = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Server-sent events of a stream, as (event type, decoded data), until the server ends it."""
        headers = {"Accept": "text/event-stream", **({"Authorization": f"Bearer {self.token}"} if self.token else {})}
        timeout = httpx.Timeout(self.timeout, read=None)  # a quiet watch is not a dead one (keep-alives)
        try:
            with httpx.stream("GET", self.server + path, params=params, headers=headers, timeout=timeout) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    if resp.status_code == 401:
                        raise CliError(f"not authenticated ({_message(resp)}): {LOGIN_HINT}")
                    raise CliError(_message(resp))
                kind, data = "", ""
                for line in resp.iter_lines():
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data += line[5:].strip()
                    elif not line and data:
                        yield kind, json.loads(data)
                        kind, data = "", ""
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach the Debug Sessions API at {self.server}: {exc}") from exc


def _message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}: {resp.text.strip()[:200]}"
    if isinstance(body, dict) and "error" in body:
        details = f" ({body['details']})" if body.get("details") else ""
        return f"{body['error']}{details}"
    return f"HTTP {resp.status_code}"
