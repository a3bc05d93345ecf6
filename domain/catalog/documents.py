"""Reading manifest files: directories walked recursively, multi-document YAML, precise syntax errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from domain.diagnostics import Diagnostic, Severity

SUFFIXES = (".yaml", ".yml")


@dataclass
class RawDocument:
    """One YAML document of one file, before validation."""

    file: str
    doc: int
    """1-based position of the document in its file."""
    data: Any
    duplicate_keys: list[str] = field(default_factory=list)


class _Loader(yaml.SafeLoader):
    """SafeLoader that records duplicate mapping keys (PyYAML silently keeps the last one)."""

    duplicates: list[str]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in seen:
                    line = key_node.start_mark.line + 1
                    self.duplicates.append(f'duplicate key "{key}" at line {line}; the last value wins')
                seen.add(key)
            except TypeError:
                pass  # unhashable keys are reported by the constructor below
        return super().construct_mapping(node, deep=deep)


def find_files(paths: Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Expand directories (recursively, *.yaml/*.yml, sorted) and check that named files exist."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in SUFFIXES and p.is_file() and not _hidden(p.relative_to(path))
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Diagnostic(str(path), 0, "-", "no such file or directory"))
    return files, problems


def _hidden(relative: Path) -> bool:
    # Editors and `kubectl` leave dot-files (.#x.yaml, .x.yaml.swp); ConfigMap mounts use ..data links.
    return any(part.startswith(".") for part in relative.parts)


def read_documents(path: Path, display: str | None = None) -> tuple[list[RawDocument], list[Diagnostic]]:
    """Parse every document of `path`. A syntax error yields a diagnostic with line and column."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [], [Diagnostic(name, 0, "-", f"not UTF-8 text: {exc.reason} at byte {exc.start}")]
    except OSError as exc:
        return [], [Diagnostic(name, 0, "-", f"cannot read file: {exc.strerror}")]
    return parse_documents(text, name)


def parse_documents(text: str, name: str) -> tuple[list[RawDocument], list[Diagnostic]]:
    """Parse YAML `text` (named `name` in diagnostics) into documents."""
    docs: list[RawDocument] = []
    loader = _Loader(text)
    loader.duplicates = []
    try:
        for index in _count():
            if not loader.check_data():  # type: ignore[no-untyped-call]
                break
            data = loader.get_data()
            docs.append(RawDocument(name, index, data, loader.duplicates))
            loader.duplicates = []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        return docs, [Diagnostic(name, len(docs) + 1, "-", f"YAML syntax error at {where}: {what}")]
    except yaml.YAMLError as exc:
        return docs, [Diagnostic(name, len(docs) + 1, "-", f"YAML error: {exc}")]
    finally:
        loader.dispose()
    warnings = [
        Diagnostic(name, d.doc, "-", msg, Severity.WARNING, "duplicate-key") for d in docs for msg in d.duplicate_keys
    ]
    return docs, warnings


def _count() -> Iterator[int]:
    n = 1
    while True:
        yield n
        n += 1
