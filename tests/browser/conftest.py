"""Browser fixtures: Playwright driving Debian's `chromium` (headless) against one `dsctl dev --simulate` stack.

Playwright's own browser downloads are never used (`playwright install` needs the internet): the browser is
the distribution's package, installed here with apt-get when it is missing, the way CI gets it. Without
chromium or the playwright package the browser tests are skipped, with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Generator, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest
import pytest_asyncio

from tests.dev_stack import DevStack, dev_stack

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, ViewportSize

CHROMIUM = Path(os.environ.get("DEBUG_SESSIONS_CHROMIUM", "/usr/bin/chromium"))
"""The browser binary: Debian's `chromium` package unless the environment names another."""
EXPECT_TIMEOUT_MS = 20_000
"""How long an `expect(...)` waits: a session turns Active a second or two after approval, more on a busy CI."""


class NewContext(Protocol):
    """The `new_context` fixture: a fresh browser context (cookie jar) at a viewport size, on the shared
    stack or on the one at `base_url`."""

    def __call__(
        self, viewport: ViewportSize | None = None, base_url: str | None = None
    ) -> Awaitable[BrowserContext]: ...


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env, timeout=900, check=False)


def install_chromium() -> str | None:
    """Make sure `CHROMIUM` exists, installing Debian's `chromium` if needed; None, or why it cannot be had."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing and there is no apt-get to install the chromium package"
    if os.geteuid() != 0:
        return f"{CHROMIUM} is missing; install it with: sudo apt-get install -y chromium"
    done = _apt_get("install", "-y", "-qq", "chromium")
    if done.returncode != 0:  # most often a stale or missing package list
        _apt_get("update", "-qq")
        done = _apt_get("install", "-y", "-qq", "chromium")
    if done.returncode != 0:
        return f"apt-get install chromium failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-500:]}"
    if not CHROMIUM.exists():
        return f"the chromium package is installed, but {CHROMIUM} does not exist"
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless-capable chromium, installed on first use; skips when it cannot be had."""
    reason = install_chromium()
    if reason is not None:
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    """One headless chromium for the whole run (each test opens its own contexts: separate cookie jars)."""
    async_api = pytest.importorskip(
        "playwright.async_api", reason="the playwright package is not installed (pip install playwright)"
    )
    async_api.expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    async with async_api.async_playwright() as playwright:
        # --no-sandbox: the tests run as root, where chromium refuses its sandbox
        launched: Browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            await launched.close()


LOGIN_LIFETIME_S = 6
"""The UI login's lifetime on `short_login_stack` (DEBUG_SESSION_UI_SESSION_LIFETIME)."""


@contextmanager
def browser_stack(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str] | None = None) -> Iterator[DevStack]:
    """`dev_stack` in a fresh directory, tried again on new ports when one was taken meanwhile."""
    for attempt in range(1, 4):
        root = tmp_path_factory.mktemp("browser-stack")
        stop = ExitStack()
        try:
            running = stop.enter_context(dev_stack(root, env))
        except AssertionError:
            # dev_stack picks free ports before its processes bind them: another process may take one in
            # between (the other tests on a shared machine). Then, and only then, try new ports.
            logs = "".join(p.read_text(errors="replace") for p in (root / "state" / "logs").glob("*.log"))
            if "address already in use" in logs and attempt < 3:
                continue
            raise
        with stop:
            yield running
        return


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """`dsctl dev --simulate` with the demo catalog and users, shared by every browser test."""
    with browser_stack(tmp_path_factory) as running:
        yield running


@pytest.fixture
def short_login_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """A stack of its own whose UI logins last `LOGIN_LIFETIME_S` seconds: a login that really expires."""
    with browser_stack(tmp_path_factory, {"DEBUG_SESSION_UI_SESSION_LIFETIME": f"{LOGIN_LIFETIME_S}s"}) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def new_context(
    browser: Browser, stack: DevStack, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[NewContext]:
    """Open browser contexts (one per user) on the stack's URL; closed after the test. When the test failed,
    each open page is saved first (PNG and HTML in the test's tmp_path) to show what the browser saw."""
    contexts: list[BrowserContext] = []

    async def open_context(viewport: ViewportSize | None = None, base_url: str | None = None) -> BrowserContext:
        context = await browser.new_context(base_url=base_url or stack.api, viewport=viewport)
        contexts.append(context)
        return context

    yield open_context
    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    for i, context in enumerate(contexts):
        if failed:
            for j, page in enumerate(context.pages):
                stem = tmp_path / f"context{i}-page{j}"
                try:
                    await page.screenshot(path=f"{stem}.png", full_page=True)
                    _write(Path(f"{stem}.html"), f"<!-- {page.url} -->\n" + await page.content())
                except Exception as e:  # a crashed page must not hide the test's own failure
                    _write(Path(f"{stem}.error"), repr(e))
        await context.close()
    if failed:
        print(f"browser pages saved under {tmp_path}")


def _write(path: Path, text: str) -> None:
    path.write_text(text)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember the call phase's report on the item, so `new_context` knows whether the test failed."""
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
