"""Patch semantics: JSON patch, JSON merge patch and strategic merge patch."""

from __future__ import annotations

import copy
from typing import Any

from kubesim.errors import ApiError, bad_request

# Merge keys of the list fields kubectl and controllers patch; a field not listed here is replaced whole,
# as the apiserver does for lists without a patchMergeKey.
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "containerStatuses": "name",
    "initContainerStatuses": "name",
    "ephemeralContainerStatuses": "name",
    "taints": "key",
    "addresses": "type",
    "readinessGates": "conditionType",
    "resourceClaims": "name",
}
# Primitive lists whose patch strategy is merge (union) rather than replace.
MERGED_PRIMITIVE_LISTS = {"finalizers"}


def merge_key_for(field: str, items: list[Any]) -> str | None:
    """The merge key of a list field; `ports` depends on whether it is a container's or a service's."""
    if field == "ports":
        if any(isinstance(i, dict) and "containerPort" in i for i in items):
            return "containerPort"
        return "port"
    return MERGE_KEYS.get(field)


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = json_merge_patch(result.get(k), v)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer: {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve_parent(doc: Any, parts: list[str]) -> Any:
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, list):
            cur = cur[int(p)]
        elif isinstance(cur, dict):
            if p not in cur:
                raise KeyError(p)
            cur = cur[p]
        else:
            raise KeyError(p)
    return cur


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902 JSON patch; failures are 422 like the apiserver's."""
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in ops:
        name = op.get("op")
        try:
            if name in ("add", "replace", "test"):
                doc = _apply_value_op(doc, name, _pointer(op["path"]), op.get("value"))
            elif name == "remove":
                parts = _pointer(op["path"])
                parent = _resolve_parent(doc, parts)
                if isinstance(parent, list):
                    parent.pop(int(parts[-1]))
                else:
                    del parent[parts[-1]]
            elif name in ("move", "copy"):
                src = _pointer(op["from"])
                sparent = _resolve_parent(doc, src)
                value = sparent[int(src[-1])] if isinstance(sparent, list) else sparent[src[-1]]
                value = copy.deepcopy(value)
                if name == "move":
                    if isinstance(sparent, list):
                        sparent.pop(int(src[-1]))
                    else:
                        del sparent[src[-1]]
                doc = _apply_value_op(doc, "add", _pointer(op["path"]), value)
            else:
                raise bad_request(f"Unexpected kind: {name}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(
                422, "Invalid", f"the server rejected our request due to an error in our request: {exc}"
            ) from exc
    return doc


def _apply_value_op(doc: Any, name: str, parts: list[str], value: Any) -> Any:
    if not parts:
        if name == "test":
            if doc != value:
                raise ValueError("testing value failed")
            return doc
        return copy.deepcopy(value)
    parent = _resolve_parent(doc, parts)
    last = parts[-1]
    if isinstance(parent, list):
        idx = len(parent) if last == "-" else int(last)
        if name == "add":
            if idx > len(parent):
                raise IndexError(last)
            parent.insert(idx, copy.deepcopy(value))
        elif name == "replace":
            parent[idx] = copy.deepcopy(value)
        elif parent[idx] != value:
            raise ValueError("testing value failed")
    elif isinstance(parent, dict):
        if name == "add":
            parent[last] = copy.deepcopy(value)
        elif name == "replace":
            if last not in parent:
                raise KeyError(f"replace operation does not apply: doc is missing key: {'/' + '/'.join(parts)}")
            parent[last] = copy.deepcopy(value)
        elif parent.get(last) != value:
            raise ValueError("testing value failed")
    else:
        raise KeyError(last)
    return doc


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Strategic merge patch over the list merge keys Kubernetes declares for its types."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$retainKeys", "$patch"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [x for x in result[field] if x not in v]
            continue
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            merged = strategic_merge_patch(result.get(k), v)
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        elif isinstance(v, list):
            result[k] = _merge_list(k, result.get(k), v)
        else:
            result[k] = copy.deepcopy(v)
    if isinstance(retain, list):
        for k in list(result):
            if k not in retain and k not in patch:
                result.pop(k, None)
    return result


def _merge_list(field: str, current: Any, patch: list[Any]) -> list[Any]:
    if not isinstance(current, list):
        current = []
    if field in MERGED_PRIMITIVE_LISTS:
        out = list(current)
        for x in patch:
            if x not in out:
                out.append(x)
        return out
    key = merge_key_for(field, patch + current)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and i.get("$patch"))]
    out = [copy.deepcopy(i) for i in current]
    for item in patch:
        if item.get("$patch") == "replace":
            return [copy.deepcopy(i) for i in patch if i.get("$patch") is None]
        idx = next(
            (n for n, c in enumerate(out) if isinstance(c, dict) and key in item and c.get(key) == item[key]),
            None,
        )
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(strategic_merge_patch({}, item))
        else:
            out[idx] = strategic_merge_patch(out[idx], item)
    return out
