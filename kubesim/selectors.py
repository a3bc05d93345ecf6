"""Label and field selectors: the string syntax of list calls and the structured forms in specs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kubesim.errors import bad_request

LabelPredicate = Callable[[Mapping[str, str]], bool]

_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[^\s!=(),]+)")


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise bad_request(f"unable to parse requirement: invalid label selector: {text!r}")
        tokens.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def parse_label_selector(text: str | None) -> LabelPredicate:
    """Compile a `labelSelector` query string into a predicate over labels."""
    if not text or not text.strip():
        return _match_all
    tokens = _tokenize(text)
    reqs: list[tuple[str, str, frozenset[str]]] = []  # (operator, key, values)
    i = 0

    def fail() -> Exception:
        return bad_request(f'unable to parse requirement: found unexpected token in label selector "{text}"')

    while i < len(tokens):
        if tokens[i] == "!":
            if i + 1 >= len(tokens):
                raise fail()
            reqs.append(("!", tokens[i + 1], frozenset()))
            i += 2
        else:
            key = tokens[i]
            i += 1
            op = tokens[i] if i < len(tokens) else ","
            if op == ",":
                reqs.append(("exists", key, frozenset()))
            elif op in ("=", "==", "!="):
                if i + 1 >= len(tokens) or tokens[i + 1] in (",", "(", ")"):
                    value = ""
                    i += 1
                else:
                    value = tokens[i + 1]
                    i += 2
                reqs.append(("!=" if op == "!=" else "=", key, frozenset([value])))
            elif op in ("in", "notin"):
                if i + 1 >= len(tokens) or tokens[i + 1] != "(":
                    raise fail()
                j = i + 2
                values: set[str] = set()
                while j < len(tokens) and tokens[j] != ")":
                    if tokens[j] != ",":
                        values.add(tokens[j])
                    j += 1
                if j >= len(tokens):
                    raise fail()
                i = j + 1
                reqs.append((op, key, frozenset(values)))
            else:
                raise fail()
        if i < len(tokens):
            if tokens[i] != ",":
                raise fail()
            i += 1

    def pred(labels: Mapping[str, str]) -> bool:
        for op, key, values in reqs:
            actual = labels.get(key)
            if op == "!":
                ok = actual is None
            elif op == "exists":
                ok = actual is not None
            elif op in ("=", "in"):
                ok = actual is not None and actual in values
            else:
                # != and notin also match objects without the label, as in Kubernetes.
                ok = actual is None or actual not in values
            if not ok:
                return False
        return True

    return pred


def _match_all(_labels: Mapping[str, str]) -> bool:
    return True


def match_label_selector(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Evaluate a structured LabelSelector (matchLabels + matchExpressions); empty matches all."""
    if not selector:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        if not _match_expression(expr, labels.get(expr.get("key", ""))):
            return False
    return True


def _match_expression(expr: Mapping[str, Any], actual: str | None) -> bool:
    op = expr.get("operator")
    values = [str(v) for v in expr.get("values") or []]
    if op == "In":
        return actual is not None and actual in values
    if op == "NotIn":
        return actual is None or actual not in values
    if op == "Exists":
        return actual is not None
    if op == "DoesNotExist":
        return actual is None
    if op in ("Gt", "Lt"):
        if actual is None or len(values) != 1:
            return False
        try:
            a, b = int(actual), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def match_node_selector_requirement(expr: Mapping[str, Any], actual: str | None) -> bool:
    """Evaluate one NodeSelectorRequirement (In, NotIn, Exists, DoesNotExist, Gt, Lt)."""
    return _match_expression(expr, actual)


_COMMON_FIELDS = {"metadata.name", "metadata.namespace"}
_FIELDS: dict[str, set[str]] = {
    "/pods": {
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    },
    "/events": {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    },
    "/secrets": {"type"},
    "/nodes": {"spec.unschedulable"},
    "/namespaces": {"status.phase"},
    "apps/replicasets": {"status.replicas"},
}


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """String value of a dotted field path, as field selectors compare it."""
    if path == "source":
        return str((obj.get("source") or {}).get("component", ""))
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def parse_field_selector(
    text: str | None, resource_key: str, selectable: Iterable[str] = ()
) -> Callable[[Mapping[str, Any]], bool]:
    """Compile a `fieldSelector` query string, rejecting fields the apiserver would reject.

    `selectable`: the `selectableFields` a CRD declares for a custom resource.
    """
    if not text or not text.strip():
        return _match_everything
    allowed = _COMMON_FIELDS | _FIELDS.get(resource_key, set()) | set(selectable)
    reqs: list[tuple[str, bool, str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([^!=]+?)\s*(!=|==|=)\s*(.*)$", part)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        key, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if key not in allowed:
            raise bad_request(f"field label not supported: {key}")
        reqs.append((key, op != "!=", value))

    def pred(obj: Mapping[str, Any]) -> bool:
        return all((field_value(obj, k) == v) == eq for k, eq, v in reqs)

    return pred


def _match_everything(_obj: Mapping[str, Any]) -> bool:
    return True
