"""Server-side apply: field ownership per manager, conflicts, and removal of fields a manager dropped."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from kubesim.errors import ApiError
from kubesim.patch import merge_key_for, strategic_merge_patch

Path = tuple[str, ...]
_SKIP_TOP = {"apiVersion", "kind", "status"}
_SKIP_META = {
    "name",
    "namespace",
    "resourceVersion",
    "managedFields",
    "uid",
    "creationTimestamp",
    "generation",
}


def field_set(obj: dict[str, Any]) -> set[Path]:
    """Leaf field paths of an applied configuration, in managedFields (FieldsV1) notation."""
    out: set[Path] = set()
    for k, v in obj.items():
        if k in _SKIP_TOP:
            continue
        if k == "metadata" and isinstance(v, dict):
            meta = {mk: mv for mk, mv in v.items() if mk not in _SKIP_META}
            if meta:
                _walk(meta, ("f:metadata",), out)
            continue
        _walk_value(k, v, (), out)
    return out


def _walk(d: dict[str, Any], prefix: Path, out: set[Path]) -> None:
    for k, v in d.items():
        _walk_value(k, v, prefix, out)


def _walk_value(k: str, v: Any, prefix: Path, out: set[Path]) -> None:
    p = (*prefix, f"f:{k}")
    if isinstance(v, dict) and v:
        _walk(v, p, out)
    elif isinstance(v, list) and v and merge_key_for(k, v) and all(isinstance(i, dict) for i in v):
        key = merge_key_for(k, v)
        assert key is not None
        for item in v:
            ip = (*p, "k:" + json.dumps({key: item.get(key)}, separators=(",", ":")))
            out.add((*ip, "."))
            _walk({ik: iv for ik, iv in item.items() if ik != key}, ip, out)
            out.add((*ip, f"f:{key}"))
    else:
        out.add(p)


def to_fields_v1(paths: set[Path]) -> dict[str, Any]:
    """Nested FieldsV1 dict of a set of paths."""
    root: dict[str, Any] = {}
    for p in sorted(paths):
        cur = root
        for part in p:
            cur = cur.setdefault(part, {})
    return root


def from_fields_v1(fields: dict[str, Any], prefix: Path = ()) -> set[Path]:
    """Inverse of `to_fields_v1`."""
    out: set[Path] = set()
    for k, v in fields.items():
        p = (*prefix, k)
        if not v:
            out.add(p)
        else:
            out |= from_fields_v1(v, p)
    return out


def _get(obj: Any, path: Path) -> tuple[bool, Any]:
    cur = obj
    field = ""
    for part in path:
        if part == ".":
            return True, None
        if part.startswith("f:"):
            field = part[2:]
            if not isinstance(cur, dict) or field not in cur:
                return False, None
            cur = cur[field]
        elif part.startswith("k:"):
            want = json.loads(part[2:])
            if not isinstance(cur, list):
                return False, None
            match = [i for i in cur if isinstance(i, dict) and all(i.get(a) == b for a, b in want.items())]
            if not match:
                return False, None
            cur = match[0]
    return True, cur


def _delete(obj: Any, path: Path) -> None:
    if path and path[-1] == ".":
        path = path[:-1]
    if not path:
        return
    found, parent = _get(obj, path[:-1])
    if not found:
        return
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        want = json.loads(last[2:])
        parent[:] = [i for i in parent if not (isinstance(i, dict) and all(i.get(a) == b for a, b in want.items()))]


def _pretty(path: Path) -> str:
    out = ""
    for part in path:
        if part == ".":
            continue
        if part.startswith("f:"):
            out += "." + part[2:]
        else:
            kv = json.loads(part[2:])
            out += "[" + ",".join(f"{a}={json.dumps(b)}" for a, b in kv.items()) + "]"
    return out


def _print_manager(entry: dict[str, Any]) -> str:
    """How the apiserver names a manager in conflicts: updaters carry the API version they wrote."""
    name = json.dumps(str(entry.get("manager", "")))
    if entry.get("operation") == "Update":
        return f"{name} using {entry.get('apiVersion', '')}"
    return name


def _conflict_message(conflicts: list[tuple[str, Path]]) -> str:
    if len(conflicts) == 1:
        mgr, p = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {mgr}: {_pretty(p)}"
    by_manager: dict[str, list[Path]] = {}
    for mgr, p in conflicts:
        by_manager.setdefault(mgr, []).append(p)
    lines: list[str] = []
    for mgr in sorted(by_manager):
        lines.append(f"conflicts with {mgr}:")
        lines += [f"- {_pretty(p)}" for p in by_manager[mgr]]
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def _managers(obj: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not obj:
        return []
    return [dict(m) for m in obj.get("metadata", {}).get("managedFields") or []]


def server_side_apply(
    current: dict[str, Any] | None, applied: dict[str, Any], manager: str, force: bool, subresource: str = ""
) -> dict[str, Any]:
    """Merge `applied` into `current` on behalf of `manager`; raise 409 on conflicts unless forced."""
    new_fields = field_set(applied)
    managers = _managers(current)
    conflicts: list[tuple[str, Path]] = []
    mine_before: set[Path] = set()
    others: set[Path] = set()
    for m in managers:
        owned = from_fields_v1(m.get("fieldsV1") or {})
        if m.get("manager") == manager and m.get("operation") == "Apply":
            mine_before = owned
            continue
        clashing = {p for p in owned & new_fields if p[-1] != "." and _get(current, p) != _get(applied, p)}
        conflicts += [(_print_manager(m), p) for p in sorted(clashing)]
        if force:
            # Forcing takes over only the clashing fields; fields applied with equal values stay co-owned.
            owned -= clashing
            m["fieldsV1"] = to_fields_v1(owned)
        others |= owned
    if conflicts and not force:
        raise ApiError(
            409,
            "Conflict",
            _conflict_message(conflicts),
            {
                "causes": [
                    {"reason": "FieldManagerConflict", "message": f"conflict with {mgr}", "field": _pretty(p)}
                    for mgr, p in conflicts
                ]
            },
        )
    result = strategic_merge_patch(current or {}, applied)
    if current is not None:
        for p in sorted(mine_before - new_fields - others, key=len, reverse=True):
            _delete(result, p)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entry: dict[str, Any] = {
        "manager": manager,
        "operation": "Apply",
        "apiVersion": applied.get("apiVersion", ""),
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": to_fields_v1(new_fields),
    }
    if subresource:
        entry["subresource"] = subresource
    kept = [m for m in managers if not (m.get("manager") == manager and m.get("operation") == "Apply")]
    kept = [m for m in kept if m.get("fieldsV1")]
    result.setdefault("metadata", {})["managedFields"] = [*kept, entry]
    return copy.deepcopy(result)


def record_update(old: dict[str, Any] | None, new: dict[str, Any], manager: str, subresource: str = "") -> None:
    """Give `manager` (operation Update) the fields this write changed, taking them from other managers."""
    new_fields = field_set(new)
    if old is None:
        changed = new_fields
        removed: set[Path] = set()
    else:
        changed = {p for p in new_fields if _get(old, p) != _get(new, p)}
        removed = field_set(old) - new_fields
    managers = _managers(new)
    if not changed and not removed:
        return
    out: list[dict[str, Any]] = []
    mine: dict[str, Any] | None = None
    for m in managers:
        owned = from_fields_v1(m.get("fieldsV1") or {})
        if m.get("manager") == manager and m.get("operation") == "Update" and m.get("subresource", "") == subresource:
            mine = m
            owned = (owned | changed) - removed
        else:
            owned = owned - changed - removed
        if owned:
            m["fieldsV1"] = to_fields_v1(owned)
            out.append(m)
    if mine is None and changed:
        mine = {
            "manager": manager,
            "operation": "Update",
            "apiVersion": new.get("apiVersion", ""),
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(changed),
        }
        if subresource:
            mine["subresource"] = subresource
        out.append(mine)
    if mine is not None:
        mine["time"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if out:
        new.setdefault("metadata", {})["managedFields"] = out
    else:
        new.get("metadata", {}).pop("managedFields", None)
