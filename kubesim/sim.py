"""In-process lifecycle: build the store, controllers and server; start, stop, context manager."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

from kubesim.authn import Authenticator, load_users
from kubesim.authz import WebhookAuthorizer
from kubesim.controllers import DEFAULT_BAD_IMAGE_PATTERN, ClusterConfig, Controllers
from kubesim.faults import FaultInjector
from kubesim.impersonation import ImpersonationRules
from kubesim.kubeconfig import write_kubeconfig
from kubesim.nodes import default_nodes, node_object
from kubesim.quota import QuotaAdmission
from kubesim.resources import Registry, ResourceType, load_extra_resources
from kubesim.rest import Api, now_iso
from kubesim.router import Router
from kubesim.server import HttpServer
from kubesim.store import Store
from kubesim.tls import self_signed, server_context

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class KubeSim:
    """A running emulated cluster: `with KubeSim() as sim: use(sim.kubeconfig_path)`."""

    def __init__(
        self,
        *,
        port: int = 0,
        nodes: int | list[dict[str, Any]] = 3,
        pod_ready_delay: float = 0.2,
        bad_image_pattern: str = DEFAULT_BAD_IMAGE_PATTERN,
        faults: str | dict[str, Any] | None = None,
        extra_resources: str | list[ResourceType] | None = None,
        impersonation_rules: str | dict[str, Any] | None = None,
        kubeconfig_path: str | Path | None = None,
        watch_history: int = 50_000,
        tls: bool = False,
        authorization_webhook: str | None = None,
        users: str | list[dict[str, Any]] | None = None,
    ) -> None:
        self.registry = Registry()
        extras = load_extra_resources(extra_resources) if isinstance(extra_resources, str) else extra_resources
        for rt in extras or []:
            self.registry.add(rt)
        self.store = Store(history=watch_history)
        self.api = Api(self.registry, self.store)
        self.api.admission.append(QuotaAdmission(self.store))
        self.faults = FaultInjector()
        if isinstance(faults, str):
            self.faults.load_yaml(faults)
        elif faults is not None:
            self.faults.configure(faults)
        self.impersonation = ImpersonationRules()
        if isinstance(impersonation_rules, str):
            self.impersonation.load_yaml(impersonation_rules)
        elif impersonation_rules is not None:
            self.impersonation.configure(impersonation_rules)
        self.controllers = Controllers(self.api, ClusterConfig(pod_ready_delay, bad_image_pattern))
        self._stopping = threading.Event()
        self.router = Router(self.api, self.registry, self.faults, self.impersonation, self._stopping)
        if authorization_webhook:
            self.router.authorizer = WebhookAuthorizer(authorization_webhook)
        self.users = load_users(users) if users else []
        self.router.authenticator = Authenticator(self.users)
        self._node_specs = default_nodes(nodes) if isinstance(nodes, int) else nodes
        self._port = port
        self._kubeconfig_arg = Path(kubeconfig_path) if kubeconfig_path else None
        self._tls = tls
        self.ca_pem: bytes | None = None
        self._tmpdir: str | None = None
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.kubeconfig_path = Path()

    @property
    def port(self) -> int:
        """The bound port."""
        assert self._server is not None, "KubeSim is not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL of the API server."""
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def _bootstrap(self) -> None:
        created = now_iso()
        for ns in SYSTEM_NAMESPACES:
            self.api.create(self.registry.by_key("/namespaces"), "", {"metadata": {"name": ns}})
        for i, spec in enumerate(self._node_specs):
            self.api.create(self.registry.by_key("/nodes"), "", node_object(spec, i, created))

    def start(self) -> KubeSim:
        """Bind, write the kubeconfig, start serving and the controllers; returns self."""
        self._bootstrap()
        self._tmpdir = tempfile.mkdtemp(prefix="kubesim-")
        ssl_context = None
        if self._tls:
            cert, key = self_signed(Path(self._tmpdir))
            ssl_context = server_context(cert, key)
            self.ca_pem = cert.read_bytes()
        self._server = HttpServer(self._port, self.router, ssl_context)
        self.kubeconfig_path = self._kubeconfig_arg or Path(self._tmpdir) / "kubeconfig"
        write_kubeconfig(self.kubeconfig_path, self.url, self.ca_pem, {u.name: u.token for u in self.users})
        self.controllers.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="kubesim-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end watches and connections, stop controllers, remove temp files."""
        self._stopping.set()
        self.store.close_watchers()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.controllers.stop()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> KubeSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def settle(self) -> None:
        """Run one controller pass synchronously (useful in tests that must not sleep)."""
        self.controllers.reconcile()

    def load_faults(self, doc: Any) -> None:
        """Replace fault rules at run time (same shape as the `--faults` file)."""
        self.faults.configure(yaml.safe_load(doc) if isinstance(doc, str) else doc)
