"""Diagnostics: what catalog loading and validation report, one line per finding."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding about one field of one document: `file:doc:path: message`.

    `doc` is the 1-based position of the document in its file (0 when the finding concerns the whole file,
    e.g. a YAML syntax error that stops the parse before any document). `path` is the field path in
    Kubernetes notation (`spec.constraints.maxDuration`, `spec.containers[0].image`); `-` when the finding
    is about the document as a whole.
    """

    file: str
    doc: int
    path: str
    message: str
    severity: Severity = Severity.ERROR
    code: str = ""

    def __str__(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.file}:{self.doc}:{self.path}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True)
class Finding:
    """A finding about a field, before it is located in a file (rules know paths, the loader knows files)."""

    path: str
    message: str
    severity: Severity = Severity.ERROR
    code: str = ""
    """Machine-readable kind of finding; strict mode rejects the codes in STRICT_CODES."""

    def located(self, file: str, doc: int) -> Diagnostic:
        return Diagnostic(file, doc, self.path or "-", self.message, self.severity, self.code)


def error(path: str, message: str) -> Finding:
    """An error finding (rejects the document)."""
    return Finding(path, message, Severity.ERROR)


def warning(path: str, message: str, code: str = "") -> Finding:
    """A warning finding (reported, does not reject)."""
    return Finding(path, message, Severity.WARNING, code)


STRICT_CODES = frozenset({"unknown-field", "deprecated-field", "duplicate-key"})
"""Warnings about field spelling (as fieldValidation=Strict would see them): strict mode rejects these."""


def join_path(base: str, key: str | int) -> str:
    """Append a field name or list index to a path (`spec` + `containers` + 0 -> `spec.containers[0]`)."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if not base:
        return key
    if not _is_plain_key(key):
        return f"{base}[{key}]"
    return f"{base}.{key}"


def join_key(base: str, key: str) -> str:
    """Append a map key (`nodeSelector` + `sriov` -> `nodeSelector[sriov]`), told apart from fields."""
    return f"{base}[{key}]"


def _is_plain_key(key: str) -> bool:
    return key.replace("_", "a").replace("-", "a").isalnum()


def unknown_field(path: str, key: str, known: Iterable[str], where: str = "") -> Finding:
    """The warning for an unknown field, with a spelling suggestion when a known name is close."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return warning(path, f'unknown field "{key}"{where}{hint}; it is ignored', "unknown-field")
