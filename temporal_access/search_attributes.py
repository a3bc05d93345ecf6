"""The custom search attributes, registered by the worker and the API at start (`dsctl dev` too).

Registered by our own code on every start (idempotent), because the dev server ignores
`--search-attribute` on an existing database and a production cluster needs them once per namespace.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

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


def create_commands(namespace: str, keys: Sequence[SearchAttributeKey[Any]] = search_attributes.ALL) -> list[str]:
    """The `temporal operator` commands that create the attributes (for an operator to run once, where this
    process may not register them itself, e.g. Temporal Cloud)."""
    names = {
        IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD: "Keyword",
        IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
        IndexedValueType.INDEXED_VALUE_TYPE_DATETIME: "Datetime",
        IndexedValueType.INDEXED_VALUE_TYPE_TEXT: "Text",
        IndexedValueType.INDEXED_VALUE_TYPE_INT: "Int",
        IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE: "Double",
        IndexedValueType.INDEXED_VALUE_TYPE_BOOL: "Bool",
    }
    return [
        f"temporal operator search-attribute create --namespace {namespace} --name {key.name} "
        f"--type {names[IndexedValueType.ValueType(int(key.indexed_value_type))]}"
        for key in keys
    ]


async def register_or_report(client: Client, namespace: str, log: logging.Logger) -> list[str]:
    """Register the search attributes; when Temporal does not let this process (no operator rights, Temporal
    Cloud), log the exact commands that create them, and go on (creating a session fails until they exist)."""
    try:
        added = await ensure_search_attributes(client, namespace)
    except RPCError as exc:
        if exc.status not in (
            RPCStatusCode.PERMISSION_DENIED,
            RPCStatusCode.UNIMPLEMENTED,
            RPCStatusCode.UNAUTHENTICATED,
        ):
            raise
        commands = "\n  ".join(create_commands(namespace))
        log.error(
            "search attributes not registered (%s: %s); create them once with (Temporal Cloud: tcld namespace "
            "search-attributes add, same names and types):\n  %s",
            exc.status.name,
            exc.message,
            commands,
        )
        return []
    if added:
        log.info("registered search attributes: %s", ", ".join(added))
    return added
