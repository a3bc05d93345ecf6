"""Temporal namespace setup shared by the worker, the API and `dsctl dev`: custom search attributes.

Registered by our own code on every start (idempotent), because the dev server ignores
`--search-attribute` on an existing database and a production cluster needs them once per namespace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

from workflows import search_attributes


async def ensure_search_attributes(
    client: Client, namespace: str, keys: Sequence[SearchAttributeKey[Any]] = search_attributes.ALL
) -> list[str]:
    """Register our custom search attributes if missing (the dev server ignores flags on an existing DB)."""
    existing = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    missing = {
        # the SDK's enum mirrors the protocol's IndexedValueType numbers
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in keys
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
