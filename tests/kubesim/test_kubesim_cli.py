"""`python -m kubesim`: fast startup, kubeconfig written, nodes file honoured, clean exit on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml
from kubernetes import client

from kubesim.sim import KubeSim
from tests.kubesim.kubesim_support import ROOT, Kubectl, k8s_config

NODES_FILE = """\
- name: alpha
  labels: {zone: a}
- name: beta
  labels: {zone: b}
  taints: [{key: dedicated, value: infra, effect: NoSchedule}]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_cli_starts_fast_and_stops_on_sigterm(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text(NODES_FILE)
    kubeconfig = tmp_path / "kc.yaml"
    port = _free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubesim",
            "--port",
            str(port),
            "--kubeconfig-out",
            str(kubeconfig),
            "--nodes-file",
            str(nodes),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2) as c:
            while True:
                try:
                    if c.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() - started < 5, "kubesim did not come up"
                time.sleep(0.02)
            ready_after = time.monotonic() - started
            nodes_list = c.get("/api/v1/nodes").json()["items"]
        assert ready_after < 3  # includes interpreter start; the server itself reports < 1 s below
        assert [n["metadata"]["name"] for n in nodes_list] == ["alpha", "beta"]
        assert nodes_list[1]["spec"]["taints"] == [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["clusters"][0]["cluster"]["server"] == f"http://127.0.0.1:{port}"
        assert config["current-context"] == "kubesim"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    reported = float(out.split("started in ")[1].split("s)")[0])
    assert reported < 1.0


def test_tls_with_official_client_and_kubectl(tmp_path: Path) -> None:
    with KubeSim(tls=True) as sim:
        assert sim.url.startswith("https://")
        config = yaml.safe_load(sim.kubeconfig_path.read_text())
        assert "certificate-authority-data" in config["clusters"][0]["cluster"]
        api_client = k8s_config.new_client_from_config(config_file=str(sim.kubeconfig_path))
        try:
            assert len(client.CoreV1Api(api_client).list_node().items) == 4
        finally:
            api_client.close()
        kubectl = Kubectl(sim.kubeconfig_path, tmp_path)
        assert "kubesim-control-plane" in kubectl.run("get", "nodes").stdout
