"""Keep a running process's catalog current: reload on change, keep the last good one on error."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol

from domain.catalog.catalog import Catalog, LoadResult, load_catalog
from domain.catalog.documents import find_files

log = logging.getLogger("debug_sessions.catalog")

Fingerprint = tuple[tuple[str, str], ...]


def log_result(result: LoadResult, had_catalog: bool, origin: str = "") -> None:
    """A load's findings, one per line, then its outcome (`origin`: where it came from, for the message)."""
    for d in result.warnings:
        log.warning("catalog: %s", d)
    if result.catalog is None:
        for d in result.errors:
            log.error("catalog: %s", d)
        kept = "keeping the last good catalog" if had_catalog else "no catalog loaded yet"
        log.error("catalog: rejected (%d errors); %s", len(result.errors), kept)
    else:
        log.info("catalog: loaded %s%s", result.catalog.summary(), origin)


class CatalogSource(Protocol):
    """Where a running process gets its catalog: files (`CatalogWatcher`) or a hub cluster
    (`kube.catalog_source.KubernetesCatalogSource`). Both keep the last good catalog."""

    @property
    def catalog(self) -> Catalog | None: ...

    @property
    def last_result(self) -> LoadResult | None: ...

    def stop(self) -> None: ...


def fingerprint(paths: Sequence[Path]) -> Fingerprint:
    """(path, content digest) of every manifest file: changes when a file is added, removed or edited.

    Content, not mtime: an edit within one timestamp tick (coarse filesystem clocks, fast writers) must
    still be seen. Catalogs are small, so hashing them twice a second costs next to nothing.
    """
    files, _ = find_files(paths)
    out: list[tuple[str, str]] = []
    for f in files:
        try:
            digest = hashlib.blake2b(f.read_bytes(), digest_size=16).hexdigest()
        except OSError:
            continue  # removed between listing and reading; the next poll sees the final state
        out.append((str(f), digest))
    return tuple(out)


class CatalogWatcher:
    """Polls the catalog paths and swaps in each new valid catalog.

    Polling (not inotify) because it also works for ConfigMap volumes, whose atomic symlink swaps
    inotify-based watchers often miss. A change is picked up within `interval` seconds plus the load time.
    """

    def __init__(
        self,
        paths: Sequence[Path | str],
        strict: bool = False,
        interval: float = 0.5,
        on_change: Callable[[Catalog], None] | None = None,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.strict = strict
        self.interval = interval
        self.on_change = on_change
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._last_result: LoadResult | None = None
        self._fingerprint: Fingerprint | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.generation = 0
        """Incremented on every successful swap; tests and health checks read it."""

    @property
    def catalog(self) -> Catalog | None:
        """The last good catalog (None until one loaded without errors)."""
        with self._lock:
            return self._catalog

    @property
    def last_result(self) -> LoadResult | None:
        """The outcome of the most recent load attempt, good or bad."""
        with self._lock:
            return self._last_result

    def reload(self, fp: Fingerprint | None = None) -> LoadResult:
        """Load now; swap the catalog in if valid, otherwise keep the previous one and log why.

        The log lines come first and the new state is published after them, so whoever sees a rejected
        (or new) catalog can already read why in the log.
        """
        fp = fingerprint(self.paths) if fp is None else fp
        result = load_catalog(self.paths, strict=self.strict)
        log_result(result, had_catalog=self.catalog is not None)
        with self._lock:
            self._fingerprint = fp
            self._last_result = result
            if result.catalog is not None:
                self._catalog = result.catalog
                self.generation += 1
        if result.catalog is not None and self.on_change is not None:
            self.on_change(result.catalog)
        return result

    def poll(self) -> bool:
        """Reload if the files changed since the last load; True if a reload happened."""
        fp = fingerprint(self.paths)
        if fp == self._fingerprint:
            return False
        self.reload(fp)  # the files as fingerprinted; a later edit changes the print again
        return True

    def start(self) -> CatalogWatcher:
        """Load once, then poll in a daemon thread."""
        self.reload()
        self._thread = threading.Thread(target=self._run, name="catalog-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the watcher must survive anything a half-written file can cause
                log.exception("catalog: reload failed unexpectedly; keeping the last good catalog")

    def __enter__(self) -> CatalogWatcher:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
