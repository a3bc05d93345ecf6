"""The catalogue of resource types kubesim serves: built-ins plus declared extras."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
NO_COLLECTION_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    """One group/version/resource with the facts discovery and routing need."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = tuple(ALL_VERBS)
    builtin: bool = True

    @property
    def api_version(self) -> str:
        """`apiVersion` of objects of this type."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """Store key: group and plural identify the resource across versions."""
        return f"{self.group}/{self.plural}"

    @property
    def singular(self) -> str:
        """Lower-case singular name, as discovery reports it."""
        return self.kind.lower()

    @property
    def group_version_path(self) -> str:
        """URL prefix of this resource's group/version."""
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"


def _b(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    cat: tuple[str, ...] = (),
    verbs: tuple[str, ...] = tuple(ALL_VERBS),
) -> ResourceType:
    return ResourceType(group, version, kind, plural, namespaced, short, sub, cat, verbs)


BUILTINS: tuple[ResourceType, ...] = (
    _b(
        "",
        "v1",
        "Namespace",
        "namespaces",
        False,
        ("ns",),
        ("status", "finalize"),
        (),
        tuple(NO_COLLECTION_VERBS),
    ),
    _b("", "v1", "Node", "nodes", False, ("no",), ("status",)),
    _b(
        "",
        "v1",
        "Pod",
        "pods",
        True,
        ("po",),
        ("status", "ephemeralcontainers", "log", "exec", "attach", "eviction"),
        ("all",),
    ),
    _b("", "v1", "Service", "services", True, ("svc",), ("status",), ("all",), tuple(NO_COLLECTION_VERBS)),
    _b("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    _b("", "v1", "Secret", "secrets", True),
    _b("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",)),
    _b("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), ("status",)),
    _b("", "v1", "ResourceQuota", "resourcequotas", True, ("quota",), ("status",)),
    _b("", "v1", "Event", "events", True, ("ev",)),
    _b("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("status",), ("all",)),
    _b("apps", "v1", "Deployment", "deployments", True, ("deploy",), ("status", "scale"), ("all",)),
    _b("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("status", "scale"), ("all",)),
    _b("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), ("status",)),
    _b("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    _b("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    _b("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    _b("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _b("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _b(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        ("crd", "crds"),
        ("status",),
    ),
)

# Preferred-version order of groups as a real apiserver lists them in /apis.
_GROUP_ORDER = ["apps", "policy", "networking.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io"]


@dataclass
class Registry:
    """Lookup tables over the served resource types."""

    types: list[ResourceType] = field(default_factory=lambda: list(BUILTINS))

    def __post_init__(self) -> None:
        self._reindex()

    def _reindex(self) -> None:
        # Build fresh tables and swap them in, so concurrent readers never see a half-built index.
        by_path: dict[tuple[str, str, str], ResourceType] = {}
        by_key: dict[str, ResourceType] = {}
        by_kind: dict[tuple[str, str], ResourceType] = {}
        for rt in self.types:
            by_path[(rt.group, rt.version, rt.plural)] = rt
            by_key.setdefault(rt.key, rt)
            by_kind[(rt.api_version, rt.kind)] = rt
        self._by_path, self._by_key, self._by_kind = by_path, by_key, by_kind

    def replace_custom(self, key: str, types: list[ResourceType]) -> None:
        """Serve exactly `types` for the custom resource `key` (group/plural); empty stops serving it."""
        self.types = [t for t in self.types if t.builtin or t.key != key] + types
        self._reindex()

    def has_key(self, key: str) -> bool:
        """Whether a resource with this group/plural is served."""
        return key in self._by_key

    def add(self, rt: ResourceType) -> None:
        """Serve one more resource type."""
        self.types = [t for t in self.types if (t.group, t.version, t.plural) != (rt.group, rt.version, rt.plural)]
        self.types.append(rt)
        self._reindex()

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """Resource type served at this group/version/plural, if any."""
        return self._by_path.get((group, version, plural))

    def by_key(self, key: str) -> ResourceType:
        """Resource type for a store key such as `apps/deployments`."""
        return self._by_key[key]

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """Resource type for an object's apiVersion and kind."""
        return self._by_kind.get((api_version, kind))

    def groups(self) -> list[str]:
        """Non-core groups, in discovery order."""
        seen = [g for g in _GROUP_ORDER if any(t.group == g for t in self.types)]
        for t in self.types:
            if t.group and t.group not in seen:
                seen.append(t.group)
        return seen

    def versions(self, group: str) -> list[str]:
        """Versions served for a group, preferred first."""
        out: list[str] = []
        for t in self.types:
            if t.group == group and t.version not in out:
                out.append(t.version)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        """Resource types of one group/version."""
        return [t for t in self.types if t.group == group and t.version == version]


def load_extra_resources(text: str) -> list[ResourceType]:
    """Parse `--extra-resources` YAML: a list of GVK entries or CustomResourceDefinition documents."""
    out: list[ResourceType] = []
    for doc in yaml.safe_load_all(text):
        if doc is None:
            continue
        entries: list[Any] = doc if isinstance(doc, list) else doc.get("resources", [doc])
        for entry in entries:
            out.extend(_parse_extra(entry))
    return out


def _parse_extra(entry: dict[str, Any]) -> list[ResourceType]:
    if entry.get("kind") == "CustomResourceDefinition":
        spec = entry["spec"]
        names = spec["names"]
        namespaced = spec.get("scope", "Namespaced") == "Namespaced"
        subs: tuple[str, ...] = ()
        out = []
        for v in spec.get("versions", []):
            if v.get("subresources", {}).get("status") is not None:
                subs = ("status",)
            out.append(
                ResourceType(
                    spec["group"],
                    v["name"],
                    names["kind"],
                    names["plural"],
                    namespaced,
                    tuple(names.get("shortNames", [])),
                    subs,
                    tuple(names.get("categories", [])),
                    builtin=False,
                )
            )
        return out
    if "apiVersion" in entry and "group" not in entry:
        group, _, version = str(entry["apiVersion"]).rpartition("/")
    else:
        group, version = str(entry["group"]), str(entry["version"])
    kind = str(entry["kind"])
    plural = str(entry.get("plural") or _pluralize(kind.lower()))
    return [
        ResourceType(
            group,
            version,
            kind,
            plural,
            bool(entry.get("namespaced", True)),
            tuple(entry.get("shortNames", [])),
            ("status",) if entry.get("status", False) else (),
            tuple(entry.get("categories", [])),
            builtin=False,
        )
    ]


def _pluralize(word: str) -> str:
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy", "uy")):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"
