"""The catalog from a hub cluster: the generated CRDs and the demo catalog applied with real kubectl to kubesim,
read by `KubernetesCatalogSource` through the official client; a stack whose catalog comes from there creates
a session from a template applied a moment earlier.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import kubernetes
import pytest
import pytest_asyncio
import yaml

from api.app import create_app
from api.settings import ApiSettings
from domain.catalog.catalog import load_catalog
from kube.catalog_source import EVENT_REASON, KubernetesCatalogSource
from kubesim.sim import KubeSim
from tests.conftest import REPO
from tests.e2e.conftest import Stack
from tests.e2e.test_api_e2e import TOKENS, auth, wait_for
from tests.kubesim.kubesim_support import Kubectl

pytestmark = pytest.mark.e2e

CRDS = REPO / "deploy" / "crds"
DEMO = REPO / "deploy" / "demo-catalog"


def template(name: str, pod_template: str = "minimal-debug-pod") -> str:
    return f"""apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: DebugSessionTemplate
metadata:
  name: {name}
spec:
  displayName: {name}
  mode: workload
  workloadType: Deployment
  podTemplateRef:
    name: {pod_template}
  targetNamespace: breakglass-debug
  allowed:
    groups: ["developers"]
    clusters: ["dev-1"]
"""


def demo_catalog_for(sim: KubeSim, into: Path) -> Path:
    """The demo catalog, its clusters pointed at `sim` (the hub is also the target cluster here)."""
    shutil.copytree(DEMO, into)
    clusters = [d for d in yaml.safe_load_all((into / "clusters.yaml").read_text()) if d]
    for c in clusters:
        c["spec"]["kubeconfig"]["path"] = str(sim.kubeconfig_path)
    (into / "clusters.yaml").write_text(yaml.safe_dump_all(clusters))
    return into


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[KubeSim, Kubectl, Path]]:
    """A kubesim with the CRDs and the demo catalog applied by kubectl."""
    with KubeSim(nodes=2, pod_ready_delay=0.05) as sim:
        kubectl = Kubectl(sim.kubeconfig_path, tmp_path / "home")
        kubectl.run("apply", "-f", str(CRDS))
        kubectl.run("create", "namespace", "breakglass")
        kubectl.run("create", "namespace", "breakglass-debug")
        catalog = demo_catalog_for(sim, tmp_path / "catalog")
        kubectl.run("apply", "-f", str(catalog))
        yield sim, kubectl, catalog


def until(predicate: Any, timeout: float = 5.0) -> float:
    """Seconds until `predicate()` held (fails after `timeout`)."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "condition not reached"
        time.sleep(0.02)
    return time.monotonic() - started


def test_the_hub_catalog_matches_the_directory_and_follows_changes(hub: tuple[KubeSim, Kubectl, Path]) -> None:
    sim, kubectl, catalog_dir = hub
    expected = load_catalog([catalog_dir]).catalog
    assert expected is not None
    with KubernetesCatalogSource(sim.kubeconfig_path) as source:
        loaded = source.catalog
        assert loaded is not None, source.last_result
        assert loaded.summary() == expected.summary()
        assert sorted(loaded.session_templates) == sorted(expected.session_templates)
        assert sorted(loaded.bindings) == sorted(expected.bindings)  # namespace/name, as from files
        assert loaded.session_templates["minimal-debug"].spec == expected.session_templates["minimal-debug"].spec

        # a template applied with kubectl is served within 2 s
        kubectl.run("apply", "-f", "-", stdin=template("late-debug"))
        assert until(lambda: "late-debug" in (source.catalog or expected).session_templates, 2.0) < 2.0

        # valid for the CRD, invalid for our rules (its pod template does not exist): the whole catalog is
        # refused, the last good one stays, and the object gets a Warning Event saying why
        generation = source.generation
        kubectl.run("apply", "-f", "-", stdin=template("broken-debug", pod_template="no-such-pod-template"))
        until(lambda: (r := source.last_result) is not None and r.catalog is None)
        assert source.generation == generation
        assert "broken-debug" not in (source.catalog or expected).session_templates
        errors = [str(d) for d in source.last_result.errors] if source.last_result else []
        assert any(e.startswith("DebugSessionTemplate/broken-debug:1:") and "no-such-pod-template" in e for e in errors)

        def warning_event() -> list[Any]:
            with kubernetes.config.new_client_from_config(config_file=str(sim.kubeconfig_path)) as api:
                events = kubernetes.client.CoreV1Api(api).list_namespaced_event("default").items
            return [e for e in events if e.reason == EVENT_REASON and e.involved_object.name == "broken-debug"]

        until(lambda: bool(warning_event()))
        (event,) = warning_event()
        assert event.type == "Warning"
        assert "no-such-pod-template" in event.message

        # removing the broken object brings the catalog back
        kubectl.run("delete", "debugsessiontemplate", "broken-debug")
        until(lambda: source.generation > generation)
        assert "late-debug" in (source.catalog or expected).session_templates


@pytest_asyncio.fixture
async def hub_api(
    dev_server: Any, hub: tuple[KubeSim, Kubectl, Path], tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Kubectl]]:
    """The API with its catalog from the hub, and a worker, on the shared Temporal dev server."""
    import concurrent.futures
    import uuid

    from activities.session import ActivitySettings, SessionActivities
    from worker import build_worker

    sim, kubectl, _ = hub
    queue = f"hub-{uuid.uuid4().hex[:8]}"
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(yaml.safe_dump(TOKENS))
    settings = ApiSettings(
        catalog_source="kubernetes", catalog_kubeconfig=sim.kubeconfig_path, tokens_file=tokens, task_queue=queue
    )
    stack = Stack(dev_server.client, queue, sim, dev_server.client.service_client.config.target_host)
    activities = SessionActivities(ActivitySettings())
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(stack.client, queue, activities, executor):
            app = create_app(settings, client=stack.client)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                    yield client, kubectl
    activities.close()


async def test_a_session_from_a_template_applied_a_second_earlier(hub_api: tuple[httpx.AsyncClient, Kubectl]) -> None:
    api, kubectl = hub_api
    await asyncio.to_thread(kubectl.run, "apply", "-f", "-", stdin=template("fresh-debug"))
    await asyncio.sleep(1.0)
    created = await api.post(
        "/api/v1/debug-sessions",
        json={"templateRef": "fresh-debug", "cluster": "dev-1", "reason": "from the hub catalog"},
        headers=auth("dave"),
    )
    assert created.status_code == 201, created.text
    name = created.json()["metadata"]["name"]
    active = await wait_for(api, name, "dave", "Active")
    assert active["spec"]["templateRef"] == "fresh-debug"
