"""Bearer-token users, so a demo can hand each person a kubeconfig context of their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from kubesim.errors import ApiError
from kubesim.impersonation import ADMIN_USER
from kubesim.kubeconfig import TOKEN as ADMIN_TOKEN


@dataclass(frozen=True)
class User:
    """A user known by bearer token."""

    name: str
    token: str
    groups: tuple[str, ...] = field(default=())


ADMIN = User(ADMIN_USER, ADMIN_TOKEN, ("system:masters", "system:authenticated"))


def load_users(doc: Any) -> list[User]:
    """Parse `[{name, token?, groups?}]` (YAML text or data); the token defaults to `kubesim-<name>-token`."""
    if isinstance(doc, str):
        doc = yaml.safe_load(doc)
    entries = doc.get("users", []) if isinstance(doc, dict) else doc
    out = []
    for e in entries or []:
        name = str(e["name"])
        groups = (*tuple(str(g) for g in e.get("groups") or []), "system:authenticated")
        out.append(User(name, str(e.get("token") or f"kubesim-{name}-token"), groups))
    return out


class Authenticator:
    """Maps `Authorization: Bearer` tokens to users; requests without credentials act as the admin."""

    def __init__(self, users: list[User]) -> None:
        self.users = list(users)
        self._by_token = {u.token: u for u in users}
        self._by_token[ADMIN.token] = ADMIN

    def authenticate(self, authorization: str) -> User:
        """The user behind an Authorization header, or 401 like the apiserver."""
        if not authorization:
            return ADMIN
        scheme, _, token = authorization.partition(" ")
        user = self._by_token.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ApiError(401, "Unauthorized", "Unauthorized", None)
        return user
