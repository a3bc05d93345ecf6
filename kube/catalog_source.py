"""The catalog from a hub cluster: the catalog kinds as custom resources, listed and watched through the
official client, loaded with exactly the rules, warnings and all-or-nothing outcome of the directory source.

One thread per kind lists then watches (resuming from the last resourceVersion, re-listing on 410 Gone,
backing off on errors); a reload thread rebuilds the catalog from the objects held in memory a moment
(`debounce`) after any change, so an `kubectl apply -f dir/` of many objects costs one reload. A rejected
catalog keeps the last good one (like the directory source); every object with an error gets a Warning
Event (`kubectl describe` shows it), once per object version and message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from domain.catalog.catalog import Catalog, LoadResult, Source, load_objects
from domain.catalog.watch import CatalogSource, CatalogWatcher, log_result
from domain.diagnostics import Diagnostic

log = logging.getLogger("debug_sessions.catalog")

GROUP = "breakglass.t-caas.telekom.com"
VERSION = "v1alpha1"
KINDS = {
    "debugpodtemplates": "DebugPodTemplate",
    "debugsessiontemplates": "DebugSessionTemplate",
    "debugsessionclusterbindings": "DebugSessionClusterBinding",
    "clusterconfigs": "ClusterConfig",
}
"""Plural → kind of every catalog kind the source reads."""
SERVER_FIELDS = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
EVENT_REASON = "InvalidCatalogResource"

Key = tuple[str, str]
"""(namespace, name); namespace empty for cluster-scoped objects."""


def api_client(kubeconfig: Path | None, context: str | None = None) -> kubernetes.client.ApiClient:
    """A client from a kubeconfig, or the pod's service account when there is none (in-cluster)."""
    if kubeconfig is not None:
        client: kubernetes.client.ApiClient = kubernetes.config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig), context=context
        )
        return client
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    return kubernetes.client.ApiClient(configuration)


def source_of(kind: str, namespace: str, name: str) -> Source:
    """How messages name an object: `DebugSessionTemplate/name` or `Kind/namespace/name` (document 1)."""
    return Source(f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}", 1)


def manifest(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as its author wrote it: server-set metadata, last-applied annotation and status dropped."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_FIELDS}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**{k: v for k, v in obj.items() if k not in ("metadata", "status")}, "metadata": meta}


class KubernetesCatalogSource:
    """Same surface as `CatalogWatcher` (`catalog`, `last_result`, `generation`, `start`, `stop`)."""

    def __init__(
        self,
        kubeconfig: Path | None = None,
        context: str | None = None,
        namespace: str = "",
        strict: bool = False,
        debounce: float = 0.1,
        on_change: Callable[[Catalog], None] | None = None,
        on_result: Callable[[LoadResult], None] | None = None,
        max_backoff: float = 10.0,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.context = context
        self.namespace = namespace
        """Where namespaced kinds (bindings) are read; empty: every namespace."""
        self.strict = strict
        self.debounce = debounce
        self.on_change = on_change
        self.on_result = on_result
        self.max_backoff = max_backoff
        self.generation = 0
        self.synced = threading.Event()
        """Every kind listed at least once (the first catalog is loaded then)."""
        self._lock = threading.Lock()
        self._objects: dict[str, dict[Key, dict[str, Any]]] = {plural: {} for plural in KINDS}
        self._listed: set[str] = set()
        self._catalog: Catalog | None = None
        self._last_result: LoadResult | None = None
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._reported: set[tuple[str, str, str]] = set()
        self._api: kubernetes.client.ApiClient | None = None
        self._namespaced: dict[str, bool] = {}
        self._threads: list[threading.Thread] = []
        self._watches: list[Any] = []

    # --- reading ---------------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog | None:
        with self._lock:
            return self._catalog

    @property
    def last_result(self) -> LoadResult | None:
        with self._lock:
            return self._last_result

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self, wait: float = 10.0) -> KubernetesCatalogSource:
        """Start the watches and the reloader; wait up to `wait` seconds for the first catalog."""
        for plural in KINDS:
            thread = threading.Thread(target=self._follow_kind, args=(plural,), name=f"catalog-{plural}", daemon=True)
            self._threads.append(thread)
        self._threads.append(threading.Thread(target=self._reloader, name="catalog-reload", daemon=True))
        for thread in self._threads:
            thread.start()
        if not self.synced.wait(wait):
            log.warning("catalog: the hub cluster did not answer within %.0f s; still trying", wait)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        for watch in list(self._watches):
            watch.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._api is not None:
            self._api.close()  # type: ignore[no-untyped-call]

    def __enter__(self) -> KubernetesCatalogSource:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- the cluster -----------------------------------------------------------------------------

    @property
    def _client(self) -> kubernetes.client.ApiClient:
        with self._lock:
            if self._api is None:
                self._api = api_client(self.kubeconfig, self.context)
            return self._api

    def _is_namespaced(self, plural: str) -> bool:
        if plural not in self._namespaced:
            listed = kubernetes.client.CustomObjectsApi(self._client).get_api_resources(GROUP, VERSION)
            for resource in listed.resources:
                self._namespaced[resource.name] = bool(resource.namespaced)
        if plural not in self._namespaced:
            raise ApiException(status=404, reason=f"{plural}.{GROUP} is not served (are the CRDs applied?)")
        return self._namespaced[plural]

    def _list_call(self, plural: str) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        custom = kubernetes.client.CustomObjectsApi(self._client)
        if self.namespace and self._is_namespaced(plural):
            return custom.list_namespaced_custom_object, (GROUP, VERSION, self.namespace, plural)
        return custom.list_cluster_custom_object, (GROUP, VERSION, plural)

    def _follow_kind(self, plural: str) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                version = self._list(plural)
                backoff = 0.2
                while not self._stop.is_set():
                    version = self._watch(plural, version)
            except ApiException as exc:
                if exc.status == 410:
                    continue  # the watch window moved on: list again
                self._failed(plural, exc, backoff)
            except (urllib3.exceptions.HTTPError, OSError, ValueError, ConfigException) as exc:
                self._failed(plural, exc, backoff)
            except Exception as exc:  # a watch thread must never die
                log.exception("catalog: unexpected failure watching %s", plural)
                self._failed(plural, exc, backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _failed(self, plural: str, exc: Exception, backoff: float) -> None:
        if not self._stop.is_set():
            log.warning("catalog: reading %s.%s failed (%s); retrying in %.1f s", plural, GROUP, exc, backoff)
            self._stop.wait(backoff)

    def _list(self, plural: str) -> str:
        call, args = self._list_call(plural)
        listed = call(*args, _request_timeout=(5, 30))
        objects = {self._key(o): o for o in listed.get("items") or []}
        with self._lock:
            self._objects[plural] = objects
            self._listed.add(plural)
        self._dirty.set()
        return str((listed.get("metadata") or {}).get("resourceVersion") or "")

    def _watch(self, plural: str, version: str) -> str:
        call, args = self._list_call(plural)
        watch = kubernetes.watch.Watch()  # type: ignore[no-untyped-call]
        self._watches.append(watch)
        try:
            for event in watch.stream(  # type: ignore[no-untyped-call]
                call, *args, resource_version=version, allow_watch_bookmarks=True, timeout_seconds=60
            ):
                if self._stop.is_set():
                    break
                kind, obj = event["type"], event["object"]
                if kind == "ERROR":
                    raise ApiException(status=int(obj.get("code") or 500), reason=str(obj.get("message") or ""))
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind not in ("ADDED", "MODIFIED", "DELETED"):
                    continue
                with self._lock:
                    if kind == "DELETED":
                        self._objects[plural].pop(self._key(obj), None)
                    else:
                        self._objects[plural][self._key(obj)] = obj
                self._dirty.set()
        finally:
            self._watches.remove(watch)
        return version

    @staticmethod
    def _key(obj: dict[str, Any]) -> Key:
        meta = obj.get("metadata") or {}
        return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))

    # --- loading ---------------------------------------------------------------------------------

    def _reloader(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            self._stop.wait(self.debounce)  # let a burst of changes (kubectl apply -f dir/) settle
            self._dirty.clear()
            with self._lock:
                if self._listed != set(KINDS):
                    continue  # not every kind listed yet: a partial catalog would refuse valid references
                snapshot = {plural: dict(objects) for plural, objects in self._objects.items()}
            try:
                self.reload(snapshot)
            except Exception:
                log.exception("catalog: reload failed unexpectedly; keeping the last good catalog")

    def reload(self, snapshot: dict[str, dict[Key, dict[str, Any]]]) -> LoadResult:
        """Load the objects; swap the catalog in when valid, else keep the last good one and say why."""
        objects: list[tuple[Any, Source]] = []
        by_source: dict[str, dict[str, Any]] = {}
        for plural, found in sorted(snapshot.items()):
            for (namespace, name), obj in sorted(found.items()):
                source = source_of(KINDS[plural], namespace, name)
                by_source[source.file] = obj
                objects.append((manifest(obj), source))
        result = load_objects(objects, strict=self.strict)
        log_result(result, had_catalog=self.catalog is not None, origin=" from the hub cluster")
        with self._lock:
            self._last_result = result
            if result.catalog is not None:
                self._catalog = result.catalog
                self.generation += 1
        self.synced.set()
        if self.on_result is not None:
            self.on_result(result)
        if result.catalog is not None and self.on_change is not None:
            self.on_change(result.catalog)
        self._report(result.errors, by_source)
        return result

    def _report(self, errors: list[Diagnostic], by_source: dict[str, dict[str, Any]]) -> None:
        """A Warning Event on each object with an error (once per object version and message)."""
        for d in errors:
            obj = by_source.get(d.file)
            if obj is None:
                continue
            meta = obj.get("metadata") or {}
            message = f"{d.path}: {d.message}" if d.path and d.path != "-" else d.message
            key = (str(meta.get("uid") or ""), str(meta.get("resourceVersion") or ""), message)
            if key in self._reported:
                continue
            self._reported.add(key)
            try:
                self._event(obj, message)
            except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
                log.warning("catalog: could not record an Event on %s: %s", d.file, exc)

    def _event(self, obj: dict[str, Any], message: str) -> None:
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"  # events of cluster-scoped objects live in default
        now = datetime.now(UTC)
        body: Any = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{meta.get('name', 'catalog')}.", "namespace": namespace},
            "involvedObject": {
                "apiVersion": obj.get("apiVersion"),
                "kind": obj.get("kind"),
                "name": meta.get("name"),
                "namespace": meta.get("namespace") or None,
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": EVENT_REASON,
            "message": f"rejected by debug-sessions: {message}"[:1024],
            "type": "Warning",
            "source": {"component": "debug-sessions"},
            "firstTimestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lastTimestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "count": 1,
        }
        kubernetes.client.CoreV1Api(self._client).create_namespaced_event(namespace, body)


def open_catalog(
    source: Literal["directory", "kubernetes"],
    directory: Path,
    kubeconfig: Path | None = None,
    namespace: str = "",
    strict: bool = False,
    poll_interval: float = 0.5,
) -> CatalogSource:
    """The started catalog source the settings name (`DEBUG_SESSION_CATALOG_SOURCE`)."""
    if source == "kubernetes":
        return KubernetesCatalogSource(kubeconfig, namespace=namespace, strict=strict).start()
    return CatalogWatcher([directory], strict=strict, interval=poll_interval).start()
