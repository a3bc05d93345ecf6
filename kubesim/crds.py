"""The resources CustomResourceDefinitions declare: served types, schemas, printer columns, selectable fields.

Kept current from the store's events on CRDs, so a resource is served (discovery, REST, watch) the moment
its CRD is committed and stops being served the moment the CRD is deleted or starts terminating, as the
apiextensions apiserver does. Deleting the objects of a deleted CRD is a controller's job (controllers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubesim.resources import Registry, ResourceType
from kubesim.schema_validation import Schema
from kubesim.store import Event, Obj, Store

CRD_KEY = "apiextensions.k8s.io/customresourcedefinitions"


@dataclass(frozen=True)
class CustomResource:
    """One served version of a CRD: its resource type and what its schema and printing say."""

    rt: ResourceType
    schema: Schema | None
    """The version's openAPIV3Schema (None: objects are stored as given)."""
    columns: tuple[dict[str, Any], ...]
    """`additionalPrinterColumns` as declared (empty: Name and Age)."""
    selectable_fields: frozenset[str]
    """Field selector keys beyond metadata.name/namespace, without the leading dot."""


def resources_of(crd: Obj) -> list[CustomResource]:
    """What a CRD serves: one entry per served version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    namespaced = spec.get("scope", "Namespaced") == "Namespaced"
    out: list[CustomResource] = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        rt = ResourceType(
            spec["group"],
            version["name"],
            names["kind"],
            names["plural"],
            namespaced,
            tuple(names.get("shortNames") or ()),
            ("status",) if subresources.get("status") is not None else (),
            tuple(names.get("categories") or ()),
            builtin=False,
        )
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        selectable = frozenset(
            str(f.get("jsonPath", "")).lstrip(".") for f in version.get("selectableFields") or [] if f.get("jsonPath")
        )
        columns = tuple(version.get("additionalPrinterColumns") or ())
        out.append(CustomResource(rt, schema if isinstance(schema, dict) else None, columns, selectable))
    return out


class CustomResourceDefinitions:
    """The served custom resources, by group/version/plural; updates the `Registry` as CRDs change."""

    def __init__(self, registry: Registry, store: Store) -> None:
        self.registry = registry
        self._served: dict[tuple[str, str, str], CustomResource] = {}
        """Replaced whole on every change, so readers without the store's lock see one version or the other."""
        store.add_listener(self._on_event)

    def get(self, rt: ResourceType) -> CustomResource | None:
        """The CRD-declared facts of a resource type (None for built-ins and `--extra-resources`)."""
        if rt.builtin:
            return None
        return self._served.get((rt.group, rt.version, rt.plural))

    def schema(self, rt: ResourceType) -> Schema | None:
        """The schema objects of `rt` are pruned, defaulted and validated against, if any."""
        served = self.get(rt)
        return served.schema if served is not None else None

    def _on_event(self, ev: Event) -> None:
        """Called under the store's lock, after every committed change."""
        if ev.key != CRD_KEY:
            return
        spec = ev.obj.get("spec") or {}
        group, plural = spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
        key = f"{group}/{plural}"
        gone = ev.type == "DELETED" or bool(ev.obj["metadata"].get("deletionTimestamp"))
        try:
            served = [] if gone else resources_of(ev.obj)
        except (KeyError, TypeError):
            return  # validation refuses such a CRD; an older stored one keeps being served
        kept = {k: v for k, v in self._served.items() if (k[0], k[2]) != (group, plural)}
        kept.update({(r.rt.group, r.rt.version, r.rt.plural): r for r in served})
        self._served = kept
        self.registry.replace_custom(key, [r.rt for r in served])
