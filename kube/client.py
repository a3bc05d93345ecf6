"""One cluster's client: built from a kubeconfig file (+context), optionally impersonating an identity."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError

from kube.errors import Invalid, KubeError, NotFound, Transient, from_api_exception

FIELD_MANAGER = "debug-sessions"
RETRIES = 8
BACKOFF_SECONDS = 0.1

T = TypeVar("T")


def retrying(fn: Callable[..., T]) -> Callable[..., T]:
    """Retry a call a few times on transient errors (429/5xx/unreachable), as client-go does.

    Short and bounded: a cluster that stays unhealthy surfaces as Transient, and Temporal's activity
    retries take over from there.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        for attempt in range(RETRIES):
            try:
                return fn(*args, **kwargs)
            except Transient:
                if attempt == RETRIES - 1:
                    raise
                time.sleep(min(BACKOFF_SECONDS * 2**attempt, 2.0))
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


@contextmanager
def translated() -> Iterator[None]:
    """Turn client exceptions into our KubeError types (raised `from` the original)."""
    try:
        yield
    except (ApiException, DynamicApiError) as exc:
        raise from_api_exception(exc) from exc
    except ResourceNotFoundError as exc:
        raise NotFound(404, "NotFound", f"the cluster does not serve this kind: {exc}") from exc
    except ConfigException as exc:
        raise Invalid(0, "KubeconfigError", f"unusable kubeconfig: {exc}") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise Transient(0, "Unavailable", f"cannot reach the cluster: {exc}") from exc


class ClusterClient:
    """Typed and dynamic access to one cluster as one identity."""

    def __init__(self, kubeconfig: str, context: str | None = None, impersonate: str | None = None) -> None:
        with translated():
            self.api = kubernetes.config.new_client_from_config(config_file=kubeconfig, context=context)
        if impersonate:
            self.api.set_default_header("Impersonate-User", impersonate)
        self.core = kubernetes.client.CoreV1Api(self.api)
        self._dynamic: DynamicClient | None = None
        self._lock = threading.Lock()

    @property
    def dynamic(self) -> DynamicClient:
        """The discovery-backed client (discovery runs once, on first use)."""
        with self._lock:
            if self._dynamic is None:
                self._dynamic = self._discover()
            return self._dynamic

    @retrying
    def _discover(self) -> DynamicClient:
        with translated():
            return DynamicClient(self.api)

    def close(self) -> None:
        """Release the connection pool."""
        self.api.close()

    @retrying
    def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply with our field manager, forcing ownership (idempotent on retries)."""
        meta = manifest.get("metadata", {})
        with translated():
            resource = self.dynamic.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
            result = self.dynamic.server_side_apply(
                resource,
                body=manifest,
                name=meta["name"],
                namespace=meta.get("namespace") if resource.namespaced else None,
                field_manager=FIELD_MANAGER,
                force_conflicts=True,
            )
        applied: dict[str, Any] = result.to_dict()
        return applied

    @retrying
    def delete(self, api_version: str, kind: str, name: str, namespace: str | None, uid: str | None) -> bool:
        """Delete if it is still the object we created (UID precondition). False when already gone."""
        body: dict[str, Any] = {"propagationPolicy": "Background"}
        if uid:
            body["preconditions"] = {"uid": uid}
        try:
            with translated():
                resource = self.dynamic.resources.get(api_version=api_version, kind=kind)
                self.dynamic.delete(
                    resource, name=name, namespace=namespace if resource.namespaced else None, body=body
                )
        except NotFound:
            return False
        except KubeError as exc:
            if exc.status == 409 and "Precondition failed" in exc.message:
                return False  # a same-named replacement: not ours to remove
            raise
        return True

    @retrying
    def namespace_labels(self, name: str) -> dict[str, str] | None:
        """The namespace's labels, or None when it does not exist."""
        try:
            with translated():
                ns = self.core.read_namespace(name)
        except NotFound:
            return None
        return dict((ns.metadata.labels if ns.metadata else None) or {})

    @retrying
    def create_namespace(self, name: str, labels: dict[str, str]) -> None:
        """Create a namespace (AlreadyExists is fine: someone else was faster)."""
        body = kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name=name, labels=labels))
        try:
            with translated():
                self.core.create_namespace(body)
        except KubeError as exc:
            if exc.status != 409:
                raise

    @retrying
    def service_account_exists(self, namespace: str, name: str) -> bool:
        """Whether the ServiceAccount exists."""
        try:
            with translated():
                self.core.read_namespaced_service_account(name, namespace)
        except NotFound:
            return False
        return True

    @retrying
    def list_pods(self, label_selector: str) -> list[Any]:
        """Pods in all namespaces with the label selector, leaving out pods already being deleted."""
        with translated():
            pods = self.core.list_pod_for_all_namespaces(label_selector=label_selector).items
        return [p for p in pods if not (p.metadata and p.metadata.deletion_timestamp)]

    def version(self) -> str:
        """The API server's version (`GET /version`): the cheapest proof it answers. No retry: a health
        check wants the truth now."""
        with translated():
            info = kubernetes.client.VersionApi(self.api).get_code(_request_timeout=5)
        return str(info.git_version)

    @retrying
    def list_labelled(self, api_version: str, kind: str, label_selector: str) -> list[dict[str, Any]]:
        """Objects of a kind, in every namespace, with the label selector; [] when the kind is not served."""
        try:
            with translated():
                resource = self.dynamic.resources.get(api_version=api_version, kind=kind)
                found = self.dynamic.get(resource, label_selector=label_selector)
        except NotFound:
            return []
        items: list[dict[str, Any]] = found.to_dict().get("items") or []
        return items

    @retrying
    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        """One object as a dict, or None."""
        try:
            with translated():
                resource = self.dynamic.resources.get(api_version=api_version, kind=kind)
                obj = self.dynamic.get(resource, name=name, namespace=namespace if resource.namespaced else None)
        except NotFound:
            return None
        found: dict[str, Any] = obj.to_dict()
        return found

    @retrying
    def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Plain create (not apply): a name clash is a 409 the caller decides about."""
        meta = manifest.get("metadata", {})
        with translated():
            resource = self.dynamic.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
            result = self.dynamic.create(
                resource, body=manifest, namespace=meta.get("namespace") if resource.namespaced else None
            )
        created: dict[str, Any] = result.to_dict()
        return created

    @retrying
    def add_ephemeral_container(self, namespace: str, pod: str, container: dict[str, Any]) -> dict[str, Any]:
        """Add one ephemeral container through the pods/ephemeralcontainers subresource (strategic merge
        on the container name, as `kubectl debug` does)."""
        with translated():
            result = self.core.patch_namespaced_pod_ephemeralcontainers(
                pod,
                namespace,
                {"spec": {"ephemeralContainers": [container]}},
                _content_type="application/strategic-merge-patch+json",
            )
        patched: dict[str, Any] = self.api.sanitize_for_serialization(result)
        return patched


def preload() -> None:
    """Import now what the first cluster call would: `kubernetes` imports its API and model modules lazily,
    and CoreV1Api alone takes most of a second, which the first session after a worker start would wait for."""
    for name in ("CoreV1Api", "VersionApi", "V1Namespace", "V1ObjectMeta", "V1PodList", "V1Pod"):
        getattr(kubernetes.client, name)
