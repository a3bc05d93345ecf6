"""Posting a planned chat message to its incoming webhook."""

from __future__ import annotations

import httpx

from notifications.plan import ChatMessage


def post_chat(message: ChatMessage, timeout: float = 10.0) -> None:
    """POST the payload as JSON; raises httpx.HTTPError on a transport error or a non-2xx answer."""
    response = httpx.post(message.url, json=message.payload, timeout=timeout)
    response.raise_for_status()
