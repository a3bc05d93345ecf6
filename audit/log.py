"""The audit log: CloudEvents as JSON lines, to a file (appended) or stdout. Safe to share between threads."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import IO, Any

OFF = ("", "off", "none")
STDOUT = ("stdout", "-")


class AuditLog:
    """Where `DEBUG_SESSION_AUDIT_LOG` points: `stdout` (or `-`), a file path, or `off`."""

    def __init__(self, target: str) -> None:
        self.target = target.strip()
        self._lock = threading.Lock()
        self._stream: IO[str] | None = None
        if self.target.lower() in OFF:
            return
        if self.target.lower() in STDOUT:
            self._stream = sys.stdout
        else:
            path = Path(self.target)
            path.parent.mkdir(parents=True, exist_ok=True)
            # Line-buffered append: each event is one write of one line, so several processes (API and
            # worker) may share one file without interleaving inside a line.
            self._stream = path.open("a", encoding="utf-8", buffering=1)

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def write(self, event: dict[str, Any]) -> None:
        if self._stream is None:
            return
        line = json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._stream is not None and self._stream is not sys.stdout:
                self._stream.close()
            self._stream = None
