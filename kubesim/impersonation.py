"""Impersonation headers: who is acting, as whom, and optional rules forbidding some identities."""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import yaml

from kubesim.errors import ApiError

ADMIN_USER = "kubernetes-admin"


@dataclass
class Identity:
    """The requesting user and whom it impersonates."""

    user: str
    groups: list[str] = field(default_factory=list)
    impersonated_user: str | None = None
    impersonated_groups: list[str] = field(default_factory=list)
    impersonated_uid: str | None = None
    extra: dict[str, list[str]] = field(default_factory=dict)


class ImpersonationRules:
    """`deny` patterns always win; if `allow` is non-empty, only matching identities may be impersonated."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.deny_users: list[str] = []
        self.deny_groups: list[str] = []
        self.allow_users: list[str] = []
        self.allow_groups: list[str] = []
        self.log: deque[dict[str, Any]] = deque(maxlen=10_000)

    def configure(self, doc: Any) -> None:
        """Load `{deny: {users: [...], groups: [...]}, allow: {...}}` (glob patterns)."""
        doc = doc or {}
        with self._lock:
            deny, allow = doc.get("deny") or {}, doc.get("allow") or {}
            self.deny_users = list(deny.get("users") or [])
            self.deny_groups = list(deny.get("groups") or [])
            self.allow_users = list(allow.get("users") or [])
            self.allow_groups = list(allow.get("groups") or [])

    def load_yaml(self, text: str) -> None:
        """Configure from YAML text."""
        self.configure(yaml.safe_load(text))

    def describe(self) -> dict[str, Any]:
        """Current rules."""
        return {
            "deny": {"users": self.deny_users, "groups": self.deny_groups},
            "allow": {"users": self.allow_users, "groups": self.allow_groups},
        }

    def _permitted(self, value: str, deny: list[str], allow: list[str]) -> bool:
        if any(fnmatch.fnmatchcase(value, p) for p in deny):
            return False
        return not allow or any(fnmatch.fnmatchcase(value, p) for p in allow)

    def check(self, ident: Identity) -> None:
        """Raise 403 the way the apiserver's impersonation filter does."""
        with self._lock:
            user = ident.impersonated_user
            if user is not None and not self._permitted(user, self.deny_users, self.allow_users):
                raise impersonation_forbidden(ident.user, user)
            for g in ident.impersonated_groups:
                if not self._permitted(g, self.deny_groups, self.allow_groups):
                    raise ApiError(
                        403,
                        "Forbidden",
                        f'groups "{g}" is forbidden: User "{ident.user}" cannot impersonate resource '
                        f'"groups" in '
                        f'API group "" at the cluster scope',
                        {"name": g, "kind": "groups"},
                    )

    def record(self, ident: Identity, verb: str, path: str) -> None:
        """Remember an impersonated request so tests can assert on it."""
        self.log.append(
            {
                "user": ident.user,
                "impersonatedUser": ident.impersonated_user,
                "impersonatedGroups": list(ident.impersonated_groups),
                "impersonatedUid": ident.impersonated_uid,
                "extra": dict(ident.extra),
                "verb": verb,
                "path": path,
            }
        )


def impersonation_forbidden(actor: str, user: str) -> ApiError:
    """403 for `actor` impersonating `user`, worded like the apiserver's impersonation filter."""
    return _forbidden(actor, user)


def _forbidden(actor: str, user: str) -> ApiError:
    if user.startswith("system:serviceaccount:") and user.count(":") == 3:
        _, _, ns, name = user.split(":")
        return ApiError(
            403,
            "Forbidden",
            f'serviceaccounts "{name}" is forbidden: User "{actor}" cannot impersonate resource '
            f'"serviceaccounts" in API group "" in the namespace "{ns}"',
            {"name": name, "kind": "serviceaccounts"},
        )
    return ApiError(
        403,
        "Forbidden",
        f'users "{user}" is forbidden: User "{actor}" cannot impersonate resource "users" in API group "" at '
        f"the cluster scope",
        {"name": user, "kind": "users"},
    )
