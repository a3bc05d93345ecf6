"""Impersonation: deploy a session's objects as a constrained identity instead of the worker's own."""

from __future__ import annotations

from pydantic import Field

from domain.base import Model
from domain.meta import NamespacedRef


class ImpersonationConfig(Model):
    """Who the worker acts as on the target cluster; only `serviceAccountRef` affects deployment."""

    service_account_ref: NamespacedRef | None = None
    mode: str | None = None
    """One of user-info, serviceaccount, arbitrary-node, associated-node, legacy (checked by the rules,
    so an unknown mode gets the reference's message rather than a generic enum error)."""
    user_name: str | None = Field(default=None, max_length=253)
    uid: str | None = None
    groups: list[str] = Field(default_factory=list, max_length=32)
    extra: dict[str, list[str]] = Field(default_factory=dict, max_length=32)
    allowed_identities: list[str] = Field(default_factory=list, max_length=100)
    action_verbs: list[str] = Field(default_factory=list, max_length=32)
