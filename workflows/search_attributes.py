"""Custom search attributes of session workflows (registered by our setup code on every start)."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from domain.resolution.resolved import ResolvedSession

STATE = SearchAttributeKey.for_keyword("DebugSessionState")
CLUSTER = SearchAttributeKey.for_keyword("DebugSessionCluster")
TEMPLATE = SearchAttributeKey.for_keyword("DebugSessionTemplate")
REQUESTER = SearchAttributeKey.for_keyword("DebugSessionRequester")
PARTICIPANTS = SearchAttributeKey.for_keyword_list("DebugSessionParticipants")
EXPIRES_AT = SearchAttributeKey.for_datetime("DebugSessionExpiresAt")
BINDING = SearchAttributeKey.for_keyword("DebugSessionBinding")
"""`namespace/name` of the binding the session was created through (empty when none): session limits."""
# The dev server's visibility store allows only 3 keyword-list attributes, hence the prefixed entries.
READERS = SearchAttributeKey.for_keyword_list("DebugSessionReaders")
"""Who may read the session: lower-cased usernames/e-mails (requester, invitees, approver users) and
`group:<name>` for approver groups."""
ACCESS = SearchAttributeKey.for_keyword_list("DebugSessionAccess")
"""What the authorization webhook decides from, kept current by the workflow: `pod:<namespace>/<name>`,
`op:<exec|attach|log|portforward>`, and `operator:<owner|participant>:<username>` for active participants."""
LIVE_UNTIL = SearchAttributeKey.for_datetime("DebugSessionLiveUntil")
"""When access ends: expiresAt, or startsAt + maxDuration for notify-only sessions (DESIGN 14)."""

ALL: tuple[SearchAttributeKey[Any], ...] = (
    STATE,
    CLUSTER,
    TEMPLATE,
    REQUESTER,
    PARTICIPANTS,
    EXPIRES_AT,
    BINDING,
    READERS,
    ACCESS,
    LIVE_UNTIL,
)
"""Every key, for registration with the operator service."""


def readers(session: ResolvedSession, invited: tuple[str, ...]) -> list[str]:
    """READERS entries: requester, invitees and approver users (lower-cased), and `group:` approver groups."""
    who = session.requester
    users = {
        v.strip().lower() for v in (who.username, who.email, *invited, *session.approval.approver_users) if v.strip()
    }
    return sorted(users | {f"group:{g}" for g in session.approval.approver_groups})


def initial(session: ResolvedSession) -> TypedSearchAttributes:
    """The attributes a session workflow starts with (the workflow keeps state/participants/expiry current)."""
    who = session.requester
    return TypedSearchAttributes(
        [
            SearchAttributePair(STATE, "Pending"),
            SearchAttributePair(CLUSTER, session.cluster.name),
            SearchAttributePair(TEMPLATE, session.template_name),
            SearchAttributePair(REQUESTER, who.username),
            SearchAttributePair(BINDING, session.binding.ref if session.binding else ""),
            SearchAttributePair(READERS, readers(session, session.invited_participants)),
        ]
    )
