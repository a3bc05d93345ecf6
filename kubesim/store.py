"""The single lock-protected in-memory object store, its resourceVersion clock and watch fan-out."""

from __future__ import annotations

import builtins
import copy
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
ObjKey = tuple[str, str]  # (namespace, name); namespace is "" for cluster-scoped objects

_ATOMS = (str, int, float, bool, type(None))


def clone(value: Any) -> Any:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars), several times faster than
    `copy.deepcopy`, which the controllers' read-modify-write passes spend most of their time in.
    Anything else in the tree (a datetime from YAML, say) falls back to `copy.deepcopy`."""
    kind = type(value)
    if kind is dict:
        return {k: clone(v) for k, v in value.items()}
    if kind is list:
        return [clone(v) for v in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Event:
    """One committed change; `old` is the previous state for MODIFIED and DELETED."""

    rv: int
    type: str
    key: str
    obj: Obj
    old: Obj | None


@dataclass
class Watcher:
    """A subscription to changes of one resource key; events arrive on `events`."""

    key: str
    events: queue.SimpleQueue[Event | None] = field(default_factory=queue.SimpleQueue)


class TooOldError(Exception):
    """The requested resourceVersion has fallen out of the watch history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")


class TooNewError(Exception):
    """The requested resourceVersion is ahead of this store (a client resuming against a restarted server)."""

    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"Too large resource version: {requested}, current: {current}")


class Store:
    """All objects of all resources; readers get stored dicts and must never mutate them."""

    def __init__(self, history: int = 50_000) -> None:
        self.lock = threading.RLock()
        self._rv = 1
        self._objects: dict[str, dict[ObjKey, Obj]] = {}
        self._history: deque[Event] = deque(maxlen=history)
        self._watchers: dict[str, list[Watcher]] = {}
        self._listeners: list[Callable[[Event], None]] = []

    @property
    def resource_version(self) -> int:
        """The latest committed resourceVersion."""
        return self._rv

    def add_listener(self, fn: Callable[[Event], None]) -> None:
        """Call `fn` (under the store lock) after every committed change."""
        self._listeners.append(fn)

    def get(self, key: str, namespace: str, name: str) -> Obj | None:
        """The stored object, or None."""
        bucket = self._objects.get(key)
        return None if bucket is None else bucket.get((namespace, name))

    def list(self, key: str, namespace: str | None = None) -> list[Obj]:
        """Objects of a resource, optionally of one namespace, in key order."""
        with self.lock:
            bucket = self._objects.get(key, {})
            if namespace is None:
                return [bucket[k] for k in sorted(bucket)]
            return [bucket[k] for k in sorted(bucket) if k[0] == namespace]

    def keys(self) -> builtins.list[str]:
        """Resource keys that have ever held objects."""
        with self.lock:
            return list(self._objects)

    def commit(self, key: str, obj: Obj, event_type: str) -> Obj:
        """Store `obj` (ADDED/MODIFIED) with a fresh resourceVersion and notify watchers."""
        with self.lock:
            self._rv += 1
            meta = obj["metadata"]
            meta["resourceVersion"] = str(self._rv)
            ok: ObjKey = (meta.get("namespace", ""), meta["name"])
            bucket = self._objects.setdefault(key, {})
            old = bucket.get(ok)
            bucket[ok] = obj
            self._emit(Event(self._rv, event_type, key, obj, old))
            return obj

    def remove(self, key: str, namespace: str, name: str) -> Obj | None:
        """Delete an object for good and emit DELETED carrying a fresh resourceVersion."""
        with self.lock:
            bucket = self._objects.get(key, {})
            old = bucket.pop((namespace, name), None)
            if old is None:
                return None
            self._rv += 1
            gone = dict(old)
            gone["metadata"] = dict(old["metadata"], resourceVersion=str(self._rv))
            self._emit(Event(self._rv, "DELETED", key, gone, old))
            return gone

    def _emit(self, ev: Event) -> None:
        self._history.append(ev)
        for w in self._watchers.get(ev.key, ()):
            w.events.put(ev)
        for fn in self._listeners:
            fn(ev)

    def watch(self, key: str, since: int | None) -> tuple[Watcher, builtins.list[Event]]:
        """Subscribe to `key`; also return history after `since` (None: none) with no gap."""
        with self.lock:
            backlog: builtins.list[Event] = []
            if since is not None and since > self._rv:
                raise TooNewError(since, self._rv)
            if since is not None and since < self._rv:
                oldest = self._history[0].rv if self._history else self._rv + 1
                if since + 1 < oldest and len(self._history) == self._history.maxlen:
                    raise TooOldError(since, oldest - 1)
                backlog = [e for e in self._history if e.rv > since and e.key == key]
            w = Watcher(key)
            self._watchers.setdefault(key, []).append(w)
            return w, backlog

    def unwatch(self, w: Watcher) -> None:
        """Cancel a subscription."""
        with self.lock:
            ws = self._watchers.get(w.key, [])
            if w in ws:
                ws.remove(w)

    def close_watchers(self) -> None:
        """Wake every watcher with an end-of-stream marker (server shutdown)."""
        with self.lock:
            for ws in self._watchers.values():
                for w in ws:
                    w.events.put(None)
            self._watchers.clear()
