"""Render benchmark: compile time and median cached render time of every seed templateString.

Run: .venv/bin/python bench/render.py   (goal: median render from cache <= 100 µs per template)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from templating.context import RenderInputs, build_context
from templating.engine import Engine
from tests.conftest import EXAMPLES
from tests.templating.support import template_strings

GOAL_US = 100.0
RUNS = 2000


def seeds() -> list[tuple[str, str]]:
    """(label, text) of every seed template."""
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            for where, text in template_strings(doc):
                out.append((f"{path.name[:2]}{where}", text))
    return out


def main() -> int:
    """Print the figures; exit 1 if a median misses the goal."""
    now = datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)
    data = build_context(
        RenderInputs(
            session_name="debug-alice-1709622489",
            session_namespace="breakglass-system",
            cluster="prod-eu-1",
            requested_by="alice@example.com",
            reason="bench",
            target_namespace="debug-ns",
            template_name="standard",
            now=now,
            vars={"image": "busybox", "hostNetwork": "true", "createPVC": "true"},
        )
    )
    print(f"{'template':<58} {'compile ms':>10} {'render µs (median)':>19} {'p90 µs':>8}")
    worst = 0.0
    for label, text in seeds():
        engine = Engine()
        t0 = time.perf_counter()
        compiled = engine.compile(label, text)
        compile_ms = (time.perf_counter() - t0) * 1000
        samples = []
        for _ in range(RUNS):
            t = time.perf_counter()
            engine.compile(label, text).render(data, now=now)
            samples.append((time.perf_counter() - t) * 1e6)
        assert compiled is engine.compile(label, text)
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        worst = max(worst, median)
        print(f"{label:<58} {compile_ms:>10.2f} {median:>19.1f} {p90:>8.1f}")
    verdict = "OK" if worst <= GOAL_US else "MISSED"
    print(f"worst median {worst:.1f} µs (goal <= {GOAL_US:.0f} µs, from cache incl. cache lookup): {verdict}")
    return 0 if worst <= GOAL_US else 1


if __name__ == "__main__":
    sys.exit(main())
