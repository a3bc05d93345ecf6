"""Discovery documents (legacy and aggregated v2) and the minimal OpenAPI v3 kubectl needs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from kubesim.resources import Registry, ResourceType

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
SERVER_ADDRESS = [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]
_SUB_VERBS = {
    "status": ["get", "patch", "update"],
    "scale": ["get", "patch", "update"],
    "ephemeralcontainers": ["get", "patch", "update"],
    "log": ["get"],
    "exec": ["create", "get"],
    "attach": ["create", "get"],
    "eviction": ["create"],
    "finalize": ["update"],
}


def version_info() -> dict[str, str]:
    """Body of /version."""
    return {
        "major": "1",
        "minor": "37",
        "emulationMajor": "1",
        "emulationMinor": "37",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "36",
        "gitVersion": "v1.37.1-kubesim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions() -> dict[str, Any]:
    """Body of /api."""
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": SERVER_ADDRESS}


def api_group(reg: Registry, group: str) -> dict[str, Any]:
    """One APIGroup entry."""
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in reg.versions(group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(reg: Registry) -> dict[str, Any]:
    """Body of /apis."""
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [api_group(reg, g) for g in reg.groups()]}


def _subresource_scope(rt: ResourceType) -> str:
    return "Namespaced" if rt.namespaced else "Cluster"


def resource_list(reg: Registry, group: str, version: str) -> dict[str, Any]:
    """Body of /api/v1 or /apis/{group}/{version}."""
    resources: list[dict[str, Any]] = []
    for rt in reg.in_group_version(group, version):
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(rt.verbs),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        entry["storageVersionHash"] = hashlib.sha256(rt.key.encode()).hexdigest()[:11]
        resources.append(entry)
        for sub in rt.subresources:
            kind = {"scale": "Scale", "exec": "PodExecOptions", "attach": "PodAttachOptions"}.get(sub, rt.kind)
            sub_entry: dict[str, Any] = {
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": kind,
                "verbs": _SUB_VERBS.get(sub, ["get"]),
            }
            if sub == "scale":
                sub_entry.update(group="autoscaling", version="v1")
            elif sub == "eviction":
                sub_entry.update(group="policy", version="v1", kind="Eviction")
            resources.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _aggregated_resources(reg: Registry, group: str, version: str) -> list[dict[str, Any]]:
    out = []
    for rt in reg.in_group_version(group, version):
        entry: dict[str, Any] = {
            "resource": rt.plural,
            "responseKind": {"group": group, "version": version, "kind": rt.kind},
            "scope": _subresource_scope(rt),
            "singularResource": rt.singular,
            "verbs": list(rt.verbs),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        subs = []
        for sub in rt.subresources:
            if sub == "scale":
                kind = {"group": "autoscaling", "version": "v1", "kind": "Scale"}
            elif sub == "eviction":
                kind = {"group": "policy", "version": "v1", "kind": "Eviction"}
            elif sub in ("exec", "attach"):
                kind = {"group": "", "version": "v1", "kind": f"Pod{sub.capitalize()}Options"}
            else:
                kind = {"group": group, "version": version, "kind": rt.kind}
            subs.append({"subresource": sub, "responseKind": kind, "verbs": _SUB_VERBS.get(sub, ["get"])})
        if subs:
            entry["subresources"] = subs
        out.append(entry)
    return out


def aggregated(reg: Registry, core: bool) -> dict[str, Any]:
    """APIGroupDiscoveryList for /api (core) or /apis (named groups)."""
    groups = [""] if core else reg.groups()
    items = []
    for g in groups:
        versions = [
            {"version": v, "resources": _aggregated_resources(reg, g, v), "freshness": "Current"}
            for v in reg.versions(g)
        ]
        item: dict[str, Any] = {"metadata": {"creationTimestamp": None}, "versions": versions}
        if g:
            item["metadata"]["name"] = g
        items.append(item)
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def wants_aggregated(accept: str) -> bool:
    """Whether the Accept header asks for aggregated discovery v2."""
    return "as=APIGroupDiscoveryList" in accept and "v=v2;" in accept.replace(" ", "") + ";"


# ----------------------------------------------------------------------------------------- OpenAPI v3


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


SchemaOf = Callable[[ResourceType], dict[str, Any] | None]
"""The schema a CRD declares for a resource type (None: none)."""


def _no_schema(_rt: ResourceType) -> dict[str, Any] | None:
    return None


def openapi_root(reg: Registry, schema_of: SchemaOf = _no_schema) -> dict[str, Any]:
    """Body of /openapi/v3: one entry per group/version, URLs carrying a content hash."""
    paths: dict[str, Any] = {}
    gvs = [("", v) for v in reg.versions("")] + [(g, v) for g in reg.groups() for v in reg.versions(g)]
    for g, v in gvs:
        p = _gv_path(g, v)
        document = openapi_gv(reg, g, v, schema_of)
        digest = hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest().upper()
        paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={digest[:128]}"}
    return {"paths": paths}


def openapi_gv(reg: Registry, group: str, version: str, schema_of: SchemaOf = _no_schema) -> dict[str, Any]:
    """A minimal OpenAPI v3 document for one group/version.

    It declares, per resource, a PATCH operation that accepts the `fieldValidation` query parameter, so
    kubectl uses server-side field validation instead of client-side schema validation, and lists the
    patch media types kubectl may use from these open schemas. Built-in schemas are open (kubesim does
    not validate built-in fields); a CRD's schema is published as declared, so `kubectl explain` works.
    """
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for rt in reg.in_group_version(group, version):
        gvk = {"group": group, "version": version, "kind": rt.kind}
        ref_name = f"{_schema_prefix(rt)}.{rt.kind}"
        declared = schema_of(rt)
        if declared is not None:
            schemas[ref_name] = {**declared, "x-kubernetes-group-version-kind": [gvk]}
        else:
            schemas[ref_name] = {
                "type": "object",
                "x-kubernetes-group-version-kind": [gvk],
                "x-kubernetes-preserve-unknown-fields": True,
            }
        # Strategic merge patch is deliberately not advertised: kubectl would then compute apply patches
        # from these open schemas; without it kubectl uses its compiled-in Go types, as for a real server.
        media = [
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/apply-patch+yaml",
        ]
        schema_ref = {"$ref": f"#/components/schemas/{ref_name}"}
        patch_op = {
            "operationId": f"patch{rt.kind}",
            "parameters": [
                {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                {"name": "force", "in": "query", "schema": {"type": "boolean"}},
            ],
            "requestBody": {"content": {m: {"schema": {"type": "object"}} for m in media}, "required": True},
            "responses": {"200": {"content": {"application/json": {"schema": schema_ref}}}},
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": gvk,
        }
        base = "/" + _gv_path(group, version)
        item_path = (
            f"{base}/namespaces/{{namespace}}/{rt.plural}/{{name}}" if rt.namespaced else f"{base}/{rt.plural}/{{name}}"
        )
        paths[item_path] = {
            "get": {
                "operationId": f"read{rt.kind}",
                "responses": {"200": {"content": {"application/json": {"schema": schema_ref}}}},
                "x-kubernetes-action": "get",
                "x-kubernetes-group-version-kind": gvk,
            },
            "patch": patch_op,
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.1-kubesim"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _schema_prefix(rt: ResourceType) -> str:
    if not rt.builtin:
        return ".".join(reversed(rt.group.split("."))) + f".{rt.version}"
    group = rt.group.split(".")[0] if rt.group else "core"
    return f"io.k8s.api.{group}.{rt.version}"
