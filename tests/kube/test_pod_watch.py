"""The pod watch against kubesim through the official client: pods come and go, the connection drops,
the server restarts, the watch window expires (410 Gone); the index stays exactly what the cluster has."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest

from kube.pod_watch import PodWatch
from kubesim.sim import KubeSim

LABEL = "breakglass.telekom.com/debug-session"


def eventually(check: Callable[[], bool], within: float = 5.0) -> float:
    """Seconds until `check()` holds (fails after `within`)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "condition not reached in time"
        time.sleep(0.01)
    return time.monotonic() - start


def core(sim: KubeSim) -> Any:
    return kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(config_file=str(sim.kubeconfig_path)))


def pod(name: str, session: str | None) -> dict[str, Any]:
    labels = {LABEL: session} if session else {"app": "other"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[KubeSim]:
    with KubeSim(nodes=1, pod_ready_delay=0.05, kubeconfig_path=tmp_path / "kubeconfig", watch_history=20) as s:
        yield s


def watch_of(sim: KubeSim, **kw: Any) -> PodWatch:
    w = PodWatch("c1", str(sim.kubeconfig_path), None, LABEL, max_backoff=0.5, **kw).start()
    assert w.synced.wait(5)
    return w


def test_pods_come_and_go_and_only_labelled_pods_count(sim: KubeSim) -> None:
    api = core(sim)
    api.create_namespaced_pod("default", pod("before", "s1"))
    w = watch_of(sim)
    try:
        assert [p.name for p in w.pods("s1")] == ["before"]  # from the list
        api.create_namespaced_pod("default", pod("other", None))
        api.create_namespaced_pod("default", pod("after", "s1"))
        eventually(lambda: [p.name for p in w.pods("s1")] == ["after", "before"])
        eventually(lambda: all(p.ready for p in w.pods("s1")))  # readiness follows the pod's status
        assert w.session_of("default/after") == "s1"
        assert w.session_of("default/other") is None
        api.delete_namespaced_pod("before", "default")
        eventually(lambda: w.session_of("default/before") is None)
        assert [p.name for p in w.pods("s1")] == ["after"]
        api.delete_namespaced_pod("after", "default")
        eventually(lambda: w.pods("s1") == ())
    finally:
        w.stop()


def test_a_dropped_connection_is_resumed_without_missing_a_change(sim: KubeSim) -> None:
    api = core(sim)
    # Faults reach new requests only: a 1 s watch timeout makes the watch reconnect while they are on.
    w = watch_of(sim, watch_timeout=1)
    try:
        sim.load_faults([{"verbs": ["watch", "list"], "resources": ["pods"], "drop": True}])
        time.sleep(2.5)  # the watch ends and its reconnects are dropped
        api.create_namespaced_pod("default", pod("while-cut", "s2"))
        sim.load_faults([])
        eventually(lambda: w.session_of("default/while-cut") == "s2", within=5)
        assert w.relists >= 2  # it re-listed after the failure
    finally:
        w.stop()


def test_watch_window_expired_410_relists(sim: KubeSim) -> None:
    api = core(sim)
    w = watch_of(sim, watch_timeout=1)
    try:
        relists = w.relists
        for i in range(30):  # more changes than the watch history (20) keeps, none of them a session pod
            api.create_namespaced_config_map("default", {"metadata": {"name": f"cm-{i}"}})
        # the server ends the watch after 1 s; resuming from the last pod version is now 410 Gone
        eventually(lambda: w.relists > relists, within=5)
        api.create_namespaced_pod("default", pod("late", "s3"))
        eventually(lambda: w.session_of("default/late") == "s3", within=5)
    finally:
        w.stop()


def test_a_restarted_api_server_is_watched_again(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    first = KubeSim(nodes=1, pod_ready_delay=0.05, kubeconfig_path=kubeconfig).start()
    port = first.port
    core(first).create_namespaced_pod("default", pod("old", "s4"))
    w = watch_of(first)
    try:
        assert w.session_of("default/old") == "s4"
        first.stop()
        second = KubeSim(nodes=1, pod_ready_delay=0.05, kubeconfig_path=kubeconfig, port=port).start()
        try:
            core(second).create_namespaced_pod("default", pod("new", "s4"))
            eventually(lambda: w.session_of("default/new") == "s4", within=10)
            assert w.session_of("default/old") is None  # the restarted server has no such pod: re-listed
        finally:
            second.stop()
    finally:
        w.stop()
