"""Policy sub-objects shared by DebugSessionTemplate and DebugSessionClusterBinding."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from domain.base import Model


class AllowedSubjects(Model):
    """Who may request a session (users/groups) and on which clusters (globs)."""

    groups: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    clusters: list[str] = Field(default_factory=list)
    cluster_selector: dict[str, Any] | None = None
    """Present in the reference's type but ignored everywhere; kept so manifests load without warnings."""


class AutoApproveFor(Model):
    """Requests that skip approval: requester in one of `groups`, or target cluster matching `clusters`."""

    groups: list[str] = Field(default_factory=list)
    clusters: list[str] = Field(default_factory=list)


class Approvers(Model):
    """Who may approve. An empty set (no users, no groups) means auto-approve."""

    groups: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    auto_approve_for: AutoApproveFor | None = None


class DebugSessionConstraints(Model):
    """Duration and renewal limits."""

    max_duration: str = "4h"
    default_duration: str = "1h"
    allow_renewal: bool | None = None
    """Absent means true."""
    max_renewals: int | None = Field(default=None, ge=0)
    """Absent means 3; 0 means no renewal."""
    renewal_limit: int | None = None
    """Deprecated and unused (kept so old manifests load)."""
    max_concurrent_sessions: int = 2
    require_approval_for_renewal: bool = False
    """Named by the seed document; not enforced by the reference."""


class ExcludedRecipients(Model):
    """Recipients never notified."""

    users: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)


class NotificationConfig(Model):
    """Which lifecycle events send notifications, and to whom besides the defaults."""

    enabled: bool = True
    notify_on_request: bool = True
    notify_on_approval: bool = True
    notify_on_expiry: bool = True
    notify_on_termination: bool = True
    additional_recipients: list[str] = Field(default_factory=list)
    excluded_recipients: ExcludedRecipients | None = None


class RequestReasonConfig(Model):
    """Rules for the reason a requester gives."""

    mandatory: bool = False
    min_length: int = Field(default=10, ge=0)
    max_length: int = Field(default=1000, ge=1)
    description: str = ""
    suggested_reasons: list[str] = Field(default_factory=list)


class ApprovalReasonConfig(Model):
    """Rules for the reason an approver gives."""

    mandatory: bool = False
    mandatory_for_rejection: bool = True
    min_length: int = 10
    """Checked by the rules (>= 0) so the message matches the reference."""
    description: str = ""


class AllowedPodOperations(Model):
    """Which pod subresources participants may use on the session's pods."""

    exec: bool = True
    attach: bool = True
    logs: bool = False
    port_forward: bool = True
