"""The webhook's index: a terminate or leave answered by this process revokes at once, and a refresh from a
visibility that still lists the old state does not bring the access back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from api.session_index import SessionIndex
from workflows import search_attributes as sa

POD = "breakglass-debug/pod-1"


class StaleVisibility:
    """Lists one Active session with two operators, whatever happened since (a lagging visibility store)."""

    def list_workflows(self, query: str) -> AsyncIterator[Any]:
        async def rows() -> AsyncIterator[Any]:
            attrs = TypedSearchAttributes(
                [
                    SearchAttributePair(sa.CLUSTER, "dev"),
                    SearchAttributePair(sa.LIVE_UNTIL, datetime.now(UTC) + timedelta(hours=1)),
                    SearchAttributePair(
                        sa.ACCESS, [f"pod:{POD}", "op:exec", "operator:owner:dave", "operator:participant:pat"]
                    ),
                ]
            )
            yield SimpleNamespace(id="s1", typed_search_attributes=attrs)

        return rows()


async def test_revocations_are_immediate_and_survive_a_stale_refresh() -> None:
    index = SessionIndex(cast(Client, StaleVisibility()))
    assert await index.refresh() == 1
    (session,) = index.sessions("dev", POD)
    assert session.operators == {"dave": "owner", "pat": "participant"}

    index.revoke("s1", "pat")  # pat left
    (session,) = index.sessions("dev", POD)
    assert session.operators == {"dave": "owner"}
    await index.refresh()
    (session,) = index.sessions("dev", POD)
    assert session.operators == {"dave": "owner"}

    index.revoke("s1")  # terminated
    assert index.sessions("dev", POD) == ()
    assert "s1" not in index.by_name
    await index.refresh()
    assert index.sessions("dev", POD) == ()
