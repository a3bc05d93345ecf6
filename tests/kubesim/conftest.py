"""Fixtures: one kubesim per test module, official-client handles, and a kubectl runner."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kubernetes import client

from kubesim.sim import KubeSim
from tests.kubesim.kubesim_support import KUBECTL, Kubectl, k8s_config, k8s_dynamic


@pytest.fixture(scope="module")
def sim() -> Iterator[KubeSim]:
    """A fresh emulated cluster for the module."""
    with KubeSim(pod_ready_delay=0.05) as s:
        yield s


@pytest.fixture(scope="module")
def api_client(sim: KubeSim) -> Iterator[Any]:
    """An official-client ApiClient configured from kubesim's kubeconfig."""
    c = k8s_config.new_client_from_config(config_file=str(sim.kubeconfig_path))
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def http(sim: KubeSim) -> Iterator[httpx.Client]:
    """A raw HTTP client for asserting exact wire behaviour."""
    with httpx.Client(base_url=sim.url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def core(api_client: Any) -> Any:
    """Typed CoreV1Api."""
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="module")
def apps(api_client: Any) -> Any:
    """Typed AppsV1Api."""
    return client.AppsV1Api(api_client)


@pytest.fixture(scope="module")
def dyn(api_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """DynamicClient using discovery, with a private discovery cache file."""
    cache = tmp_path_factory.mktemp("discovery") / "cache.json"
    return k8s_dynamic.DynamicClient(api_client, cache_file=str(cache))


@pytest.fixture(scope="module")
def kubectl(sim: KubeSim, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    """kubectl bound to the module's kubesim."""
    if not KUBECTL.exists():
        pytest.skip("kubectl binary not installed")
    return Kubectl(sim.kubeconfig_path, tmp_path_factory.mktemp("kubectl-home"))
