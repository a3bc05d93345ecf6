"""A running process keeps its last good catalog and picks up valid changes within 2 s."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from domain.catalog.watch import CatalogWatcher
from tests.conftest import WriteFiles
from tests.domain.test_loader import POD


def wait_for(predicate: Callable[[], bool], timeout: float) -> float:
    """Poll `predicate`; return the seconds it took, or fail after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.02)
    return time.monotonic() - start


def _bump(path: Path, text: str) -> None:
    # mtime granularity can hide two writes in the same instant; size differs too, but be explicit.
    path.write_text(text)


def test_valid_change_is_picked_up_within_two_seconds(write_files: WriteFiles) -> None:
    root = write_files({"pods.yaml": POD})
    with CatalogWatcher([root], interval=0.2) as watcher:
        assert watcher.catalog is not None
        assert list(watcher.catalog.pod_templates) == ["pod"]
        _bump(root / "more.yaml", POD.replace("name: pod", "name: pod-2"))
        wait_for(lambda: watcher.catalog is not None and "pod-2" in watcher.catalog.pod_templates, timeout=2.0)
        assert watcher.generation == 2


def test_invalid_change_keeps_last_good_catalog_and_logs_why(
    write_files: WriteFiles, caplog: pytest.LogCaptureFixture
) -> None:
    root = write_files({"pods.yaml": POD})
    caplog.set_level(logging.INFO, logger="debug_sessions.catalog")
    with CatalogWatcher([root], interval=0.2) as watcher:
        good = watcher.catalog
        _bump(root / "pods.yaml", POD.replace("name: pod", "name: Not_Valid"))
        wait_for(lambda: watcher.last_result is not None and not watcher.last_result.ok, timeout=2.0)
        assert watcher.catalog is good
        assert watcher.generation == 1
        messages = [r.getMessage() for r in caplog.records]
        assert any('pods.yaml:1:metadata.name: "Not_Valid" is not a valid name' in m for m in messages)
        assert "catalog: rejected (1 errors); keeping the last good catalog" in messages
        # and a fix is picked up again
        _bump(root / "pods.yaml", POD.replace("name: pod", "name: fixed"))
        wait_for(lambda: watcher.catalog is not None and "fixed" in watcher.catalog.pod_templates, timeout=2.0)


def test_deleting_a_file_removes_its_resources(write_files: WriteFiles) -> None:
    root = write_files({"a.yaml": POD, "b.yaml": POD.replace("name: pod", "name: pod-b")})
    with CatalogWatcher([root], interval=0.2) as watcher:
        assert watcher.catalog is not None
        assert len(watcher.catalog.pod_templates) == 2
        (root / "b.yaml").unlink()
        wait_for(lambda: watcher.catalog is not None and len(watcher.catalog.pod_templates) == 1, timeout=2.0)


def test_strict_watcher_rejects_unknown_fields(write_files: WriteFiles) -> None:
    root = write_files({"a.yaml": POD.replace("spec:\n  template:", "spec:\n  colour: x\n  template:")})
    with CatalogWatcher([root], strict=True, interval=0.2) as watcher:
        assert watcher.catalog is None
        assert watcher.last_result is not None
        assert len(watcher.last_result.errors) == 1


def test_on_change_callback_receives_each_new_catalog(write_files: WriteFiles) -> None:
    root = write_files({"a.yaml": POD})
    seen: list[int] = []
    watcher = CatalogWatcher([root], interval=0.2, on_change=lambda c: seen.append(len(c.pod_templates)))
    with watcher:
        _bump(root / "b.yaml", POD.replace("name: pod", "name: pod-b"))
        wait_for(lambda: seen == [1, 2], timeout=2.0)
