"""The catalog: every admin resource, loaded from files, validated as a whole, all-or-nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.base import Model
from domain.binding import DebugSessionClusterBinding
from domain.catalog import rules
from domain.catalog.documents import find_files, read_documents
from domain.catalog.parse import CATALOG_KINDS, parse_resource
from domain.cluster import ClusterConfig
from domain.diagnostics import STRICT_CODES, Diagnostic, Finding, Severity, error, warning
from domain.meta import LabelSelector
from domain.pod_template import DebugPodTemplate
from domain.session import DebugSession
from domain.session_template import DebugSessionTemplate

REQUEST_KINDS = (*CATALOG_KINDS, "DebugSession")

RESERVED_SESSION_KEYS = frozenset(
    {
        "breakglass.telekom.com/debug-session",
        "breakglass.telekom.com/debug-template",
        "breakglass.telekom.com/debug-cluster",
        "app.kubernetes.io/managed-by",
        "breakglass.t-caas.telekom.com/session",
        "breakglass.t-caas.telekom.com/session-cluster",
    }
)


@dataclass(frozen=True)
class Source:
    """Where a resource came from, for messages that point at it."""

    file: str
    doc: int

    def __str__(self) -> str:
        return f"{self.file}:{self.doc}"


@dataclass
class Catalog:
    """A consistent set of admin resources. Bindings are keyed by `namespace/name`."""

    pod_templates: dict[str, DebugPodTemplate] = field(default_factory=dict)
    session_templates: dict[str, DebugSessionTemplate] = field(default_factory=dict)
    bindings: dict[str, DebugSessionClusterBinding] = field(default_factory=dict)
    clusters: dict[str, ClusterConfig] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    """`Kind/key` -> where it was defined."""

    def summary(self) -> str:
        """One line for logs: how many of each kind."""
        return (
            f"{len(self.pod_templates)} pod templates, {len(self.session_templates)} session templates, "
            f"{len(self.bindings)} bindings, {len(self.clusters)} clusters"
        )


@dataclass
class LoadResult:
    """The outcome of loading: the catalog (None when anything is in error) and every diagnostic."""

    catalog: Catalog | None
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def ok(self) -> bool:
        return self.catalog is not None


_RULES: dict[type[Model], Callable[[Any], list[Finding]]] = {
    DebugPodTemplate: rules.pod_template_rules,
    DebugSessionTemplate: rules.session_template_rules,
    DebugSessionClusterBinding: rules.binding_rules,
    ClusterConfig: rules.cluster_rules,
}


def load_catalog(
    paths: Iterable[Path | str], strict: bool = False, requests: list[tuple[DebugSession, Source]] | None = None
) -> LoadResult:
    """Load files and directories into a catalog. Any error rejects the whole catalog.

    With `strict`, warnings about field spelling (unknown fields, deprecated aliases, duplicate keys)
    are errors, as with `kubectl apply --validate=strict`. With `requests`, DebugSession documents (session
    manifests, not catalog objects) are accepted too: checked against their model and appended there.
    """
    files, diagnostics = find_files(Path(p) for p in paths)
    objects: list[tuple[Any, Source]] = []
    for path in files:
        docs, problems = read_documents(path)
        diagnostics += problems
        objects += [(raw.data, Source(raw.file, raw.doc)) for raw in docs if raw.data is not None]
    return load_objects(objects, strict, requests, diagnostics)


def load_objects(
    objects: Iterable[tuple[Any, Source]],
    strict: bool = False,
    requests: list[tuple[DebugSession, Source]] | None = None,
    diagnostics: list[Diagnostic] | None = None,
) -> LoadResult:
    """Load parsed manifests (from files, or objects listed from a cluster: `Source.file` then names the
    object) into a catalog, with the same rules and the same all-or-nothing outcome as `load_catalog`."""
    diagnostics = list(diagnostics or [])
    catalog = Catalog()
    for data, source in objects:
        obj, findings = parse_resource(data, CATALOG_KINDS if requests is None else REQUEST_KINDS)
        if isinstance(obj, DebugSession) and requests is not None:
            diagnostics += [f.located(source.file, source.doc) for f in findings]
            if not any(f.severity is Severity.ERROR for f in findings):
                requests.append((obj, source))
            continue
        if obj is not None:
            rule = _RULES[type(obj)]
            findings += rule(obj)
        diagnostics += [f.located(source.file, source.doc) for f in findings]
        if obj is not None and not any(f.severity is Severity.ERROR for f in findings):
            diagnostics += _add(catalog, obj, source)
    diagnostics += cross_reference(catalog)
    if strict:
        diagnostics = [_strict(d) for d in diagnostics]
    failed = any(d.is_error for d in diagnostics)
    return LoadResult(None if failed else catalog, diagnostics)


def _strict(d: Diagnostic) -> Diagnostic:
    if d.severity is Severity.WARNING and d.code in STRICT_CODES:
        return Diagnostic(d.file, d.doc, d.path, d.message + " (strict mode)", Severity.ERROR, d.code)
    return d


_TABLES: dict[type[Model], str] = {
    DebugPodTemplate: "pod_templates",
    DebugSessionTemplate: "session_templates",
    DebugSessionClusterBinding: "bindings",
    ClusterConfig: "clusters",
}


def _add(catalog: Catalog, obj: Model, src: Source) -> list[Diagnostic]:
    table: dict[str, Model] = getattr(catalog, _TABLES[type(obj)])
    key = obj.ref if isinstance(obj, DebugSessionClusterBinding) else obj.metadata.name  # type: ignore[attr-defined]
    if isinstance(obj, ClusterConfig):
        _resolve_kubeconfig(obj, Path(src.file).parent)
    kind_key = f"{type(obj).__name__}/{key}"
    if key in table:
        first = catalog.sources[kind_key]
        duplicate = error("metadata.name", f"duplicate {kind_key}: already defined at {first}")
        return [duplicate.located(src.file, src.doc)]
    table[key] = obj
    catalog.sources[kind_key] = src
    return []


def _resolve_kubeconfig(cluster: ClusterConfig, base: Path) -> None:
    """Relative kubeconfig paths are relative to the manifest, not to the process's working directory."""
    path = Path(cluster.spec.kubeconfig.path)
    if not path.is_absolute():
        cluster.spec.kubeconfig.path = str((base / path).resolve())


def cross_reference(catalog: Catalog) -> list[Diagnostic]:
    """Checks that need the whole catalog: references resolve, aliases are unambiguous, no collisions."""
    out: list[Diagnostic] = []

    def at(kind_key: str, finding: Finding) -> None:
        src = catalog.sources[kind_key]
        out.append(finding.located(src.file, src.doc))

    for name, t in catalog.session_templates.items():
        ref = t.spec.pod_template_ref
        if ref is not None and ref.name not in catalog.pod_templates:
            at(
                f"DebugSessionTemplate/{name}",
                error("spec.podTemplateRef.name", f'DebugPodTemplate "{ref.name}" does not exist'),
            )
        pod = catalog.pod_templates.get(ref.name) if ref is not None else None
        for finding in rules.resource_quota_fit_rules(t, pod):
            at(f"DebugSessionTemplate/{name}", finding)
    for key, b in catalog.bindings.items():
        kk = f"DebugSessionClusterBinding/{key}"
        s = b.spec
        if s.template_ref is not None and s.template_ref.name not in catalog.session_templates:
            at(
                kk,
                error("spec.templateRef.name", f'DebugSessionTemplate "{s.template_ref.name}" does not exist'),
            )
        if s.template_selector is not None and not bound_templates(catalog, b):
            at(kk, warning("spec.templateSelector", "matches no DebugSessionTemplate"))
        for i, cluster in enumerate(s.clusters):
            if cluster not in catalog.clusters:
                at(kk, warning(f"spec.clusters[{i}]", f'ClusterConfig "{cluster}" does not exist'))
        for field_name, values in (("labels", s.labels), ("annotations", s.annotations)):
            for reserved in sorted(RESERVED_SESSION_KEYS & values.keys()):
                at(
                    kk,
                    warning(
                        f"spec.{field_name}[{reserved}]",
                        "reserved session key; it is never copied over the session's own value",
                    ),
                )
    out += _tenant_aliases(catalog)
    out += _display_name_collisions(catalog)
    return out


def _tenant_aliases(catalog: Catalog) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    by_tenant: dict[str, list[str]] = {}
    for name, c in sorted(catalog.clusters.items()):
        if c.spec.tenant:
            by_tenant.setdefault(c.spec.tenant, []).append(name)
    for tenant, names in by_tenant.items():
        for name in names:
            src = catalog.sources[f"ClusterConfig/{name}"]
            if len(names) > 1:
                others = ", ".join(n for n in names if n != name)
                out.append(
                    warning(
                        "spec.tenant",
                        f'tenant alias "{tenant}" is shared with {others}: requests naming it are refused as ambiguous',
                    ).located(src.file, src.doc)
                )
            if tenant in catalog.clusters and tenant != name:
                out.append(
                    warning(
                        "spec.tenant",
                        f'tenant alias "{tenant}" is also the name of another cluster; the name wins',
                    ).located(src.file, src.doc)
                )
    return out


def selector_matches(selector: LabelSelector, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels AND matchExpressions)."""
    if any(labels.get(k) != v for k, v in selector.match_labels.items()):
        return False
    for req in selector.match_expressions:
        present = req.key in labels
        if req.operator == "In" and not (present and labels[req.key] in req.values):
            return False
        if req.operator == "NotIn" and present and labels[req.key] in req.values:
            return False
        if req.operator == "Exists" and not present:
            return False
        if req.operator == "DoesNotExist" and present:
            return False
    return True


def bound_templates(catalog: Catalog, b: DebugSessionClusterBinding) -> list[str]:
    """Names of the templates a binding applies to (templateRef, or templateSelector on template labels)."""
    if b.spec.template_ref is not None:
        return [b.spec.template_ref.name] if b.spec.template_ref.name in catalog.session_templates else []
    selector = b.spec.template_selector
    if selector is None:
        return []
    return sorted(n for n, t in catalog.session_templates.items() if selector_matches(selector, t.metadata.labels))


def template_diagnostics(catalog: Catalog, diagnostics: Iterable[Diagnostic], template: str) -> list[Diagnostic]:
    """The diagnostics about one session template: its own, its pod template's and its enabled bindings'.

    Diagnostics are matched on the document they point at, so a whole-file finding (doc 0) never matches.
    """
    t = catalog.session_templates.get(template)
    if t is None:
        return []
    kind_keys = [f"DebugSessionTemplate/{template}"]
    if t.spec.pod_template_ref is not None:
        kind_keys.append(f"DebugPodTemplate/{t.spec.pod_template_ref.name}")
    kind_keys += [
        f"DebugSessionClusterBinding/{key}"
        for key, b in catalog.bindings.items()
        if not b.spec.disabled and template in bound_templates(catalog, b)
    ]
    docs = {(src.file, src.doc) for src in (catalog.sources.get(kk) for kk in kind_keys) if src is not None}
    return [d for d in diagnostics if (d.file, d.doc) in docs]


def bound_clusters(catalog: Catalog, b: DebugSessionClusterBinding) -> list[str]:
    """Names of clusters a binding covers: listed names plus clusterSelector matches (OR-ed)."""
    names = set(b.spec.clusters)
    if b.spec.cluster_selector is not None:
        names |= {
            n for n, c in catalog.clusters.items() if selector_matches(b.spec.cluster_selector, c.metadata.labels)
        }
    return sorted(names)


def effective_display_name(b: DebugSessionClusterBinding, template: DebugSessionTemplate) -> str:
    """The binding's displayName, else the template's (or its name) with the optional prefix
    (docs/behaviour/resolution.md#binding-display-name)."""
    if b.spec.display_name:
        return b.spec.display_name
    base = template.spec.display_name or template.metadata.name
    return f"{b.spec.display_name_prefix} - {base}" if b.spec.display_name_prefix else base


def _display_name_collisions(catalog: Catalog) -> list[Diagnostic]:
    """Two enabled bindings must not offer the same name for one template+cluster
    (docs/behaviour/catalog.md#display-name-collisions)."""
    out: list[Diagnostic] = []
    seen: dict[tuple[str, str, str], str] = {}
    for key in sorted(catalog.bindings):
        b = catalog.bindings[key]
        if b.spec.disabled:
            continue
        for tname in bound_templates(catalog, b):
            name = effective_display_name(b, catalog.session_templates[tname])
            for cluster in bound_clusters(catalog, b):
                slot = (tname, cluster, name)
                if slot in seen and seen[slot] != key:
                    src = catalog.sources[f"DebugSessionClusterBinding/{key}"]
                    out.append(
                        error(
                            "spec.displayName",
                            f"name collision: template '{tname}' on cluster '{cluster}' would produce the "
                            f"same effective name '{name}' as binding '{seen[slot]}'",
                        ).located(src.file, src.doc)
                    )
                seen.setdefault(slot, key)
    return out
