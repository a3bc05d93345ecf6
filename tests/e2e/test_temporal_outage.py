"""When Temporal stops answering (restart, partition), the API still answers every request in time: 503
with Retry-After and the error envelope, never a hang and never a 500; /readyz says not ready; and all is
well again once Temporal answers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import yaml
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.settings import ApiSettings
from tests.conftest import REPO
from tests.tcp_proxy import PausableProxy


async def test_requests_during_an_outage_get_503_with_retry_after_in_time(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    host, port = dev_server.client.service_client.config.target_host.rsplit(":", 1)
    proxy = PausableProxy(host, int(port))
    address = await proxy.start()
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(yaml.safe_dump([{"token": "t-dave-token", "user": "dave"}]))
    settings = ApiSettings(catalog_dir=REPO / "deploy" / "demo-catalog", tokens_file=tokens, request_timeout=1.0)
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    app = create_app(settings, client=client)
    headers = {"Authorization": "Bearer t-dave-token"}
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api,
        ):
            assert (await api.get("/readyz")).status_code == 200
            assert (await api.get("/api/v1/debug-sessions", headers=headers)).status_code == 200
            proxy.pause()
            started = time.monotonic()
            answers = await asyncio.gather(
                api.get("/api/v1/debug-sessions", headers=headers),
                api.get("/api/v1/debug-sessions/some-session", headers=headers),
                api.post("/api/v1/debug-sessions/some-session/terminate", headers=headers),
            )
            took = time.monotonic() - started
            for resp in answers:
                assert resp.status_code == 503, (resp.request.url, resp.text)
                assert resp.headers["retry-after"] == "2"
                assert resp.json()["code"] == "SERVICE_UNAVAILABLE"
            assert took < 3.0, f"answers took {took:.1f} s with a 1 s deadline"
            ready = await api.get("/readyz")
            assert (ready.status_code, ready.json()["temporal"]) == (503, False)
            proxy.resume()
            for _ in range(50):  # the client reconnects on its own
                if (await api.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.2)
            assert (await api.get("/api/v1/debug-sessions", headers=headers)).status_code == 200
    finally:
        proxy.resume()
        await proxy.stop()
