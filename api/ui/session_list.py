"""The sessions page (`/debug-sessions`): tabs All / Mine / Awaiting my approval, filters, one page of rows.

A page is one page of the API's list (`?limit=&continue=`), so it costs the same with 100 or 10,000
sessions. Filters the API has (cluster, state, mine) go to the API; the others (template, text) are applied
to the rows of the page, reading on through further pages (bounded) until a page is full.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.ui.context import ApiFailure, Login, UiError, call, caller, current_login, render, take_flash
from api.ui.settings import PAGE_SIZE
from domain.identity import Identity, identity_match
from domain.session import SessionState

TABS = {"all": "All", "mine": "Mine", "approval": "Awaiting my approval"}
SCAN_LIMIT = 200
"""At most this many sessions are read for one page when a filter the API does not have hides rows (a page
stays as cheap as two API pages; "Next page" reads on)."""
SCAN_BATCH = 100


@dataclass(frozen=True)
class View:
    """What the page shows: a tab and filters (all from the query string)."""

    tab: str = "all"
    state: str = ""
    cluster: str = ""
    template: str = ""
    q: str = ""

    @classmethod
    def of(cls, request: Request) -> View:
        p = request.query_params
        tab = p.get("tab", "all")
        state = p.get("state", "")
        return cls(
            tab=tab if tab in TABS else "all",
            state=state if state in SessionState.__members__.values() else "",
            cluster=p.get("cluster", "").strip()[:253],
            template=p.get("template", "").strip()[:253],
            q=p.get("q", "").strip()[:200],
        )

    def query(self, **changes: str) -> str:
        """This view's query string, with `changes`, empty values left out."""
        values = {"tab": self.tab, "state": self.state, "cluster": self.cluster, "template": self.template, "q": self.q}
        values.update(changes)
        if values["tab"] == "all":
            values["tab"] = ""
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def local_filters(self) -> bool:
        """Some filter the API does not apply (template, text, the approval tab's canApprove)."""
        return bool(self.template or self.q or self.tab == "approval")

    def api_params(self) -> dict[str, Any]:
        """The filters the API applies."""
        params: dict[str, Any] = {}
        if self.cluster:
            params["cluster"] = self.cluster
        if self.tab == "approval":
            params["state"] = SessionState.PENDING_APPROVAL.value
        elif self.state:
            params["state"] = self.state
        if self.tab == "mine":
            params["mine"] = "true"
        return params

    def in_tab(self, tab: str, row: dict[str, Any], who: Identity) -> bool:
        """`row` belongs to `tab` (whatever this view's own tab is)."""
        if tab == "mine":
            return identity_match(str(row.get("requestedBy", "")), who)
        if tab == "approval":
            return bool(row.get("canApprove")) and row.get("state") == SessionState.PENDING_APPROVAL.value
        return True

    def shows(self, row: dict[str, Any], who: Identity) -> bool:
        """`row` is one of this view's (every filter, the tab included)."""
        if self.cluster and row.get("cluster") != self.cluster:
            return False
        if self.state and self.tab != "approval" and row.get("state") != self.state:
            return False
        return self.matches_local(row) and self.in_tab(self.tab, row, who)

    def matches_local(self, row: dict[str, Any]) -> bool:
        """The template and text filters."""
        if self.template and row.get("templateRef") != self.template:
            return False
        if self.q:
            text = " ".join(
                str(row.get(k) or "")
                for k in ("name", "cluster", "templateRef", "requestedBy", "requestedByDisplayName", "targetNamespace")
            ).lower()
            if not all(word in text for word in self.q.lower().split()):
                return False
        return True

    def shows_local(self, row: dict[str, Any], who: Identity) -> bool:
        return self.matches_local(row) and (self.tab != "approval" or self.in_tab("approval", row, who))


@dataclass
class Page:
    rows: list[dict[str, Any]]
    next_token: str | None
    scanned: int


async def read_page(request: Request, login: Login, view: View, who: Identity, token: str | None) -> Page:
    """One page of the view's rows from `token` on (the API's continue token)."""
    rows: list[dict[str, Any]] = []
    scanned = 0
    limit = PAGE_SIZE if not view.local_filters else SCAN_BATCH
    while True:
        params = {**view.api_params(), "limit": limit}
        if token:
            params["continue"] = token
        listed = await call(request, login, "GET", "/api/v1/debug-sessions", params=params)
        batch = listed.get("sessions") or []
        scanned += len(batch)
        rows += [r for r in batch if not view.local_filters or view.shows_local(r, who)]
        token = listed.get("continue") or None
        if token is None or len(rows) >= PAGE_SIZE or not view.local_filters or scanned >= SCAN_LIMIT:
            return Page(rows, token, scanned)
        await asyncio.sleep(0)


router = APIRouter()


@router.get("/")
async def home() -> Response:
    """The UI's start page is the sessions list."""
    return RedirectResponse("/debug-sessions", status_code=303)


@router.get("/debug-sessions")
async def sessions_page(request: Request) -> Response:
    """Sessions the user may see: a tab, filters, one page (`?continue=` the next)."""
    login = await current_login(request)
    who = await caller(request, login)
    view = View.of(request)
    token = request.query_params.get("continue") or None
    templates_call = call(
        request,
        login,
        "GET",
        "/api/v1/debug-session-templates",
        params={"includeHidden": "true", "includeUnavailable": "true"},
    )
    try:
        page, templates = await asyncio.gather(read_page(request, login, view, who, token), templates_call)
    except ApiFailure as exc:
        raise UiError(exc.status, exc.text) from exc
    template_names = sorted(
        {str(t.get("name")) for t in templates.get("templates") or []} | {str(r.get("templateRef")) for r in page.rows}
    )
    clusters = sorted(
        {str(c) for t in templates.get("templates") or [] for c in t.get("allowedClusters") or []}
        | {str(r.get("cluster")) for r in page.rows}
    )
    return render(
        request,
        "list.html",
        view=view,
        tabs=TABS,
        states=[s.value for s in SessionState],
        rows=page.rows,
        next_token=page.next_token,
        scanned=page.scanned if view.local_filters else 0,
        paged=bool(token),
        template_names=[n for n in template_names if n],
        cluster_names=[c for c in clusters if c],
        flash=take_flash(request),
    )
