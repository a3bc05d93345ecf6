"""Simulated control plane: namespace lifecycle, GC, Deployment/ReplicaSet/DaemonSet, scheduler, kubelet."""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubesim import quota
from kubesim.crds import CRD_KEY
from kubesim.errors import ApiError
from kubesim.quantity import format_quantity
from kubesim.rest import Api, DeleteOptions, now_iso, random_suffix
from kubesim.scheduling import can_run, unschedulable_message
from kubesim.selectors import match_label_selector
from kubesim.store import Event, Obj

DEFAULT_BAD_IMAGE_PATTERN = r"(does-not-exist|nonexistent|invalid-image|bad-image)"
_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_DS_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]
# Changes to these resources never need a reconcile pass unless they are deletions.
_QUIET_KEYS = {"/events", "/configmaps", "/secrets", "/serviceaccounts", "/services"}


@dataclass
class ClusterConfig:
    """Knobs of the simulated cluster behaviour."""

    pod_ready_delay: float = 0.2
    bad_image_pattern: str = DEFAULT_BAD_IMAGE_PATTERN


def template_hash(template: Any) -> str:
    """Stable pod-template-hash for a pod template."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(_HASH_ALPHABET[b % len(_HASH_ALPHABET)] for b in digest[:10])


def _controller_uid(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def _owner_ref(owner: Obj) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _condition(obj: Obj, ctype: str) -> Obj | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return dict(c)
    return None


def pod_ready(pod: Obj) -> bool:
    """Whether the pod's Ready condition is True."""
    c = _condition(pod, "Ready")
    return bool(c and c.get("status") == "True")


def _set_condition(status: Obj, ctype: str, value: str, reason: str = "", message: str = "") -> None:
    conds: list[Obj] = status.setdefault("conditions", [])
    for c in conds:
        if c["type"] == ctype:
            if c.get("status") != value:
                c["lastTransitionTime"] = now_iso()
            c["status"] = value
            _reason_message(c, reason, message)
            return
    c = {"type": ctype, "status": value, "lastProbeTime": None, "lastTransitionTime": now_iso()}
    _reason_message(c, reason, message)
    conds.append(c)


def _reason_message(c: Obj, reason: str, message: str) -> None:
    for k, v in (("reason", reason), ("message", message)):
        if v:
            c[k] = v
        else:
            c.pop(k, None)


class Controllers:
    """Runs reconcile passes on a background thread whenever the store changes or a timer is due."""

    def __init__(self, api: Api, config: ClusterConfig) -> None:
        self.api = api
        self.config = config
        self.reg = api.registry
        self._bad_image = re.compile(config.bad_image_pattern)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._gc_needed = True
        self._deadlines: dict[str, float] = {}
        self._owners: dict[str, dict[tuple[str, str], dict[str, Obj]]] = {}
        """Per resource key: its objects by (namespace, controller uid), then by name; built from the store on
        first use, then kept current from the store's events (rebuilding it after every write made each
        pass cost the square of the number of objects)."""
        self._first_seen: dict[str, float] = {}
        self._ip_next: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._orphaned_custom: set[str] = set()
        self._settled: dict[str, dict[str, tuple[Any, ...]]] = {"deployment": {}, "replicaset": {}}
        """Per controller, per object uid: the inputs (the object's resourceVersion and those of the objects
        it owns) of its last reconcile that wrote nothing at all. While they are unchanged the reconcile is
        skipped: it is a function of exactly those inputs, so it would write nothing again. Every pass used
        to redo every object, which made a busy cluster's controller CPU grow with the square of its size."""
        self._unsettled = False
        """Set by a reconcile that gave up on an error: such an outcome is not settled (it may work later)."""
        api.store.add_listener(self._on_event)

    def _on_event(self, ev: Event) -> None:
        index = self._owners.get(ev.key)
        if index is not None:
            if ev.old is not None:
                self._unindex(index, ev.old)
            if ev.type != "DELETED":
                self._index(index, ev.obj)
        if ev.type == "DELETED":
            for memo in self._settled.values():
                memo.pop(ev.obj["metadata"].get("uid", ""), None)
        if ev.key == CRD_KEY:
            self._register_crd(ev)
        if ev.type == "DELETED" or ev.obj["metadata"].get("deletionTimestamp"):
            self._gc_needed = True
        elif ev.key in _QUIET_KEYS:
            return
        self._wake.set()

    def _register_crd(self, ev: Event) -> None:
        """Note the resources of a deleted CRD, whose objects the next pass removes (crds.py stops serving
        them); a CRD created again before that pass keeps its new objects."""
        spec = ev.obj.get("spec") or {}
        key = f"{spec.get('group', '')}/{(spec.get('names') or {}).get('plural', '')}"
        if ev.type == "DELETED" or ev.obj["metadata"].get("deletionTimestamp"):
            self._orphaned_custom.add(key)
        else:
            self._orphaned_custom.discard(key)

    def start(self) -> None:
        """Start the background loop."""
        self.reconcile()
        self._thread = threading.Thread(target=self._loop, name="kubesim-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background loop and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            timeout = 1.0
            if self._deadlines:
                timeout = max(0.0, min(min(self._deadlines.values()) - time.monotonic(), 1.0))
            self._wake.wait(timeout)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.reconcile()
            except Exception:
                # A failed pass is retried on the next change; the loop itself must never die.
                traceback.print_exc()

    # -------------------------------------------------------------- passes

    def reconcile(self) -> None:
        """One pass over everything; idempotent, so it may run any number of times."""
        with self.api.store.lock:
            self._crds()
            self._namespaces()
            if self._gc_needed:
                self._gc_needed = False
                self._garbage_collect()
            self._deployments()
            self._replicasets()
            self._daemonsets()
            self._schedule()
            self._kubelet()
            self._quotas()
            self._disruption_budgets()

    def _rt(self, key: str) -> Any:
        return self.reg.by_key(key)

    def event(self, obj: Obj, etype: str, reason: str, message: str, component: str) -> None:
        """Record a core/v1 Event about `obj`."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        ts = now_iso()
        ev: Obj = {
            "metadata": {
                "name": f"{meta['name']}.{random_suffix(8)}{random_suffix(8)}",
                "namespace": namespace,
            },
            "involvedObject": {
                "kind": obj.get("kind"),
                "namespace": meta.get("namespace", ""),
                "name": meta["name"],
                "uid": meta.get("uid"),
                "apiVersion": obj.get("apiVersion"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "firstTimestamp": ts,
            "lastTimestamp": ts,
            "count": 1,
            "type": etype,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": "",
        }
        if not meta.get("namespace"):
            del ev["involvedObject"]["namespace"]
        with contextlib.suppress(ApiError):
            self.api.create(self._rt("/events"), namespace, ev)

    def _crds(self) -> None:
        for key in list(self._orphaned_custom):
            self._orphaned_custom.discard(key)
            for obj in self.api.store.list(key):
                self.api.store.remove(key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        crd_rt = self._rt(CRD_KEY)
        for crd in self.api.store.list(CRD_KEY):
            m = crd["metadata"]
            if m.get("deletionTimestamp") or _condition(crd, "Established"):
                continue
            names = dict((crd.get("spec") or {}).get("names") or {})
            names.setdefault("singular", str(names.get("kind", "")).lower())
            names.setdefault("listKind", f"{names.get('kind', '')}List")
            ts = now_iso()
            status = {
                "acceptedNames": names,
                "conditions": [
                    {
                        "type": "NamesAccepted",
                        "status": "True",
                        "reason": "NoConflicts",
                        "message": "no conflicts found",
                        "lastTransitionTime": ts,
                    },
                    {
                        "type": "Established",
                        "status": "True",
                        "reason": "InitialNamesAccepted",
                        "message": "the initial names have been accepted",
                        "lastTransitionTime": ts,
                    },
                ],
                "storedVersions": [
                    v["name"] for v in (crd.get("spec") or {}).get("versions") or [] if v.get("storage")
                ],
            }
            self.api.mutate(crd_rt, "", m["name"], functools.partial(_set_status, status=status))

    def _namespaces(self) -> None:
        ns_rt = self._rt("/namespaces")
        for ns in self.api.store.list("/namespaces"):
            name = ns["metadata"]["name"]
            if ns["metadata"].get("deletionTimestamp"):
                remaining = 0
                for rt in self.reg.types:
                    if not rt.namespaced:
                        continue
                    for obj in self.api.store.list(rt.key, name):
                        remaining += 1
                        if not obj["metadata"].get("deletionTimestamp"):
                            with contextlib.suppress(ApiError):
                                self.api.delete(rt, name, obj["metadata"]["name"], DeleteOptions("Background"))
                        elif rt.key == "/pods":
                            self._finalize_now(rt, obj)
                if remaining and any(self.api.store.list(rt.key, name) for rt in self.reg.types if rt.namespaced):
                    continue

                def drop_finalizer(o: Obj) -> None:
                    o["spec"]["finalizers"] = [f for f in o["spec"].get("finalizers") or [] if f != "kubernetes"]

                updated = self.api.mutate(ns_rt, "", name, drop_finalizer)
                if updated is not None and not updated["metadata"].get("finalizers"):
                    self.api.store.remove("/namespaces", "", name)
            elif self.api.store.get("/serviceaccounts", name, "default") is None:
                with contextlib.suppress(ApiError):
                    self.api.create(self._rt("/serviceaccounts"), name, {"metadata": {"name": "default"}})

    def _finalize_now(self, rt: Any, obj: Obj) -> None:
        m = obj["metadata"]
        self.api.store.remove(rt.key, m.get("namespace", ""), m["name"])

    def _garbage_collect(self) -> None:
        # One pass over every object (events included: they are most of the store) to index uids and
        # pick out the few that matter below: dependents, and objects being deleted with GC finalizers.
        by_uid: dict[str, Obj] = {}
        owned: list[tuple[Any, Obj]] = []
        finalizing: list[tuple[Any, Obj]] = []
        for rt in self.reg.types:
            if self.reg.by_key(rt.key) is not rt:
                continue
            for obj in self.api.store.list(rt.key):
                m = obj["metadata"]
                by_uid[m["uid"]] = obj
                if m.get("ownerReferences"):
                    owned.append((rt, obj))
                if m.get("deletionTimestamp") and m.get("finalizers"):
                    finalizing.append((rt, obj))
        dependents: dict[str, list[tuple[Any, Obj]]] = {}
        for rt, obj in owned:
            for ref in obj["metadata"]["ownerReferences"]:
                dependents.setdefault(str(ref.get("uid")), []).append((rt, obj))
        for rt, obj in owned:
            refs = obj["metadata"]["ownerReferences"]
            m = obj["metadata"]
            owners = [by_uid.get(str(r.get("uid"))) for r in refs]
            orphaning = [o for o in owners if o is not None and "orphan" in (o["metadata"].get("finalizers") or [])]
            if orphaning:
                gone = {o["metadata"]["uid"] for o in orphaning}

                def drop_refs(o: Obj, gone: set[str] = gone) -> None:
                    o["metadata"]["ownerReferences"] = [
                        r for r in o["metadata"].get("ownerReferences") or [] if r.get("uid") not in gone
                    ]
                    if not o["metadata"]["ownerReferences"]:
                        del o["metadata"]["ownerReferences"]

                self.api.mutate(rt, m.get("namespace", ""), m["name"], drop_refs)
                continue
            if m.get("deletionTimestamp"):
                continue
            live = [o for o in owners if o is not None]
            foreground = [o for o in live if "foregroundDeletion" in (o["metadata"].get("finalizers") or [])]
            if not live or foreground:
                policy = "Foreground" if foreground else "Background"
                with contextlib.suppress(ApiError):
                    self.api.delete(rt, m.get("namespace", ""), m["name"], DeleteOptions(policy))
        for rt, obj in finalizing:
            m = obj["metadata"]
            fins = m["finalizers"]
            if not ({"foregroundDeletion", "orphan"} & set(fins)):
                continue
            if "foregroundDeletion" in fins:
                still = [
                    d
                    for drt, d in dependents.get(m["uid"], [])
                    if self.api.store.get(drt.key, d["metadata"].get("namespace", ""), d["metadata"]["name"])
                ]
                if still:
                    self._gc_needed = True
                    continue

            def drop_gc_finalizers(o: Obj) -> None:
                o["metadata"]["finalizers"] = [
                    f for f in o["metadata"].get("finalizers") or [] if f not in ("foregroundDeletion", "orphan")
                ]
                if not o["metadata"]["finalizers"]:
                    del o["metadata"]["finalizers"]

            self.api.mutate(rt, m.get("namespace", ""), m["name"], drop_gc_finalizers)
            self._gc_needed = True

    def _owned(self, key: str, namespace: str, owner_uid: str) -> list[Obj]:
        """The objects of `key` in `namespace` whose controller is `owner_uid`, by name."""
        index = self._owners.get(key)
        if index is None:
            index = self._owners[key] = {}
            for o in self.api.store.list(key):
                self._index(index, o)
        found = index.get((namespace, owner_uid), {})
        return [found[name] for name in sorted(found)]

    @staticmethod
    def _index(index: dict[tuple[str, str], dict[str, Obj]], obj: Obj) -> None:
        uid = _controller_uid(obj)
        if uid is not None:
            m = obj["metadata"]
            index.setdefault((m.get("namespace", ""), uid), {})[m["name"]] = obj

    @staticmethod
    def _unindex(index: dict[tuple[str, str], dict[str, Obj]], obj: Obj) -> None:
        uid = _controller_uid(obj)
        if uid is not None:
            m = obj["metadata"]
            bucket = index.get((m.get("namespace", ""), uid))
            if bucket is not None:
                bucket.pop(m["name"], None)
                if not bucket:
                    del index[(m.get("namespace", ""), uid)]

    def _settle(self, controller: str, obj: Obj, owned_key: str, reconcile: Callable[[Obj], None]) -> None:
        """Reconcile `obj` unless its inputs are those of a reconcile that wrote nothing (see `_settled`)."""
        m = obj["metadata"]
        owned = self._owned(owned_key, m["namespace"], m["uid"])
        inputs = (m["resourceVersion"], *((o["metadata"]["uid"], o["metadata"]["resourceVersion"]) for o in owned))
        memo = self._settled[controller]
        if memo.get(m["uid"]) == inputs:
            return
        before, self._unsettled = self.api.store.resource_version, False
        reconcile(obj)
        if self.api.store.resource_version == before and not self._unsettled:
            memo[m["uid"]] = inputs
        else:
            memo.pop(m["uid"], None)

    def _deployments(self) -> None:
        for d in self.api.store.list("apps/deployments"):
            if not d["metadata"].get("deletionTimestamp"):
                self._settle("deployment", d, "apps/replicasets", self._deployment)

    def _deployment(self, d: Obj) -> None:
        rs_rt = self._rt("apps/replicasets")
        d_rt = self._rt("apps/deployments")
        m = d["metadata"]
        ns = m["namespace"]
        spec = d["spec"]
        tmpl = spec.get("template") or {}
        h = template_hash(tmpl)
        owned = self._owned("apps/replicasets", ns, m["uid"])
        current = next(
            (rs for rs in owned if (rs["metadata"].get("labels") or {}).get("pod-template-hash") == h),
            None,
        )
        revision = 1 + max(
            [int((rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", 0)) for rs in owned]
            or [0]
        )
        replicas = int(spec.get("replicas", 1))
        if current is None:
            new_tmpl = copy.deepcopy(tmpl)
            new_tmpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
            selector = copy.deepcopy(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = h
            rs_body = {
                "metadata": {
                    "name": f"{m['name']}-{h}",
                    "namespace": ns,
                    "labels": dict(new_tmpl["metadata"]["labels"]),
                    "annotations": {
                        "deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                        "deployment.kubernetes.io/revision": str(revision),
                    },
                    "ownerReferences": [_owner_ref(d)],
                },
                "spec": {"replicas": replicas, "selector": selector, "template": new_tmpl},
            }
            try:
                current = self.api.create(rs_rt, ns, rs_body)
                self.event(
                    d,
                    "Normal",
                    "ScalingReplicaSet",
                    f"Scaled up replica set {current['metadata']['name']} from 0 to {replicas}",
                    "deployment-controller",
                )
            except ApiError:
                self._unsettled = True  # tried again on the next pass
                return
        elif current["spec"].get("replicas") != replicas:
            before = current["spec"].get("replicas")

            def scale(o: Obj, n: int = replicas) -> None:
                o["spec"]["replicas"] = n
                o["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/desired-replicas"] = str(n)

            current = self.api.mutate(rs_rt, ns, current["metadata"]["name"], scale) or current
            direction = "up" if replicas > (before or 0) else "down"
            self.event(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {current['metadata']['name']} from {before} to {replicas}",
                "deployment-controller",
            )
        for rs in owned:
            if rs["metadata"]["uid"] != current["metadata"]["uid"] and rs["spec"].get("replicas"):
                self.api.mutate(rs_rt, ns, rs["metadata"]["name"], lambda o: o["spec"].update(replicas=0))
                self.event(
                    d,
                    "Normal",
                    "ScalingReplicaSet",
                    f"Scaled down replica set {rs['metadata']['name']} from {rs['spec']['replicas']} to 0",
                    "deployment-controller",
                )
        owned = self._owned("apps/replicasets", ns, m["uid"])
        total = sum(int((rs.get("status") or {}).get("replicas", 0)) for rs in owned)
        ready = sum(int((rs.get("status") or {}).get("readyReplicas", 0)) for rs in owned)
        cur_status = next(
            (rs.get("status") or {} for rs in owned if rs["metadata"]["uid"] == current["metadata"]["uid"]),
            {},
        )
        updated = int(cur_status.get("replicas", 0))
        rev = (current["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "1")

        def status(o: Obj) -> None:
            st = o.setdefault("status", {})
            st["observedGeneration"] = o["metadata"].get("generation", 1)
            st["replicas"] = total
            st["updatedReplicas"] = updated
            st["readyReplicas"] = ready
            st["availableReplicas"] = ready
            if total - ready > 0:
                st["unavailableReplicas"] = total - ready
            else:
                st.pop("unavailableReplicas", None)
            for k in ("readyReplicas", "availableReplicas", "updatedReplicas", "replicas"):
                if not st[k]:
                    del st[k]
            complete = updated == replicas and ready >= replicas and total == replicas
            self._deploy_condition(
                st,
                "Available",
                ready >= replicas,
                "MinimumReplicasAvailable" if ready >= replicas else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if ready >= replicas
                else "Deployment does not have minimum availability.",
            )
            rs_name = current["metadata"]["name"] if current else ""
            self._deploy_condition(
                st,
                "Progressing",
                True,
                "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
                f'ReplicaSet "{rs_name}" has successfully progressed.'
                if complete
                else f'ReplicaSet "{rs_name}" is progressing.',
            )
            o["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = rev

        self.api.mutate(d_rt, ns, m["name"], status)

    @staticmethod
    def _deploy_condition(st: Obj, ctype: str, ok: bool, reason: str, message: str) -> None:
        conds: list[Obj] = st.setdefault("conditions", [])
        value = "True" if ok else "False"
        for c in conds:
            if c["type"] == ctype:
                if c["status"] != value or c.get("reason") != reason:
                    c.update(status=value, reason=reason, message=message, lastUpdateTime=now_iso())
                    c["lastTransitionTime"] = now_iso()
                return
        ts = now_iso()
        conds.append(
            {
                "type": ctype,
                "status": value,
                "lastUpdateTime": ts,
                "lastTransitionTime": ts,
                "reason": reason,
                "message": message,
            }
        )

    def _replicasets(self) -> None:
        for rs in self.api.store.list("apps/replicasets"):
            if not rs["metadata"].get("deletionTimestamp"):
                self._settle("replicaset", rs, "/pods", self._replicaset)

    def _replicaset(self, rs: Obj) -> None:
        pod_rt = self._rt("/pods")
        rs_rt = self._rt("apps/replicasets")
        m = rs["metadata"]
        ns = m["namespace"]
        want = int(rs["spec"].get("replicas", 1))
        pods = [p for p in self._owned("/pods", ns, m["uid"]) if not p["metadata"].get("deletionTimestamp")]
        tmpl = rs["spec"].get("template") or {}
        for _ in range(want - len(pods)):
            body = {
                "metadata": {
                    "generateName": f"{m['name']}-",
                    "namespace": ns,
                    "labels": dict((tmpl.get("metadata") or {}).get("labels") or {}),
                    "annotations": dict((tmpl.get("metadata") or {}).get("annotations") or {}),
                    "ownerReferences": [_owner_ref(rs)],
                },
                "spec": copy.deepcopy(tmpl.get("spec") or {}),
            }
            try:
                pod = self.api.create(pod_rt, ns, body)
                self.event(
                    rs,
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {pod['metadata']['name']}",
                    "replicaset-controller",
                )
            except ApiError as exc:
                self.event(
                    rs,
                    "Warning",
                    "FailedCreate",
                    f"Error creating: {exc.message}",
                    "replicaset-controller",
                )
                break
        if len(pods) > want:
            victims = sorted(pods, key=lambda p: (pod_ready(p), p["metadata"]["creationTimestamp"]))
            for p in victims[: len(pods) - want]:
                try:
                    self.api.delete(pod_rt, ns, p["metadata"]["name"], DeleteOptions())
                    self.event(
                        rs,
                        "Normal",
                        "SuccessfulDelete",
                        f"Deleted pod: {p['metadata']['name']}",
                        "replicaset-controller",
                    )
                except ApiError:
                    self._unsettled = True  # tried again on the next pass
        pods = [p for p in self._owned("/pods", ns, m["uid"]) if not p["metadata"].get("deletionTimestamp")]
        ready = sum(1 for p in pods if pod_ready(p))

        def status(o: Obj, n: int = len(pods), r: int = ready) -> None:
            st: Obj = {
                "replicas": n,
                "fullyLabeledReplicas": n,
                "readyReplicas": r,
                "availableReplicas": r,
                "observedGeneration": o["metadata"].get("generation", 1),
            }
            o["status"] = {k: v for k, v in st.items() if v or k == "replicas"}

        self.api.mutate(rs_rt, ns, m["name"], status)

    def _daemonsets(self) -> None:
        nodes = self.api.store.list("/nodes")
        for ds in self.api.store.list("apps/daemonsets"):
            if not ds["metadata"].get("deletionTimestamp"):
                self._daemonset(ds, nodes)

    def _daemonset(self, ds: Obj, nodes: list[Obj]) -> None:
        pod_rt = self._rt("/pods")
        ds_rt = self._rt("apps/daemonsets")
        m = ds["metadata"]
        ns = m["namespace"]
        tmpl = ds["spec"].get("template") or {}
        h = template_hash(tmpl)[:10]
        base_spec = copy.deepcopy(tmpl.get("spec") or {})
        tolerations = list(base_spec.get("tolerations") or [])
        for t in _DS_TOLERATIONS:
            if t not in tolerations:
                tolerations.append(dict(t))
        base_spec["tolerations"] = tolerations
        eligible = {n["metadata"]["name"] for n in nodes if can_run(base_spec, n)}
        pods = [p for p in self._owned("/pods", ns, m["uid"]) if not p["metadata"].get("deletionTimestamp")]
        by_node: dict[str, list[Obj]] = {}
        for p in pods:
            target = _ds_target_node(p)
            by_node.setdefault(target, []).append(p)
        for node_name, node_pods in by_node.items():
            extra = node_pods[1:] if node_name in eligible else node_pods
            stale = [p for p in node_pods if (p["metadata"].get("labels") or {}).get("controller-revision-hash") != h]
            for p in {id(p): p for p in extra + stale}.values():
                try:
                    self.api.delete(pod_rt, ns, p["metadata"]["name"], DeleteOptions())
                    self.event(
                        ds,
                        "Normal",
                        "SuccessfulDelete",
                        f"Deleted pod: {p['metadata']['name']}",
                        "daemonset-controller",
                    )
                except ApiError:
                    pass
        pods = [p for p in self._owned("/pods", ns, m["uid"]) if not p["metadata"].get("deletionTimestamp")]
        have = {_ds_target_node(p) for p in pods}
        for node_name in sorted(eligible - have):
            spec = copy.deepcopy(base_spec)
            affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
            affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
                ]
            }
            labels = dict((tmpl.get("metadata") or {}).get("labels") or {})
            labels["controller-revision-hash"] = h
            labels["pod-template-generation"] = str(m.get("generation", 1))
            body = {
                "metadata": {
                    "generateName": f"{m['name']}-",
                    "namespace": ns,
                    "labels": labels,
                    "annotations": dict((tmpl.get("metadata") or {}).get("annotations") or {}),
                    "ownerReferences": [_owner_ref(ds)],
                },
                "spec": spec,
            }
            try:
                pod = self.api.create(pod_rt, ns, body)
                self.event(
                    ds,
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {pod['metadata']['name']}",
                    "daemonset-controller",
                )
            except ApiError as exc:
                self.event(
                    ds,
                    "Warning",
                    "FailedCreate",
                    f"Error creating: {exc.message}",
                    "daemonset-controller",
                )
        pods = [p for p in self._owned("/pods", ns, m["uid"]) if not p["metadata"].get("deletionTimestamp")]
        scheduled = {p["spec"].get("nodeName") for p in pods if p["spec"].get("nodeName")}
        ready = sum(1 for p in pods if pod_ready(p))
        updated = sum(1 for p in pods if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == h)
        desired = len(eligible)

        def status(o: Obj) -> None:
            st: Obj = {
                "currentNumberScheduled": len(scheduled & eligible),
                "desiredNumberScheduled": desired,
                "numberMisscheduled": len(scheduled - eligible),
                "numberReady": ready,
                "numberAvailable": ready,
                "updatedNumberScheduled": updated,
                "observedGeneration": o["metadata"].get("generation", 1),
            }
            if desired - ready > 0:
                st["numberUnavailable"] = desired - ready
            if not ready:
                del st["numberAvailable"]
            o["status"] = st

        self.api.mutate(ds_rt, ns, m["name"], status)

    def _schedule(self) -> None:
        pod_rt = self._rt("/pods")
        nodes = self.api.store.list("/nodes")
        load: dict[str, int] = {n["metadata"]["name"]: 0 for n in nodes}
        pending: list[Obj] = []
        for p in self.api.store.list("/pods"):
            node = p["spec"].get("nodeName")
            if node:
                load[node] = load.get(node, 0) + 1
            elif not p["metadata"].get("deletionTimestamp"):
                pending.append(p)
        for p in pending:
            m = p["metadata"]
            candidates = [n for n in nodes if can_run(p["spec"], n)]
            if candidates:
                target = min(candidates, key=lambda n: (load[n["metadata"]["name"]], n["metadata"]["name"]))
                tname = target["metadata"]["name"]
                load[tname] += 1

                def bind(o: Obj, node: str = tname) -> None:
                    o["spec"]["nodeName"] = node
                    _set_condition(o.setdefault("status", {}), "PodScheduled", "True")

                bound = self.api.mutate(pod_rt, m["namespace"], m["name"], bind)
                if bound is not None:
                    self.event(
                        bound,
                        "Normal",
                        "Scheduled",
                        f"Successfully assigned {m['namespace']}/{m['name']} to {tname}",
                        "default-scheduler",
                    )
                continue
            message = unschedulable_message(p["spec"], nodes)
            cond = _condition(p, "PodScheduled")
            if cond and cond.get("message") == message:
                continue

            def unschedulable(o: Obj, msg: str = message) -> None:
                _set_condition(o.setdefault("status", {}), "PodScheduled", "False", "Unschedulable", msg)

            updated = self.api.mutate(pod_rt, m["namespace"], m["name"], unschedulable)
            if updated is not None:
                self.event(updated, "Warning", "FailedScheduling", message, "default-scheduler")

    def _pod_ip(self, node: Obj | None) -> str:
        cidr = ((node or {}).get("spec") or {}).get("podCIDR", "10.244.0.0/24")
        prefix = cidr.rsplit(".", 1)[0]
        n = self._ip_next.get(prefix, 2)
        self._ip_next[prefix] = n + 1 if n < 254 else 2
        return f"{prefix}.{n}"

    def _kubelet(self) -> None:
        pod_rt = self._rt("/pods")
        now = time.monotonic()
        delay = self.config.pod_ready_delay
        live: set[str] = set()
        for p in self.api.store.list("/pods"):
            m = p["metadata"]
            uid = m["uid"]
            node_name = p["spec"].get("nodeName")
            if not node_name:
                continue
            live.add(uid)
            if m.get("deletionTimestamp"):
                self._terminate(p, now)
                continue
            status = p.get("status") or {}
            containers = p["spec"].get("containers") or []
            node = self.api.store.get("/nodes", "", node_name)
            seen = self._first_seen.setdefault(uid, now)
            phase = status.get("phase")
            if not status.get("startTime"):
                host_ip = _internal_ip(node)

                def accept(o: Obj, host_ip: str = host_ip, containers: list[Obj] = containers) -> None:
                    st = o.setdefault("status", {})
                    st["hostIP"] = host_ip
                    st["hostIPs"] = [{"ip": host_ip}]
                    st["startTime"] = now_iso()
                    _set_condition(st, "PodReadyToStartContainers", "False")
                    _set_condition(st, "Initialized", "True")
                    _set_condition(
                        st,
                        "Ready",
                        "False",
                        "ContainersNotReady",
                        f"containers with unready status: [{' '.join(c['name'] for c in containers)}]",
                    )
                    _set_condition(
                        st,
                        "ContainersReady",
                        "False",
                        "ContainersNotReady",
                        f"containers with unready status: [{' '.join(c['name'] for c in containers)}]",
                    )
                    _set_condition(st, "PodScheduled", "True")
                    st["containerStatuses"] = [_waiting(c, "ContainerCreating", "") for c in containers]

                self.api.mutate(pod_rt, m["namespace"], m["name"], accept)
                self._deadlines[uid] = seen + delay
                continue
            bad = [c for c in containers if self._bad_image.search(str(c.get("image", "")))]
            if phase == "Pending" and now >= seen + delay:
                if bad:
                    self._image_pull_failure(p, bad, now, seen, delay)
                else:
                    self._start(p, node)
                    self._deadlines.pop(uid, None)
            elif phase == "Pending":
                self._deadlines[uid] = seen + delay
            self._ephemeral(p)
        for uid in list(self._first_seen):
            if uid not in live:
                self._first_seen.pop(uid, None)
                self._deadlines.pop(uid, None)
        for key in [k for k in self._deadlines if k.startswith("terminating/") and k[12:] not in live]:
            self._deadlines.pop(key, None)

    def _terminate(self, p: Obj, now: float) -> None:
        """Finish a graceful deletion: containers stop after the shorter of grace and the ready delay."""
        m = p["metadata"]
        key = f"terminating/{m['uid']}"
        grace = float(m.get("deletionGracePeriodSeconds") or 0)
        due = self._deadlines.setdefault(key, now + min(grace, self.config.pod_ready_delay))
        if now < due:
            return
        self._deadlines.pop(key, None)
        if m.get("finalizers"):
            return
        self.event(p, "Normal", "Killing", f"Stopping container {p['spec']['containers'][0]['name']}", "kubelet")
        self.api.store.remove("/pods", m["namespace"], m["name"])

    def _image_pull_failure(self, p: Obj, bad: list[Obj], now: float, seen: float, delay: float) -> None:
        m = p["metadata"]
        backoff = now >= seen + 2 * delay
        reason = "ImagePullBackOff" if backoff else "ErrImagePull"
        bad_names = {c["name"] for c in bad}
        current = {
            s.get("name"): ((s.get("state") or {}).get("waiting") or {}).get("reason")
            for s in (p.get("status") or {}).get("containerStatuses") or []
        }
        if all(current.get(n) == reason for n in bad_names):
            if not backoff:
                self._deadlines[m["uid"]] = seen + 2 * delay
            else:
                self._deadlines.pop(m["uid"], None)
            return

        def fail(o: Obj) -> None:
            st = o.setdefault("status", {})
            statuses = []
            for c in o["spec"].get("containers") or []:
                if c["name"] in bad_names:
                    msg = (
                        f'Back-off pulling image "{c["image"]}"'
                        if backoff
                        else f"rpc error: code = NotFound desc = failed to pull and unpack image "
                        f'"{c["image"]}": '
                        f"not found"
                    )
                    statuses.append(_waiting(c, reason, msg))
                else:
                    statuses.append(_waiting(c, "ContainerCreating", ""))
            st["containerStatuses"] = statuses

        updated = self.api.mutate(self._rt("/pods"), m["namespace"], m["name"], fail)
        if updated is None:
            return
        for c in bad:
            if backoff:
                self.event(updated, "Normal", "BackOff", f'Back-off pulling image "{c["image"]}"', "kubelet")
            else:
                self.event(
                    updated,
                    "Warning",
                    "Failed",
                    f'Failed to pull image "{c["image"]}": rpc error: code = NotFound desc = failed to pull '
                    f'and unpack image "{c["image"]}": not found',
                    "kubelet",
                )
                self.event(updated, "Warning", "Failed", "Error: ErrImagePull", "kubelet")
        self._deadlines[m["uid"]] = seen + 2 * delay if not backoff else now + 3600

    def _start(self, p: Obj, node: Obj | None) -> None:
        m = p["metadata"]
        ip = self._pod_ip(node)

        def run(o: Obj) -> None:
            st = o.setdefault("status", {})
            st["phase"] = "Running"
            st["podIP"] = ip
            st["podIPs"] = [{"ip": ip}]
            ts = now_iso()
            st["containerStatuses"] = [
                {
                    "name": c["name"],
                    "image": c.get("image", ""),
                    "imageID": _image_id(c),
                    "containerID": _container_id(m, c),
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": ts}},
                    "lastState": {},
                }
                for c in o["spec"].get("containers") or []
            ]
            for ctype in (
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled",
            ):
                _set_condition(st, ctype, "True")

        updated = self.api.mutate(self._rt("/pods"), m["namespace"], m["name"], run)
        if updated is None:
            return
        for c in p["spec"].get("containers") or []:
            self.event(
                updated,
                "Normal",
                "Pulled",
                f'Container image "{c.get("image")}" already present on machine',
                "kubelet",
            )
            self.event(updated, "Normal", "Created", f"Created container: {c['name']}", "kubelet")
            self.event(updated, "Normal", "Started", f"Started container {c['name']}", "kubelet")

    def _ephemeral(self, p: Obj) -> None:
        wanted = p["spec"].get("ephemeralContainers") or []
        if not wanted:
            return
        have = {s.get("name") for s in (p.get("status") or {}).get("ephemeralContainerStatuses") or []}
        missing = [c for c in wanted if c.get("name") not in have]
        if not missing:
            return
        m = p["metadata"]

        def add(o: Obj) -> None:
            st = o.setdefault("status", {})
            statuses = st.setdefault("ephemeralContainerStatuses", [])
            for c in missing:
                statuses.append(
                    {
                        "name": c["name"],
                        "image": c.get("image", ""),
                        "imageID": "",
                        "containerID": _container_id(m, c),
                        "ready": False,
                        "restartCount": 0,
                        "state": {"running": {"startedAt": now_iso()}},
                        "lastState": {},
                    }
                )

        updated = self.api.mutate(self._rt("/pods"), m["namespace"], m["name"], add)
        if updated is not None:
            for c in missing:
                self.event(updated, "Normal", "Started", f"Started container {c['name']}", "kubelet")

    def _disruption_budgets(self) -> None:
        pdb_rt = self._rt("policy/poddisruptionbudgets")
        for pdb in self.api.store.list("policy/poddisruptionbudgets"):
            m = pdb["metadata"]
            spec = pdb.get("spec") or {}
            pods = [
                p
                for p in self.api.store.list("/pods", m["namespace"])
                if not p["metadata"].get("deletionTimestamp")
                and match_label_selector(spec.get("selector") or {}, p["metadata"].get("labels") or {})
            ]
            expected = len(pods)
            healthy = sum(1 for p in pods if pod_ready(p))
            if "minAvailable" in spec:
                desired = _scaled(spec["minAvailable"], expected, round_up=True)
            elif "maxUnavailable" in spec:
                desired = max(expected - _scaled(spec["maxUnavailable"], expected, round_up=True), 0)
            else:
                desired = expected
            allowed = max(healthy - desired, 0)
            status = {
                "observedGeneration": m.get("generation", 1),
                "disruptionsAllowed": allowed,
                "currentHealthy": healthy,
                "desiredHealthy": desired,
                "expectedPods": expected,
            }
            current = {k: v for k, v in (pdb.get("status") or {}).items() if k != "conditions"}
            if current == status:
                continue
            condition = {
                "type": "DisruptionAllowed",
                "status": "True" if allowed else "False",
                "reason": "SufficientPods" if allowed else "InsufficientPods",
                "message": "",
                "observedGeneration": m.get("generation", 1),
                "lastTransitionTime": now_iso(),
            }
            status["conditions"] = [condition]
            self.api.mutate(pdb_rt, m["namespace"], m["name"], functools.partial(_set_status, status=status))

    def _quotas(self) -> None:
        rq_rt = self._rt("/resourcequotas")
        for q in self.api.store.list("/resourcequotas"):
            hard = (q.get("spec") or {}).get("hard") or {}
            used = quota.usage(self.api.store, q["metadata"]["namespace"], set(hard))
            status = {"hard": dict(hard), "used": {r: format_quantity(v, r) for r, v in used.items()}}
            if q.get("status") != status:
                self.api.mutate(
                    rq_rt,
                    q["metadata"]["namespace"],
                    q["metadata"]["name"],
                    functools.partial(_set_status, status=status),
                )


def _waiting(c: Obj, reason: str, message: str) -> Obj:
    waiting: Obj = {"reason": reason}
    if message:
        waiting["message"] = message
    return {
        "name": c["name"],
        "image": c.get("image", ""),
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"waiting": waiting},
        "lastState": {},
    }


def _internal_ip(node: Obj | None) -> str:
    for a in ((node or {}).get("status") or {}).get("addresses") or []:
        if a.get("type") == "InternalIP":
            return str(a["address"])
    return "172.18.0.2"


def _ds_target_node(pod: Obj) -> str:
    if pod["spec"].get("nodeName"):
        return str(pod["spec"]["nodeName"])
    terms = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution", {}
    ).get("nodeSelectorTerms") or []
    for t in terms:
        for f in t.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("values"):
                return str(f["values"][0])
    return ""


def _image_id(c: Obj) -> str:
    image = str(c.get("image", ""))
    return f"docker.io/library/{image}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _container_id(meta: Obj, c: Obj) -> str:
    return f"containerd://{hashlib.sha256((meta['uid'] + c['name']).encode()).hexdigest()}"


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """An IntOrString such as 2 or "50%" resolved against `total`."""
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return int(-(-exact // 1)) if round_up else int(exact)
    return int(value)


def _set_status(obj: Obj, status: Obj) -> None:
    obj["status"] = status
