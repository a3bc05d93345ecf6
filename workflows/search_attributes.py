"""Custom search attributes of session workflows (registered by our setup code on every start)."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey

STATE = SearchAttributeKey.for_keyword("DebugSessionState")
CLUSTER = SearchAttributeKey.for_keyword("DebugSessionCluster")
TEMPLATE = SearchAttributeKey.for_keyword("DebugSessionTemplate")
REQUESTER = SearchAttributeKey.for_keyword("DebugSessionRequester")
PARTICIPANTS = SearchAttributeKey.for_keyword_list("DebugSessionParticipants")
EXPIRES_AT = SearchAttributeKey.for_datetime("DebugSessionExpiresAt")

ALL: tuple[SearchAttributeKey[Any], ...] = (STATE, CLUSTER, TEMPLATE, REQUESTER, PARTICIPANTS, EXPIRES_AT)
"""Every key, for registration with the operator service."""
