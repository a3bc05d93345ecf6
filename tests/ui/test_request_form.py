"""The request form and the preview, without Temporal (the catalog answers everything they need)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import yaml

from api.app import create_app
from api.settings import ApiSettings
from cli.dsctl import main as dsctl
from tests.ui.support import CATALOG, Browser, offline_app

SAM = {"Authorization": "Bearer dev-sam-token"}


async def test_the_form_goes_template_then_cluster_then_the_rest() -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-sam-token")
        page = await browser.page("/debug-sessions/create")
        assert page.control("Template").tag == "select"
        assert "Cluster" not in page.labels()
        assert "Request session" not in page.buttons()
        # without JavaScript: "Choose template" posts the form back with the next step
        resp = await browser.post("/debug-sessions/create", {"templateRef": "network-debug", "action": "choose"})
        assert resp.status_code == 200
        assert browser.last is not None
        page = browser.last
        options = [o.attrs["value"] for o in page.all("option") if o.attrs.get("value")]
        assert {"dev-1", "prod-eu"} <= set(options)
        assert page.control("Cluster").tag == "select"
        assert "Production EU prod-eu" in page.text()
        assert "needed from security-leads" in page.text()
        assert "SRE Production Debug" in page.text()  # the binding offering prod-eu
        page = await browser.page("/debug-sessions/create?template=network-debug&cluster=prod-eu")
        for label in ("Template", "Cluster", "Target namespace", "Duration", "Reason", "Invite participants"):
            page.control(label)
        assert page.control("Reason").tag == "textarea"
        assert page.control("Duration").attrs["placeholder"] == "30m"  # the binding's default
        assert {"Request session", "Preview"} <= set(page.buttons())
        assert "This session needs approval by security-leads" in page.text()
        assert page.unlabelled_controls() == []


async def test_app_js_gets_the_steps_alone() -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-sam-token")
        resp = await browser.get(
            "/debug-sessions/create?fragment=steps&template=dynamic-debug&cluster=dev-1", headers={"X-UI-Fragment": "1"}
        )
        assert resp.status_code == 200
        assert "<html" not in resp.text
        assert 'id="cluster"' in resp.text
        assert 'id="templateRef"' not in resp.text


async def test_extra_variables_are_typed_inputs() -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-sam-token")
        page = await browser.page("/debug-sessions/create?template=dynamic-debug&cluster=dev-1")
        image = page.control("Debug image")
        assert image.tag == "select"
        values = [o.attrs["value"] for o in page.all("option")]
        assert {"alpine:latest", "busybox:latest", "nicolaka/netshoot:latest"} <= set(values)
        host = page.control("Use the host network")
        assert (host.tag, host.attrs["type"]) == ("input", "checkbox")


async def test_a_refusal_is_shown_next_to_its_field() -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-dave-token")
        await browser.page("/debug-sessions/create?template=minimal-debug&cluster=dev-1")
        resp = await browser.post(
            "/debug-sessions/create",
            {"templateRef": "minimal-debug", "cluster": "dev-1", "requestedDuration": "99h", "action": "create"},
        )
        assert resp.status_code == 400
        page = browser.last
        assert page is not None
        duration = page.control("Duration")
        assert duration.attrs["value"] == "99h"
        assert duration.attrs.get("aria-invalid") == "true"
        error = [e for e in page.elements if e.attrs.get("id") == "requestedDuration-error"]
        assert error
        assert "requestedDuration 99h exceeds maximum duration 2h" in error[0].text
        assert "requestedDuration-error" in duration.attrs["aria-describedby"]


async def test_a_refusal_about_no_field_is_shown_at_the_top() -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-dave-token")
        await browser.page("/debug-sessions/create")
        resp = await browser.post(
            "/debug-sessions/create", {"templateRef": "network-debug", "cluster": "prod-eu", "action": "preview"}
        )
        assert resp.status_code == 403
        assert browser.last is not None
        top = [e for e in browser.last.elements if e.attrs.get("id") == "form-error"]
        assert top
        assert "user is not allowed to request this debug session" in browser.last.html


def _objects_of_dsctl(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[str, list[tuple[str, str]], list[dict[str, Any]]]:
    """The session name, (step, source) of each object, and the objects `dsctl preview` prints."""
    assert dsctl(["preview", "--catalog", str(CATALOG), *args]) == 0
    out = capsys.readouterr().out
    name = out.split()[2]  # "# session <name> on ..."
    steps = re.findall(r"^# step: ([^,]+), source: (.+)$", out, re.M)
    return name, steps, [d for d in yaml.safe_load_all(out) if d]


@pytest.mark.parametrize(
    ("body", "args"),
    [
        (
            {"templateRef": "dynamic-debug", "cluster": "dev-1", "extraDeployValues": {"image": "busybox:latest", "hostNetwork": True}},
            ["--template", "dynamic-debug", "--cluster", "dev-1", "--set", "image=busybox:latest", "--set", "hostNetwork=true"],
        ),
        (
            {"templateRef": "network-debug", "cluster": "dev-1", "requestedDuration": "2h", "reason": "packet loss"},
            ["--template", "network-debug", "--cluster", "dev-1", "--duration", "2h", "--reason", "packet loss"],
        ),
    ],
)  # fmt: skip
async def test_the_preview_api_answers_what_dsctl_preview_prints(
    body: dict[str, Any], args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    async with Browser(offline_app()) as browser:
        resp = await browser.client.post("/api/v1/debug-sessions/preview", json=body, headers=SAM)
        assert resp.status_code == 200, resp.text
        preview = resp.json()
        again = await browser.client.post("/api/debugSessions/preview", json=body, headers=SAM)
        assert again.status_code == 200  # the reference's path family too
    name, steps, printed = _objects_of_dsctl(
        capsys, *args, "--user", "sam", "--email", "sam@example.com", "--groups", "sre-team"
    )
    assert preview["cluster"] == "dev-1"
    assert preview["objects"]
    ours = yaml.safe_load(yaml.safe_dump([o["manifest"] for o in preview["objects"]]).replace(preview["session"], name))
    assert ours == printed
    assert [(o["step"], o["source"]) for o in preview["objects"]] == steps


async def test_the_preview_refuses_as_create_does() -> None:
    app = offline_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        for body in (
            {"templateRef": "minimal-debug", "cluster": "dev-1", "requestedDuration": "9h"},
            {"templateRef": "minimal-debug"},
            {"templateRef": "nope", "cluster": "dev-1"},
            {"templateRef": "minimal-debug", "cluster": "dev-1", "unknown": 1},
        ):
            preview = await api.post(
                "/api/v1/debug-sessions/preview", json=body, headers={"Authorization": "Bearer dev-dave-token"}
            )
            create = await api.post(
                "/api/v1/debug-sessions", json=body, headers={"Authorization": "Bearer dev-dave-token"}
            )
            assert (preview.status_code, preview.json()) == (create.status_code, create.json()), body
            assert preview.status_code == 400
        assert (await api.post("/api/v1/debug-sessions/preview", json={})).status_code == 401


async def test_the_preview_in_the_form_shows_every_object() -> None:
    async with Browser(offline_app()) as browser:
        await browser.login("dev-sam-token")
        await browser.page("/debug-sessions/create?template=dynamic-debug&cluster=dev-1")
        resp = await browser.post(
            "/debug-sessions/create",
            {"templateRef": "dynamic-debug", "cluster": "dev-1", "var.image": "busybox:latest", "reason": "why not", "action": "preview"},
            headers={"X-UI-Fragment": "1"},
        )  # fmt: skip
        assert resp.status_code == 200
        assert "<html" not in resp.text  # app.js swaps the steps in place
        assert 'id="preview-heading"' in resp.text
        assert "kind: Deployment" in resp.text
        assert "busybox:latest" in resp.text
        assert "why not" in resp.text  # what was typed stays


def test_the_preview_is_in_the_openapi_document_and_the_pages_are_not() -> None:
    document = create_app(ApiSettings()).openapi()
    paths = document["paths"]
    for prefix in ("/api/v1/debug-sessions", "/api/debugSessions"):
        operation = paths[f"{prefix}/preview"]["post"]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/SessionPreview"
        }
        assert {"400", "401", "403", "500", "503"} <= set(operation["responses"])
        assert operation["security"] == [{"bearerAuth": []}]
    assert not [p for p in paths if not p.startswith(("/api", "/healthz", "/readyz", "/metrics"))]


async def test_preview_answers_post_only() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=offline_app()), base_url="http://api") as api:
        for method in ("GET", "OPTIONS", "DELETE"):
            resp = await api.request(method, "/api/v1/debug-sessions/preview", headers=SAM)
            assert resp.status_code == 405, method  # not "GET /{name}" of a session named "preview"
            assert resp.headers["allow"] == "POST"
            assert resp.json() == {"error": "method not allowed", "code": "METHOD_NOT_ALLOWED"}
