"""The web UI under test: an app whose API state is hand-made (catalog, tokens, no Temporal) or real, a
browser-like client (cookies kept, forms posted with their CSRF token), and what a page offers to people and
to assistive technology (labels, buttons, links, test ids), read with the standard library's HTML parser."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from api.app import create_app
from api.auth import load_tokens
from api.cluster_health import ClusterHealth
from api.deps import get_state
from api.oidc import OidcVerifier
from api.settings import ApiSettings
from api.ui.context import build_context
from api.ui.settings import UiSettings
from domain.catalog.catalog import load_catalog
from tests.conftest import REPO

CATALOG = REPO / "deploy" / "demo-catalog"
TOKENS = REPO / "deploy" / "demo-tokens.yaml"
"""dev-sam-token (sre-team), dev-lena-token (security-leads), dev-dave-token (developers), dev-ops-token (admin)."""
UI_SECRET = "test-secret"


class NoSessions:
    """A Temporal client that knows no session (the binding limits count zero)."""

    async def count_workflows(self, query: str) -> Any:
        return SimpleNamespace(count=0)

    def list_workflows(self, query: str, **kw: Any) -> Any:
        async def none() -> Any:
            return
            yield

        return none()


def offline_app(ui: UiSettings | None = None, oidc: OidcVerifier | None = None, tokens: bool = True, **api: Any) -> Any:
    """The app serving the demo catalog and tokens without Temporal: pages and API routes that read only the
    catalog work (login, the request form, templates, preview). `oidc` verifies OIDC tokens; `tokens=False`
    leaves the token file out."""
    catalog = load_catalog([CATALOG]).catalog
    assert catalog is not None
    settings = ApiSettings(catalog_dir=CATALOG, tokens_file=TOKENS if tokens else None, **api)
    state = SimpleNamespace(
        settings=settings,
        tokens=load_tokens(TOKENS) if tokens else {},
        oidc=oidc,
        health=ClusterHealth(lambda: catalog),
        watcher=SimpleNamespace(catalog=catalog),
        client=NoSessions(),
    )
    app = create_app(settings)
    app.dependency_overrides[get_state] = lambda: state
    app.state.ui = build_context(ui or UiSettings(secret=UI_SECRET))
    app.state.fake_api_state = state
    return app


class Browser:
    """A browser's cookie jar and its requests to one app (no JavaScript)."""

    def __init__(self, app: Any, base_url: str = "http://ui") -> None:
        self.app = app
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        self.last: Page | None = None

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        resp = await self.client.get(path, **kw)
        if resp.headers.get("content-type", "").startswith("text/html"):
            self.last = Page(resp.text)
        return resp

    async def page(self, path: str, status: int = 200) -> Page:
        resp = await self.get(path)
        assert resp.status_code == status, (resp.status_code, resp.headers.get("location"), resp.text[:2000])
        assert self.last is not None
        return self.last

    async def post(self, path: str, data: dict[str, Any], csrf: bool = True, **kw: Any) -> httpx.Response:
        """Post a form as the last page's forms would (with its CSRF token unless `csrf` is false)."""
        if csrf:
            assert self.last is not None, "no page loaded"
            assert self.last.csrf, "no CSRF token on the last page"
            data = {"csrf_token": self.last.csrf, **data}
        resp = await self.client.post(path, data=data, **kw)
        if resp.headers.get("content-type", "").startswith("text/html"):
            self.last = Page(resp.text)
        return resp

    async def login(self, token: str, next_path: str = "/debug-sessions") -> httpx.Response:
        await self.page(f"/login?next={next_path}")
        resp = await self.post("/login", {"token": token, "next": next_path})
        assert resp.status_code == 303, resp.text[:2000]
        return resp


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class _Parser(HTMLParser):
    CONTAINERS = ("button", "a", "label", "caption", "h1", "h2", "h3", "option", "p", "span", "td", "summary", "tr")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag in self.CONTAINERS:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


@dataclass
class Page:
    """What one HTML answer offers."""

    html: str
    elements: list[Element] = field(default_factory=list)

    def __post_init__(self) -> None:
        parser = _Parser()
        parser.feed(self.html)
        self.elements = parser.elements
        for e in self.elements:
            e.text = " ".join(e.text.split())

    @property
    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]*)"', self.html)
        return found.group(1) if found else ""

    def all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def buttons(self) -> list[str]:
        return [e.attrs.get("aria-label") or e.text for e in self.all("button") if "hidden" not in e.attrs]

    def links(self) -> list[str]:
        return [e.attrs.get("aria-label") or e.text for e in self.all("a")]

    def labels(self) -> dict[str, str]:
        """Label text -> the id of the control it names."""
        return {e.text: e.attrs.get("for", "") for e in self.all("label")}

    def control(self, label: str) -> Element:
        """The input, select or textarea labelled `label` (exactly)."""
        target = self.labels().get(label)
        assert target, f"no label {label!r} in {sorted(self.labels())}"
        found = [e for e in self.elements if e.attrs.get("id") == target and e.tag in ("input", "select", "textarea")]
        assert len(found) == 1, (label, target, found)
        return found[0]

    def testid(self, name: str) -> str:
        found = [e for e in self.elements if e.attrs.get("data-testid") == name]
        assert found, f"no data-testid={name}"
        return found[0].text

    def rows(self) -> list[str]:
        return [e.attrs["data-session"] for e in self.all("tr", data_testid="session-row")]

    def unlabelled_controls(self) -> list[Element]:
        """Form controls without an accessible name (a label, aria-label or aria-labelledby)."""
        labelled = {e.attrs.get("for") for e in self.all("label")}
        return [
            e
            for e in self.elements
            if e.tag in ("input", "select", "textarea")
            and e.attrs.get("type") != "hidden"
            and e.attrs.get("id") not in labelled
            and not e.attrs.get("aria-label")
            and not e.attrs.get("aria-labelledby")
        ] + [e for e in self.all("button") if not (e.text or e.attrs.get("aria-label"))]

    def text(self) -> str:
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", self.html)).split())


def cookie_header(resp: httpx.Response, name: str) -> str:
    """The Set-Cookie header that sets `name`."""
    found = [h for h in resp.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert found, resp.headers.get_list("set-cookie")
    return found[0]


def path_of(url: str) -> str:
    return url if url.startswith("/") else "/" + url.split("/", 3)[-1]


def repo_path(*parts: str) -> Path:
    return REPO.joinpath(*parts)
