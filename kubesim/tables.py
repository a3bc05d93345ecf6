"""Server-side printing: the `Table` responses kubectl asks for in `get` and `get -o wide`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kubesim.store import Obj

Column = tuple[str, str, int, Callable[[Obj], Any]]  # name, type, priority, cell


def human_duration(seconds: float) -> str:
    """Age the way kubectl prints it (`5s`, `3m2s`, `2d3h`)."""
    s = int(max(seconds, 0))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if h < 24 * 8:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if d < 365 * 2:
        return f"{d}d"
    return f"{d // 365}y"


def _age(obj: Obj) -> str:
    ts = obj["metadata"].get("creationTimestamp")
    if not ts:
        return "<unknown>"
    created = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return human_duration((datetime.now(UTC) - created).total_seconds())


def _name(obj: Obj) -> str:
    return str(obj["metadata"]["name"])


def _st(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _sp(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _pod_ready(obj: Obj) -> str:
    statuses = _st(obj).get("containerStatuses") or []
    total = len(_sp(obj).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _pod_status(obj: Obj) -> str:
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for s in _st(obj).get("containerStatuses") or []:
        waiting = (s.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            return str(waiting["reason"])
    return str(_st(obj).get("phase") or "Pending")


def _restarts(obj: Obj) -> int:
    return sum(int(s.get("restartCount", 0)) for s in _st(obj).get("containerStatuses") or [])


def _images(template_spec: Obj) -> str:
    return ",".join(str(c.get("image", "")) for c in template_spec.get("containers") or [])


def _containers(template_spec: Obj) -> str:
    return ",".join(str(c.get("name", "")) for c in template_spec.get("containers") or [])


def _selector(obj: Obj) -> str:
    sel = _sp(obj).get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op = e.get("operator")
        vals = ",".join(e.get("values") or [])
        parts.append(f"{e.get('key')} {op.lower()} ({vals})" if op in ("In", "NotIn") else str(e.get("key")))
    return ",".join(parts) or "<none>"


def _tspec(obj: Obj) -> Obj:
    return (_sp(obj).get("template") or {}).get("spec") or {}


def _node_status(obj: Obj) -> str:
    ready = next((c for c in _st(obj).get("conditions") or [] if c.get("type") == "Ready"), None)
    out = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if _sp(obj).get("unschedulable"):
        out += ",SchedulingDisabled"
    return out


def _node_roles(obj: Obj) -> str:
    roles = sorted(
        k.split("/", 1)[1] for k in (obj["metadata"].get("labels") or {}) if k.startswith("node-role.kubernetes.io/")
    )
    return ",".join(roles) or "<none>"


def _node_ip(obj: Obj, kind: str) -> str:
    for a in _st(obj).get("addresses") or []:
        if a.get("type") == kind:
            return str(a.get("address"))
    return "<none>"


def _svc_ports(obj: Obj) -> str:
    out = []
    for p in _sp(obj).get("ports") or []:
        text = f"{p.get('port')}"
        if p.get("nodePort"):
            text += f":{p['nodePort']}"
        out.append(f"{text}/{p.get('protocol', 'TCP')}")
    return ",".join(out) or "<none>"


def _event_object(obj: Obj) -> str:
    io = obj.get("involvedObject") or {}
    return f"{str(io.get('kind', '')).lower()}/{io.get('name', '')}"


def _event_last_seen(obj: Obj) -> str:
    ts = obj.get("lastTimestamp") or obj["metadata"].get("creationTimestamp")
    if not ts:
        return "<unknown>"
    seen = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return human_duration((datetime.now(UTC) - seen).total_seconds())


def _none(value: Any) -> Any:
    return "<none>" if value in (None, "") else value


_NAME: Column = ("Name", "string", 0, _name)
_AGE: Column = ("Age", "string", 0, _age)

COLUMNS: dict[str, list[Column]] = {
    "/pods": [
        _NAME,
        ("Ready", "string", 0, _pod_ready),
        ("Status", "string", 0, _pod_status),
        ("Restarts", "string", 0, lambda o: str(_restarts(o))),
        _AGE,
        ("IP", "string", 1, lambda o: _none(_st(o).get("podIP"))),
        ("Node", "string", 1, lambda o: _none(_sp(o).get("nodeName"))),
        ("Nominated Node", "string", 1, lambda o: _none(_st(o).get("nominatedNodeName"))),
        ("Readiness Gates", "string", 1, lambda o: "<none>"),
    ],
    "/nodes": [
        _NAME,
        ("Status", "string", 0, _node_status),
        ("Roles", "string", 0, _node_roles),
        _AGE,
        ("Version", "string", 0, lambda o: (_st(o).get("nodeInfo") or {}).get("kubeletVersion", "")),
        ("Internal-IP", "string", 1, lambda o: _node_ip(o, "InternalIP")),
        ("External-IP", "string", 1, lambda o: _node_ip(o, "ExternalIP")),
        ("OS-Image", "string", 1, lambda o: (_st(o).get("nodeInfo") or {}).get("osImage", "")),
        ("Kernel-Version", "string", 1, lambda o: (_st(o).get("nodeInfo") or {}).get("kernelVersion", "")),
        (
            "Container-Runtime",
            "string",
            1,
            lambda o: (_st(o).get("nodeInfo") or {}).get("containerRuntimeVersion", ""),
        ),
    ],
    "/namespaces": [_NAME, ("Status", "string", 0, lambda o: _st(o).get("phase", "")), _AGE],
    "/services": [
        _NAME,
        ("Type", "string", 0, lambda o: _sp(o).get("type", "ClusterIP")),
        ("Cluster-IP", "string", 0, lambda o: _none(_sp(o).get("clusterIP"))),
        ("External-IP", "string", 0, lambda o: ",".join(_sp(o).get("externalIPs") or []) or "<none>"),
        ("Port(s)", "string", 0, _svc_ports),
        _AGE,
        (
            "Selector",
            "string",
            1,
            lambda o: ",".join(f"{k}={v}" for k, v in sorted((_sp(o).get("selector") or {}).items())) or "<none>",
        ),
    ],
    "/configmaps": [
        _NAME,
        ("Data", "integer", 0, lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
        _AGE,
    ],
    "/secrets": [
        _NAME,
        ("Type", "string", 0, lambda o: o.get("type", "Opaque")),
        ("Data", "integer", 0, lambda o: len(o.get("data") or {})),
        _AGE,
    ],
    "/serviceaccounts": [_NAME, ("Secrets", "integer", 0, lambda o: len(o.get("secrets") or [])), _AGE],
    "/events": [
        ("Last Seen", "string", 0, _event_last_seen),
        ("Type", "string", 0, lambda o: o.get("type", "")),
        ("Reason", "string", 0, lambda o: o.get("reason", "")),
        ("Object", "string", 0, _event_object),
        ("Message", "string", 0, lambda o: o.get("message", "")),
    ],
    "apps/deployments": [
        _NAME,
        ("Ready", "string", 0, lambda o: f"{_st(o).get('readyReplicas', 0)}/{_sp(o).get('replicas', 1)}"),
        ("Up-to-date", "integer", 0, lambda o: _st(o).get("updatedReplicas", 0)),
        ("Available", "integer", 0, lambda o: _st(o).get("availableReplicas", 0)),
        _AGE,
        ("Containers", "string", 1, lambda o: _containers(_tspec(o))),
        ("Images", "string", 1, lambda o: _images(_tspec(o))),
        ("Selector", "string", 1, _selector),
    ],
    "apps/replicasets": [
        _NAME,
        ("Desired", "integer", 0, lambda o: _sp(o).get("replicas", 1)),
        ("Current", "integer", 0, lambda o: _st(o).get("replicas", 0)),
        ("Ready", "integer", 0, lambda o: _st(o).get("readyReplicas", 0)),
        _AGE,
        ("Containers", "string", 1, lambda o: _containers(_tspec(o))),
        ("Images", "string", 1, lambda o: _images(_tspec(o))),
        ("Selector", "string", 1, _selector),
    ],
    "apps/daemonsets": [
        _NAME,
        ("Desired", "integer", 0, lambda o: _st(o).get("desiredNumberScheduled", 0)),
        ("Current", "integer", 0, lambda o: _st(o).get("currentNumberScheduled", 0)),
        ("Ready", "integer", 0, lambda o: _st(o).get("numberReady", 0)),
        ("Up-to-date", "integer", 0, lambda o: _st(o).get("updatedNumberScheduled", 0)),
        ("Available", "integer", 0, lambda o: _st(o).get("numberAvailable", 0)),
        (
            "Node Selector",
            "string",
            0,
            lambda o: (
                ",".join(f"{k}={v}" for k, v in sorted((_tspec(o).get("nodeSelector") or {}).items())) or "<none>"
            ),
        ),
        _AGE,
        ("Containers", "string", 1, lambda o: _containers(_tspec(o))),
        ("Images", "string", 1, lambda o: _images(_tspec(o))),
        ("Selector", "string", 1, _selector),
    ],
    "policy/poddisruptionbudgets": [
        _NAME,
        ("Min Available", "string", 0, lambda o: str(_sp(o).get("minAvailable", "N/A"))),
        ("Max Unavailable", "string", 0, lambda o: str(_sp(o).get("maxUnavailable", "N/A"))),
        ("Allowed Disruptions", "integer", 0, lambda o: _st(o).get("disruptionsAllowed", 0)),
        _AGE,
    ],
    "/persistentvolumeclaims": [
        _NAME,
        ("Status", "string", 0, lambda o: _st(o).get("phase", "")),
        ("Volume", "string", 0, lambda o: _sp(o).get("volumeName", "")),
        ("Capacity", "string", 0, lambda o: (_st(o).get("capacity") or {}).get("storage", "")),
        ("Access Modes", "string", 0, lambda o: ",".join(_sp(o).get("accessModes") or [])),
        ("StorageClass", "string", 0, lambda o: _sp(o).get("storageClassName") or "<unset>"),
        _AGE,
    ],
}

_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. Name is "
    "primarily intended for creation idempotence and configuration definition. Cannot be updated.",
    "Age": "CreationTimestamp is a timestamp representing the server time when this object was created.",
}


def _partial(obj: Obj) -> Obj:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(
    resource_key: str,
    items: list[Obj],
    list_meta: Obj,
    include_object: str = "Metadata",
    printer_columns: Sequence[Mapping[str, Any]] | None = None,
) -> Obj:
    """A meta.k8s.io/v1 Table of `items` with the columns a real apiserver prints for the resource.

    `printer_columns` are a CRD version's `additionalPrinterColumns` (None: not a CRD-defined resource).
    """
    descriptions = dict(_DESCRIPTIONS)
    if printer_columns is not None:
        cols = custom_columns(printer_columns)
        descriptions.update({str(c["name"]): str(c.get("description") or "") for c in printer_columns})
    else:
        cols = COLUMNS.get(resource_key, [_NAME, _AGE])
    rows = []
    for obj in items:
        row: dict[str, Any] = {"cells": [c[3](obj) for c in cols]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = _partial(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [
            {
                "name": name,
                "type": ctype,
                "format": "name" if name == "Name" else "",
                "description": descriptions.get(name, name),
                "priority": prio,
            }
            for name, ctype, prio, _ in cols
        ],
        "rows": rows,
    }


def wants_table(accept: str) -> bool:
    """Whether the Accept header prefers a Table rendering."""
    return "as=Table" in accept


# ------------------------------------------------------------------------------ CRD printer columns


def custom_columns(printer_columns: Sequence[Mapping[str, Any]]) -> list[Column]:
    """Name, then a CRD version's printer columns (Age alone when it declares none, as the apiserver does)."""
    if not printer_columns:
        return [_NAME, _AGE]
    out = [_NAME]
    for c in printer_columns:
        path, kind = str(c.get("jsonPath", "")), str(c.get("type", "string"))
        out.append((str(c["name"]), kind, int(c.get("priority", 0)), _cell_of(path, kind)))
    return out


def _cell_of(path: str, kind: str) -> Callable[[Obj], Any]:
    steps = _parse_jsonpath(path)

    def cell(obj: Obj) -> Any:
        found = _evaluate(obj, steps)
        return _cell(found[0], kind) if found else None

    return cell


def _cell(value: Any, kind: str) -> Any:
    """A value as the apiserver's CRD table convertor renders it for a column type (None prints <none>)."""
    if kind == "integer":
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "date":
        try:
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
        age = (datetime.now(UTC) - when).total_seconds()
        return "<invalid>" if age < -1 else human_duration(age)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


_STEP = re.compile(
    r"""\.(?P<field>[^.\[]+)"""
    r"""|\[(?P<index>-?\d+)\]"""
    r"""|\[(?P<star>\*)\]"""
    r"""|\[['"](?P<quoted>[^'"]+)['"]\]"""
    r"""|\[\?\(@\.(?P<key>[\w.-]+)\s*(?:==\s*['"]?(?P<want>[^'")]*)['"]?)?\)\]"""
)


Step = tuple[str, str, str | None]
"""(kind, argument, wanted value of a filter): `field`, `index`, `all`, `filter` or `never`."""


def _parse_jsonpath(path: str) -> list[Step]:
    """The steps of the simple JSONPath printer columns use: `.a.b`, `['a.b']`, `[0]`, `[*]`,
    `[?(@.type=="Ready")]`. Anything else selects nothing."""
    text = path.strip().removeprefix("{").removesuffix("}").removeprefix("$")
    steps: list[Step] = []
    pos = 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            return [("never", "", None)]
        pos = m.end()
        if m.group("field") is not None or m.group("quoted") is not None:
            steps.append(("field", m.group("field") or m.group("quoted"), None))
        elif m.group("index") is not None:
            steps.append(("index", m.group("index"), None))
        elif m.group("star") is not None:
            steps.append(("all", "", None))
        else:
            steps.append(("filter", m.group("key"), m.group("want")))
    return steps


def _evaluate(obj: Any, steps: list[Step]) -> list[Any]:
    current = [obj]
    for kind, arg, want in steps:
        nxt: list[Any] = []
        for value in current:
            if kind == "field" and isinstance(value, dict) and arg in value:
                nxt.append(value[arg])
            elif kind == "index" and isinstance(value, list) and -len(value) <= int(arg) < len(value):
                nxt.append(value[int(arg)])
            elif kind == "all" and isinstance(value, list):
                nxt.extend(value)
            elif kind == "filter" and isinstance(value, list):
                for item in value:
                    got = _evaluate(item, [("field", part, None) for part in arg.split(".")])
                    if got and (want is None or _cell(got[0], "string") == want):
                        nxt.append(item)
        current = nxt
    return current
