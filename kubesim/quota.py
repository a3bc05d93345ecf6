"""ResourceQuota admission (pod count, cpu/memory requests and limits, object counts) and usage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kubesim import errors
from kubesim.quantity import format_quantity, parse_quantity
from kubesim.resources import ResourceType
from kubesim.store import Obj, Store

_COUNTED = {
    "/pods": "pods",
    "/services": "services",
    "/configmaps": "configmaps",
    "/secrets": "secrets",
    "/persistentvolumeclaims": "persistentvolumeclaims",
    "/resourcequotas": "resourcequotas",
}
_ALIASES = {"cpu": "requests.cpu", "memory": "requests.memory"}


def _pod_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_usage(pod: Obj) -> dict[str, Decimal]:
    """Compute resources a pod charges against a quota (sum over regular containers)."""
    out: dict[str, Decimal] = {}
    for c in (pod.get("spec") or {}).get("containers") or []:
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for r, v in (res.get(kind) or {}).items():
                if r in ("cpu", "memory"):
                    key = f"{kind}.{r}"
                    out[key] = out.get(key, Decimal(0)) + parse_quantity(v)
    # A limit without a request defaults the request to the limit.
    for r in ("cpu", "memory"):
        if f"limits.{r}" in out and f"requests.{r}" not in out:
            out[f"requests.{r}"] = out[f"limits.{r}"]
    return out


def usage(store: Store, namespace: str, resources: set[str]) -> dict[str, Decimal]:
    """Current usage in a namespace of the given quota resource names."""
    out: dict[str, Decimal] = {}
    for key, name in _COUNTED.items():
        for res in (name, f"count/{name}"):
            if res in resources:
                items = store.list(key, namespace)
                if key == "/pods":
                    items = [p for p in items if not _pod_terminal(p)]
                out[res] = Decimal(len(items))
    compute = {r for r in resources if r.split(".")[-1] in ("cpu", "memory")}
    if compute:
        totals: dict[str, Decimal] = {}
        for pod in store.list("/pods", namespace):
            if _pod_terminal(pod):
                continue
            for k, v in pod_usage(pod).items():
                totals[k] = totals.get(k, Decimal(0)) + v
        for r in compute:
            out[r] = totals.get(_ALIASES.get(r, r), Decimal(0))
    return out


class QuotaAdmission:
    """Admission hook: reject creates that would exceed a ResourceQuota, as the apiserver does."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, rt: ResourceType, op: str, obj: Obj, old: Obj | None) -> None:
        """Check a CREATE of a quota-tracked object against every quota in its namespace."""
        if op != "CREATE" or rt.key not in _COUNTED:
            return
        namespace = obj["metadata"].get("namespace", "")
        quotas = self.store.list("/resourcequotas", namespace)
        if not quotas:
            return
        name = obj["metadata"].get("name", "")
        count_name = _COUNTED[rt.key]
        requested: dict[str, Decimal] = {count_name: Decimal(1), f"count/{count_name}": Decimal(1)}
        if rt.key == "/pods":
            requested.update(pod_usage(obj))
        for q in sorted(quotas, key=lambda q: q["metadata"]["name"]):
            hard: dict[str, Any] = (q.get("spec") or {}).get("hard") or {}
            self._require_specified(rt, name, q, hard, obj)
            relevant = {r for r in hard if requested.get(_ALIASES.get(r, r), Decimal(0)) > 0}
            if not relevant:
                continue
            used = usage(self.store, namespace, relevant)
            exceeded = sorted(
                r for r in relevant if used.get(r, Decimal(0)) + requested[_ALIASES.get(r, r)] > parse_quantity(hard[r])
            )
            if exceeded:
                qname = q["metadata"]["name"]

                def fmt(values: dict[str, Decimal], names: list[str], alias: bool) -> str:
                    return ",".join(
                        f"{r}={format_quantity(values[_ALIASES.get(r, r) if alias else r], r)}" for r in names
                    )

                limited = {r: parse_quantity(hard[r]) for r in exceeded}
                raise errors.forbidden(
                    rt.group,
                    rt.plural,
                    name,
                    f"exceeded quota: {qname}, requested: {fmt(requested, exceeded, True)}, "
                    f"used: {fmt(used, exceeded, False)}, limited: {fmt(limited, exceeded, False)}",
                )

    def _require_specified(self, rt: ResourceType, name: str, q: Obj, hard: dict[str, Any], pod: Obj) -> None:
        if rt.key != "/pods":
            return
        missing: list[str] = []
        for r in sorted(hard):
            canonical = _ALIASES.get(r, r)
            if not canonical.startswith(("requests.", "limits.")):
                continue
            kind, res = canonical.split(".", 1)
            if res not in ("cpu", "memory"):
                continue
            for c in (pod.get("spec") or {}).get("containers") or []:
                resources = c.get("resources") or {}
                has = res in (resources.get(kind) or {}) or (
                    kind == "requests" and res in (resources.get("limits") or {})
                )
                if not has:
                    missing.append(f"{canonical} for: {c.get('name')}")
        if missing:
            raise errors.forbidden(
                rt.group,
                rt.plural,
                name,
                f"failed quota: {q['metadata']['name']}: must specify {'; '.join(missing)}",
            )
