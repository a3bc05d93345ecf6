"""Decoding of the Kubernetes protobuf envelope for the few kinds kubectl's typed generators create.

kubectl's `create namespace|configmap|secret|serviceaccount|deployment` and `run` send protobuf bodies;
everything else kubectl and the Python client send is JSON. Only the fields those generators set are
mapped; any other field is dropped.
"""

from __future__ import annotations

import base64
from typing import Any

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

Schema = dict[int, tuple[str, Any]]
_POINTER_FIELDS = {
    "replicas",
    "immutable",
    "automountServiceAccountToken",
    "enableServiceLinks",
    "priority",
    "privileged",
    "runAsUser",
    "runAsNonRoot",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "runAsGroup",
    "defaultMode",
    "optional",
    "gracePeriodSeconds",
}

_OWNER_REF: Schema = {
    1: ("kind", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    5: ("apiVersion", "string"),
    6: ("controller", "bool"),
    7: ("blockOwnerDeletion", "bool"),
}
_OBJECT_META: Schema = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    5: ("uid", "string"),
    6: ("resourceVersion", "string"),
    7: ("generation", "int"),
    11: ("labels", "map_ss"),
    12: ("annotations", "map_ss"),
    13: ("ownerReferences", ("rep", _OWNER_REF)),
    14: ("finalizers", "rep_string"),
    4: ("selfLink", "ignore"),
    8: ("creationTimestamp", "ignore"),
    9: ("deletionTimestamp", "ignore"),
    10: ("deletionGracePeriodSeconds", "ignore"),
    17: ("managedFields", "ignore"),
}
_LOCAL_REF: Schema = {1: ("name", "string")}
_OBJECT_REF: Schema = {
    1: ("kind", "string"),
    2: ("namespace", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    5: ("apiVersion", "string"),
}
_LABEL_SELECTOR: Schema = {
    1: ("matchLabels", "map_ss"),
    2: ("matchExpressions", ("rep", {1: ("key", "string"), 2: ("operator", "string"), 3: ("values", "rep_string")})),
}
_SECURITY_CONTEXT: Schema = {
    1: ("capabilities", {1: ("add", "rep_string"), 2: ("drop", "rep_string")}),
    2: ("privileged", "bool"),
    4: ("runAsUser", "int"),
    5: ("runAsNonRoot", "bool"),
    6: ("readOnlyRootFilesystem", "bool"),
    7: ("allowPrivilegeEscalation", "bool"),
    8: ("runAsGroup", "int"),
    9: ("procMount", "string"),
    11: ("seccompProfile", {1: ("type", "string"), 2: ("localhostProfile", "string")}),
}
_KEY_TO_PATH: Schema = {1: ("key", "string"), 2: ("path", "string"), 3: ("mode", "int")}
_VOLUME_SOURCE: Schema = {
    1: ("hostPath", {1: ("path", "string"), 2: ("type", "string")}),
    2: ("emptyDir", {1: ("medium", "string")}),
    6: (
        "secret",
        {
            1: ("secretName", "string"),
            2: ("items", ("rep", _KEY_TO_PATH)),
            3: ("defaultMode", "int"),
            4: ("optional", "bool"),
        },
    ),
    10: ("persistentVolumeClaim", {1: ("claimName", "string"), 2: ("readOnly", "bool")}),
    19: (
        "configMap",
        {
            1: ("localObjectReference", ("inline", {1: ("name", "string")})),
            2: ("items", ("rep", _KEY_TO_PATH)),
            3: ("defaultMode", "int"),
            4: ("optional", "bool"),
        },
    ),
}
_VOLUME: Schema = {1: ("name", "string"), 2: ("volumeSource", ("inline", _VOLUME_SOURCE))}
_CONTAINER: Schema = {
    1: ("name", "string"),
    2: ("image", "string"),
    3: ("command", "rep_string"),
    4: ("args", "rep_string"),
    5: ("workingDir", "string"),
    6: (
        "ports",
        (
            "rep",
            {1: ("name", "string"), 2: ("hostPort", "int"), 3: ("containerPort", "int"), 4: ("protocol", "string")},
        ),
    ),
    7: ("env", ("rep", {1: ("name", "string"), 2: ("value", "string")})),
    8: ("resources", {1: ("limits", "map_ss"), 2: ("requests", "map_ss")}),
    9: (
        "volumeMounts",
        (
            "rep",
            {
                1: ("name", "string"),
                2: ("readOnly", "bool"),
                3: ("mountPath", "string"),
                4: ("subPath", "string"),
                5: ("mountPropagation", "string"),
                6: ("subPathExpr", "string"),
            },
        ),
    ),
    13: ("terminationMessagePath", "string"),
    14: ("imagePullPolicy", "string"),
    15: ("securityContext", _SECURITY_CONTEXT),
    16: ("stdin", "bool"),
    17: ("stdinOnce", "bool"),
    18: ("tty", "bool"),
    20: ("terminationMessagePolicy", "string"),
    24: ("restartPolicy", "string"),
}
_TOLERATION: Schema = {
    1: ("key", "string"),
    2: ("operator", "string"),
    3: ("value", "string"),
    4: ("effect", "string"),
    5: ("tolerationSeconds", "int"),
}
_POD_SPEC: Schema = {
    1: ("volumes", ("rep", _VOLUME)),
    2: ("containers", ("rep", _CONTAINER)),
    3: ("restartPolicy", "string"),
    4: ("terminationGracePeriodSeconds", "int"),
    5: ("activeDeadlineSeconds", "int"),
    6: ("dnsPolicy", "string"),
    7: ("nodeSelector", "map_ss"),
    8: ("serviceAccountName", "string"),
    9: ("serviceAccount", "string"),
    10: ("nodeName", "string"),
    11: ("hostNetwork", "bool"),
    12: ("hostPID", "bool"),
    13: ("hostIPC", "bool"),
    14: ("securityContext", {}),
    15: ("imagePullSecrets", ("rep", _LOCAL_REF)),
    16: ("hostname", "string"),
    17: ("subdomain", "string"),
    19: ("schedulerName", "string"),
    20: ("initContainers", ("rep", _CONTAINER)),
    21: ("automountServiceAccountToken", "bool"),
    22: ("tolerations", ("rep", _TOLERATION)),
    24: ("priorityClassName", "string"),
    25: ("priority", "int"),
    27: ("shareProcessNamespace", "bool"),
    30: ("enableServiceLinks", "bool"),
    31: ("preemptionPolicy", "string"),
}
_POD_TEMPLATE: Schema = {1: ("metadata", _OBJECT_META), 2: ("spec", _POD_SPEC)}
_DELETE_OPTIONS: Schema = {
    1: ("gracePeriodSeconds", "int"),
    2: ("preconditions", {1: ("uid", "string"), 2: ("resourceVersion", "string")}),
    3: ("orphanDependents", "bool"),
    4: ("propagationPolicy", "string"),
    5: ("dryRun", "rep_string"),
}
SCHEMAS: dict[tuple[str, str], Schema] = {
    ("policy/v1", "Eviction"): {1: ("metadata", _OBJECT_META), 2: ("deleteOptions", _DELETE_OPTIONS)},
    ("v1", "Pod"): {1: ("metadata", _OBJECT_META), 2: ("spec", _POD_SPEC), 3: ("status", "ignore")},
    ("apps/v1", "Deployment"): {
        1: ("metadata", _OBJECT_META),
        2: (
            "spec",
            {
                1: ("replicas", "int"),
                2: ("selector", _LABEL_SELECTOR),
                3: ("template", _POD_TEMPLATE),
                4: ("strategy", {1: ("type", "string")}),
                5: ("minReadySeconds", "int"),
                6: ("revisionHistoryLimit", "int"),
                7: ("paused", "bool"),
                9: ("progressDeadlineSeconds", "int"),
            },
        ),
        3: ("status", "ignore"),
    },
    ("v1", "Namespace"): {
        1: ("metadata", _OBJECT_META),
        2: ("spec", {1: ("finalizers", "rep_string")}),
        3: ("status", {1: ("phase", "string")}),
    },
    ("v1", "ConfigMap"): {
        1: ("metadata", _OBJECT_META),
        2: ("data", "map_ss"),
        3: ("binaryData", "map_sb"),
        4: ("immutable", "bool"),
    },
    ("v1", "Secret"): {
        1: ("metadata", _OBJECT_META),
        2: ("data", "map_sb"),
        3: ("type", "string"),
        4: ("stringData", "map_ss"),
        5: ("immutable", "bool"),
    },
    ("v1", "ServiceAccount"): {
        1: ("metadata", _OBJECT_META),
        2: ("secrets", ("rep", _OBJECT_REF)),
        3: ("imagePullSecrets", ("rep", _LOCAL_REF)),
        4: ("automountServiceAccountToken", "bool"),
    },
}


class UnsupportedKind(ValueError):
    """The envelope holds a kind kubesim cannot decode."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            out.append((number, buf[pos : pos + length]))
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def _is_zero(raw: int | bytes) -> bool:
    """Whether a field holds Go's zero value (nested messages of zeros included)."""
    if isinstance(raw, int):
        return raw == 0
    if not raw:
        return True
    try:
        return all(_is_zero(v) for _, v in _fields(raw))
    except (ValueError, IndexError):
        return False


def _message(buf: bytes, schema: Schema, where: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, raw in _fields(buf):
        if number not in schema:
            # Silently dropping a field the client set would store a different object than was sent.
            if not _is_zero(raw):
                raise UnsupportedKind(f"field number {number} of {where or 'the object'} is not supported")
            continue
        name, kind = schema[number]
        if kind == "ignore":
            continue
        # Go's protobuf encoder writes zero values of non-pointer fields; JSON would omit them, and
        # defaulting must see them as unset, so they are dropped (pointer fields like replicas excepted).
        if kind == "string" and isinstance(raw, bytes):
            if raw:
                out[name] = raw.decode()
        elif kind in ("int", "bool") and isinstance(raw, int):
            if raw or name in _POINTER_FIELDS:
                out[name] = bool(raw) if kind == "bool" else raw
        elif kind == "rep_string" and isinstance(raw, bytes):
            out.setdefault(name, []).append(raw.decode())
        elif kind in ("map_ss", "map_sb") and isinstance(raw, bytes):
            entry = dict(_fields(raw))
            key, value = entry.get(1, b""), entry.get(2, b"")
            if not isinstance(key, bytes) or not isinstance(value, bytes):
                raise ValueError(f"malformed map entry in field {name}")
            text = base64.b64encode(value).decode() if kind == "map_sb" else value.decode()
            out.setdefault(name, {})[key.decode()] = text
        elif isinstance(kind, tuple) and kind[0] == "inline" and isinstance(raw, bytes):
            # Embedded Go structs (VolumeSource, LocalObjectReference) are flattened into the parent in JSON.
            out.update(_message(raw, kind[1], where))
        elif isinstance(kind, tuple) and isinstance(raw, bytes):
            out.setdefault(name, []).append(_message(raw, kind[1], f"{where}.{name}[]"))
        elif isinstance(kind, dict) and isinstance(raw, bytes):
            out[name] = _message(raw, kind, f"{where}.{name}")
    return out


def decode(body: bytes) -> dict[str, Any]:
    """Decode a `k8s\\0`-prefixed runtime.Unknown envelope into a JSON-shaped object."""
    if not body.startswith(MAGIC):
        raise ValueError("missing protobuf magic prefix")
    envelope = dict(_fields(body[len(MAGIC) :]))
    type_meta = envelope.get(1, b"")
    raw = envelope.get(2, b"")
    if not isinstance(type_meta, bytes) or not isinstance(raw, bytes):
        raise ValueError("malformed protobuf envelope")
    tm = _message(type_meta, {1: ("apiVersion", "string"), 2: ("kind", "string")})
    key = (tm.get("apiVersion", ""), tm.get("kind", ""))
    schema = SCHEMAS.get(key)
    if schema is None:
        raise UnsupportedKind(f"{key[0]}/{key[1]}")
    obj = _message(raw, schema, f"{key[0]}/{key[1]}")
    obj["apiVersion"], obj["kind"] = key
    return obj
