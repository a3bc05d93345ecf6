"""How the CLI prints what the API answered: `-o table|wide|json|yaml|name`.

`json` and `yaml` print exactly what the API returned; `table` and `wide` print kubectl-style columns
(upper-case headers, `-` for nothing); times are relative in tables (`in 29m`, `3m ago`) and RFC 3339 in
wide, as the reference's bgctl shows them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import yaml

FORMATS = ("table", "wide", "json", "yaml", "name")
OPERATIONS = (("exec", "exec"), ("attach", "attach"), ("logs", "logs"), ("portForward", "portforward"))

Column = tuple[str, Callable[[dict[str, Any]], str]]


def table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], out: TextIO = sys.stdout) -> None:
    """Columns padded to their widest cell, separated by three spaces (kubectl's look)."""
    cells = [[header for header, _ in columns], *[[cell(row) or "-" for _, cell in columns] for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        print("   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip(), file=out)


def dump(value: Any, fmt: str, out: TextIO = sys.stdout) -> None:
    """The API's answer as JSON or YAML, unchanged."""
    if fmt == "json":
        print(json.dumps(value, indent=2), file=out)
    else:
        print(yaml.safe_dump(value, sort_keys=False).rstrip(), file=out)


def relative(timestamp: str | None, now: datetime | None = None) -> str:
    """`in 29m` / `3m ago` / `-`, for an RFC 3339 timestamp."""
    if not timestamp:
        return "-"
    try:
        at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return timestamp
    seconds = int((at - (now or datetime.now(UTC))).total_seconds())
    span = _span(abs(seconds))
    return f"in {span}" if seconds > 0 else f"{span} ago"


def _span(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    return f"{seconds // 86400}d"


def operations(allowed: dict[str, Any] | None) -> str:
    """The allowed pod operations in the order exec,attach,logs,portforward (`none` when none)."""
    if allowed is None:
        return "exec,attach,portforward"  # the defaults, as the reference's bgctl prints a missing object
    names = [label for key, label in OPERATIONS if allowed.get(key)]
    return ",".join(names) or "none"
