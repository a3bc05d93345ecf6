"""Helpers shared by the templating tests and bench/render.py: the spec examples' template strings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def template_strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every templateString / podTemplateString in a YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("templateString", "podTemplateString") and isinstance(value, str):
                yield f"{path}.{key}", value
            else:
                yield from template_strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from template_strings(value, f"{path}[{i}]")
