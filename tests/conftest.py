"""Shared fixtures: where the spec examples live, and a helper to write catalog directories."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SHARED_EXAMPLES = SHARED / "spec" / "examples"
EXAMPLE_COPY = REPO / "tests" / "spec-examples"
"""A copy of ../shared/spec/examples (the seed's acceptance data), so that a clone without ../shared tests
the same; tests/domain/test_examples.py checks that the copy matches whenever ../shared is there."""
EXAMPLES = SHARED_EXAMPLES if SHARED_EXAMPLES.is_dir() else EXAMPLE_COPY

WriteFiles = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_files(tmp_path: Path) -> WriteFiles:
    """Write `{relative path: YAML text}` under a fresh directory and return the directory."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "catalog"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        root.mkdir(exist_ok=True)
        return root

    return write
