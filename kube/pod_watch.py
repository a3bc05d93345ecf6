"""The session-labelled pods of one cluster, kept current by a list + watch (the informer pattern).

One thread per cluster lists the pods that carry the session label, then watches from the list's
resourceVersion. A watch that ends (server timeout) resumes from the last resourceVersion seen (bookmarks
keep it fresh); `410 Gone` (that version has left the server's watch window) re-lists; any other failure
(connection refused or dropped, a restarted API server) backs off (0.2 s doubling to `max_backoff`) and
re-lists, so a change made while disconnected is never missed: the re-list replaces the whole picture.
Pods being deleted (deletionTimestamp set) leave the index at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from domain.session import AllowedPod
from kube.pods import allowed_pod

log = logging.getLogger("debug_sessions.pod_watch")

PodMap = dict[str, dict[str, AllowedPod]]
"""session name -> `namespace/name` -> the pod as the session status shows it."""


class PodWatch:
    """Pods carrying `label` on one cluster, by the label's value. Readers get immutable snapshots."""

    def __init__(
        self,
        cluster: str,
        kubeconfig: str,
        context: str | None,
        label: str,
        on_change: Callable[[str, frozenset[str]], None] | None = None,
        watch_timeout: int = 60,
        max_backoff: float = 10.0,
    ) -> None:
        self.cluster = cluster
        self.label = label
        self.on_change = on_change
        """Called (on the watch thread) with the cluster and the sessions whose pods changed."""
        self.watch_timeout = watch_timeout
        self.max_backoff = max_backoff
        self.by_session: PodMap = {}
        self.by_pod: dict[str, str] = {}
        """`namespace/name` -> session name."""
        self.synced = threading.Event()
        """Set once the first list has landed (and cleared while re-listing after a failure)."""
        self.relists = 0
        self.resource_version = ""
        self.kubeconfig = kubeconfig
        self.context = context
        self._api: kubernetes.client.ApiClient | None = None
        self._stop = threading.Event()
        self._watch: kubernetes.watch.Watch | None = None
        self._thread = threading.Thread(target=self._run, name=f"pod-watch-{cluster}", daemon=True)

    # --- reading ---------------------------------------------------------------------------------

    def pods(self, session: str) -> tuple[AllowedPod, ...]:
        """The session's pods now, sorted by namespace/name."""
        found = self.by_session.get(session, {})
        return tuple(found[k] for k in sorted(found))

    def session_of(self, pod: str) -> str | None:
        """The session whose label `namespace/name` carries, if any."""
        return self.by_pod.get(pod)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> PodWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.stop()  # type: ignore[no-untyped-call]
        self._thread.join(timeout=5)
        if self._api is not None:
            self._api.close()  # type: ignore[no-untyped-call]

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                self._list()
                backoff = 0.2
                while not self._stop.is_set():
                    self._follow()
            except ApiException as exc:
                if exc.status == 410:
                    log.info("cluster %s: pod watch expired (410 Gone); re-listing", self.cluster)
                    continue
                self._failed(exc, backoff)
            except (urllib3.exceptions.HTTPError, OSError, ValueError, ConfigException) as exc:
                self._failed(exc, backoff)  # a kubeconfig not readable (yet) is retried like a refused call
            except Exception as exc:  # a watch thread must never die: anything else is logged and retried
                log.exception("cluster %s: unexpected pod watch failure", self.cluster)
                self._failed(exc, backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _failed(self, exc: Exception, backoff: float) -> None:
        if self._stop.is_set():
            return
        self.synced.clear()
        log.warning("cluster %s: pod watch failed (%s); re-listing in %.1f s", self.cluster, exc, backoff)
        self._stop.wait(backoff)

    @property
    def _core(self) -> kubernetes.client.CoreV1Api:
        if self._api is None:
            self._api = kubernetes.config.new_client_from_config(config_file=self.kubeconfig, context=self.context)  # type: ignore[no-untyped-call]
        return kubernetes.client.CoreV1Api(self._api)

    def _list(self) -> None:
        listed = self._core.list_pod_for_all_namespaces(label_selector=self.label, _request_timeout=(5, 30))
        by_session: PodMap = {}
        for pod in listed.items:
            entry = self._entry(pod)
            if entry is not None:
                session, key, summary = entry
                by_session.setdefault(session, {})[key] = summary
        changed = {s for s in by_session.keys() | self.by_session.keys() if by_session.get(s) != self.by_session.get(s)}
        self._publish(by_session)
        self.resource_version = (listed.metadata.resource_version if listed.metadata else None) or ""
        self.relists += 1
        self.synced.set()
        self._notify(changed)

    def _follow(self) -> None:
        """One watch call from the last resourceVersion; returns when the server ends it."""
        self._watch = kubernetes.watch.Watch()  # type: ignore[no-untyped-call]
        for event in self._watch.stream(  # type: ignore[no-untyped-call]
            self._core.list_pod_for_all_namespaces,
            label_selector=self.label,
            resource_version=self.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=self.watch_timeout,
            _request_timeout=(5, self.watch_timeout + 10),
        ):
            if self._stop.is_set():
                return
            kind, pod = event["type"], event["object"]
            if kind == "ERROR":  # e.g. 410 Gone for a version that left the watch window
                code = pod.get("code") if isinstance(pod, dict) else getattr(pod, "code", None)
                message = pod.get("message") if isinstance(pod, dict) else getattr(pod, "message", "")
                raise ApiException(status=int(code or 500), reason=str(message or "watch error"))
            if isinstance(pod, dict):  # a BOOKMARK (or anything the client did not turn into a V1Pod)
                rv = (pod.get("metadata") or {}).get("resourceVersion")
            else:
                rv = pod.metadata.resource_version if pod.metadata else None
            if rv:
                self.resource_version = rv
            if kind not in ("ADDED", "MODIFIED", "DELETED") or isinstance(pod, dict):
                continue
            self._apply(kind, pod)

    # --- the index -------------------------------------------------------------------------------

    def _entry(self, pod: Any) -> tuple[str, str, AllowedPod] | None:
        meta = pod.metadata
        session = (meta.labels or {}).get(self.label) if meta else None
        if not session or meta.deletion_timestamp:
            return None
        return session, f"{meta.namespace}/{meta.name}", allowed_pod(pod)

    def _apply(self, kind: str, pod: Any) -> None:
        # Readers on other threads do single dict lookups: each inner map is replaced whole, never mutated
        # once published, and the outer maps change one key at a time (atomic under the GIL).
        meta = pod.metadata
        key = f"{meta.namespace}/{meta.name}"
        entry = None if kind == "DELETED" else self._entry(pod)
        before = self.by_pod.get(key)
        changed: set[str] = set()
        if before is not None and (entry is None or entry[0] != before):
            rest = {k: v for k, v in self.by_session.get(before, {}).items() if k != key}
            self._set_session(before, rest)
            del self.by_pod[key]
            changed.add(before)
        if entry is not None:
            session, _, summary = entry
            current = self.by_session.get(session, {})
            if current.get(key) != summary:
                self._set_session(session, {**current, key: summary})
                changed.add(session)
            self.by_pod[key] = session
        self._notify(changed)

    def _set_session(self, session: str, pods: dict[str, AllowedPod]) -> None:
        if pods:
            self.by_session[session] = pods
        else:
            self.by_session.pop(session, None)

    def _publish(self, by_session: PodMap) -> None:
        """Swap in a whole new picture (after a list)."""
        kept = {s: pods for s, pods in by_session.items() if pods}
        self.by_pod = {key: s for s, pods in kept.items() for key in pods}
        self.by_session = kept

    def _notify(self, changed: set[str]) -> None:
        if changed and self.on_change is not None:
            self.on_change(self.cluster, frozenset(changed))


def wait_synced(watches: list[PodWatch], timeout: float) -> bool:
    """Wait until every watch has listed once (or the timeout); True when all have."""
    deadline = time.monotonic() + timeout
    return all(w.synced.wait(max(0.0, deadline - time.monotonic())) for w in watches)
