"""Live updates of the sessions page: `GET /debug-sessions/events`, a server-sent event stream for the
browser (authenticated by the session cookie: EventSource cannot send an Authorization header).

It streams the API's own watch (`GET /api/v1/debug-sessions/watch`) for the user, in-process, and turns it
into what the page needs: each changed row rendered as HTML with whether it belongs to the page's view, and
the count of each tab. httpx's ASGI transport buffers whole answers, so the watch is called as a plain ASGI
request here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.types import ASGIApp, Message

from api.ui.context import caller, current_login, finish, ui
from api.ui.session_list import TABS, View
from domain.identity import Identity

log = logging.getLogger("debug_sessions.ui")
router = APIRouter()
WATCH = "/api/v1/debug-sessions/watch"


class Upstream:
    """An ASGI GET to `app` whose answer is read as it comes (status first, then body chunks)."""

    def __init__(self, app: ASGIApp, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(b"host", b"ui.internal"), (b"accept", b"text/event-stream"), *headers],
            "client": ("127.0.0.1", 0),
            "server": ("ui.internal", 80),
        }
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.gone = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._asked = False

    async def _receive(self) -> Message:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        await self.messages.put(message)

    async def _run(self) -> None:
        try:
            await self.app(self.scope, self._receive, self._send)
        finally:
            await self.messages.put({"type": "ui.done"})

    async def start(self) -> tuple[int, bytes]:
        """The status, and the whole body when it is not a stream (an error envelope)."""
        self.task = asyncio.create_task(self._run(), name=f"ui-upstream {self.scope['path']}")
        start = await self.messages.get()
        if start["type"] != "http.response.start":
            return 500, b""
        status = int(start["status"])
        if status == 200:
            return status, b""
        body = b""
        async for chunk in self.chunks():
            body += chunk
        return status, body

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            message = await self.messages.get()
            if message["type"] != "http.response.body":
                return
            if message.get("body"):
                yield message["body"]
            if not message.get("more_body", False):
                return

    async def close(self) -> None:
        self.gone.set()
        if self.task is not None and not self.task.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self.task), 2)
            if not self.task.done():
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.task


async def server_sent_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, str]]:
    """(event, data) of each event; comments as ("", text)."""
    buffer = ""
    async for chunk in chunks:
        buffer += chunk.decode()
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            kind, data = "message", []
            for line in block.split("\n"):
                if line.startswith(":"):
                    yield "", line[1:].strip()
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
            if data:
                yield kind, "\n".join(data)


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def counts(view: View, rows: dict[str, dict[str, Any]], who: Identity) -> dict[str, int]:
    """Sessions in each tab, under the view's other filters."""
    return {
        tab: sum(
            1 for row in rows.values() if View(tab, view.state, view.cluster, view.template, view.q).shows(row, who)
        )
        for tab in TABS
    }


@router.get("/debug-sessions/events")
async def session_events(request: Request) -> StreamingResponse:
    """The view's changes as server-sent events: `counts` ({tab: n}) after the first listing and on every
    change, `row` ({name, html, show, entered}) for a session that changed, `gone` ({name}) for one that
    left, `error` ({status, message}) when the API refuses (401: log in again)."""
    login = await current_login(request)
    who = await caller(request, login)
    view = View.of(request)
    query = urlencode({"cluster": view.cluster} if view.cluster else {})
    row_template = ui(request).env.get_template("_row.html")

    def row_html(row: dict[str, Any]) -> str:
        return row_template.render(row=row, now=datetime.now(UTC), user=who)

    async def stream() -> AsyncIterator[str]:
        upstream = Upstream(request.app, WATCH, query, [(b"authorization", f"Bearer {login.token}".encode())])
        try:
            status, body = await upstream.start()
            if status != 200:
                try:
                    message = str(json.loads(body).get("error", ""))
                except (ValueError, AttributeError):
                    message = body.decode(errors="replace")[:200]
                yield sse("error", {"status": status, "message": message})
                return
            yield ": connected\n\n"
            rows: dict[str, dict[str, Any]] = {}
            listed = False
            last: dict[str, int] | None = None
            async for kind, data in server_sent_events(upstream.chunks()):
                if kind == "":
                    if data == "listed":
                        listed = True
                    elif listed:
                        yield ": keep-alive\n\n"
                        continue
                    else:
                        continue
                else:
                    event = json.loads(data)
                    if kind == "DELETED":
                        name = str(event.get("name", ""))
                        before = rows.pop(name, None)
                        if listed and before is not None:
                            yield sse("gone", {"name": name})
                    else:
                        row = event.get("session") or {}
                        name = str(row.get("name", ""))
                        before = rows.get(name)
                        rows[name] = row
                        if listed:
                            show = view.shows(row, who)
                            entered = show and (before is None or not view.shows(before, who))
                            yield sse("row", {"name": name, "html": row_html(row), "show": show, "entered": entered})
                if listed:
                    now_counts = counts(view, rows, who)
                    if now_counts != last:
                        last = now_counts
                        yield sse("counts", now_counts)
        finally:
            await upstream.close()

    response = StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    finish(request, response)
    return response
