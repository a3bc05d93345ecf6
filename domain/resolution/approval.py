"""Approval requirement and approver matching (docs/behaviour/resolution.md#approval)."""

from __future__ import annotations

from domain.base import Frozen
from domain.globs import match_pattern
from domain.identity import Identity, group_pattern_match, user_pattern_match
from domain.policy import Approvers


class ApprovalPolicy(Frozen):
    """Who may approve this session and whether approval is needed at all."""

    required: bool
    approver_users: tuple[str, ...] = ()
    approver_groups: tuple[str, ...] = ()
    reason: str = ""
    """Why approval is (not) required, in words for the audit log and the API."""


def effective_approvers(
    template: Approvers | None, binding: Approvers | None, binding_selected: bool
) -> Approvers | None:
    """The binding's approvers whenever it states them (even empty), else the template's."""
    if binding_selected and binding is not None:
        return binding
    return template


def approval_policy(approvers: Approvers | None, cluster: str, groups: tuple[str, ...]) -> ApprovalPolicy:
    """No approvers configured means auto-approve; otherwise required unless autoApproveFor matches.

    `autoApproveFor.clusters` are globs on the cluster name; `autoApproveFor.groups` must equal one of the
    requester's groups exactly (captured at creation).
    """
    if approvers is None or (not approvers.users and not approvers.groups):
        return ApprovalPolicy(required=False, reason="no approvers configured: auto-approved")
    users, grps = tuple(approvers.users), tuple(approvers.groups)
    auto = approvers.auto_approve_for
    if auto is not None:
        for pattern in auto.clusters:
            if match_pattern(pattern, cluster):
                return ApprovalPolicy(
                    required=False,
                    approver_users=users,
                    approver_groups=grps,
                    reason=f"auto-approved: cluster '{cluster}' matches autoApproveFor.clusters '{pattern}'",
                )
        for group in auto.groups:
            if group in groups:
                return ApprovalPolicy(
                    required=False,
                    approver_users=users,
                    approver_groups=grps,
                    reason=f"auto-approved: requester is in autoApproveFor group '{group}'",
                )
    return ApprovalPolicy(required=True, approver_users=users, approver_groups=grps, reason="approval required")


def is_approver(policy: ApprovalPolicy, who: Identity) -> bool:
    """Approver matching: users (globs case-sensitive, names case-insensitive) then groups (globs)."""
    if not policy.approver_users and not policy.approver_groups:
        return False
    return any(user_pattern_match(u, who) for u in policy.approver_users) or group_pattern_match(
        policy.approver_groups, who
    )
