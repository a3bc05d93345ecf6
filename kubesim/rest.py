"""REST verb semantics over the store: defaulting, validation, admission, preconditions, finalizers."""

from __future__ import annotations

import base64
import builtins
import copy
import json
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kubesim import errors, schema_validation
from kubesim.apply import record_update, server_side_apply
from kubesim.crds import CRD_KEY, CustomResourceDefinitions
from kubesim.errors import ApiError
from kubesim.patch import json_merge_patch, json_patch, strategic_merge_patch
from kubesim.resources import Registry, ResourceType
from kubesim.selectors import match_label_selector, parse_field_selector, parse_label_selector
from kubesim.store import Obj, Store, clone

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_UNDELETABLE_NAMESPACES = {"default", "kube-system", "kube-public"}
_NAME_SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789"

Admission = Callable[[ResourceType, str, Obj, Obj | None], None]
StrictError = Callable[[ResourceType, Obj, builtins.list[str]], ApiError]


def now_iso() -> str:
    """Current time in the apiserver's RFC 3339 second-precision format."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(n: int = 5) -> str:
    """Random name suffix in the alphabet the apiserver uses for generateName."""
    return "".join(random.choice(_NAME_SUFFIX_CHARS) for _ in range(n))


@dataclass
class DeleteOptions:
    """The parts of DeleteOptions kubesim honours."""

    propagation: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    grace_period: int | None = None
    dry_run: bool = False


@dataclass
class ListResult:
    """Items of a list call plus its list metadata."""

    items: list[Obj]
    resource_version: str
    continue_token: str = ""
    remaining: int | None = None


class Api:
    """Verb implementations shared by the HTTP layer and the simulated controllers."""

    def __init__(self, registry: Registry, store: Store) -> None:
        self.registry = registry
        self.store = store
        self.admission: list[Admission] = []
        self.crds = CustomResourceDefinitions(registry, store)
        self._ip_counter = 10

    # ----------------------------------------------------------------- reads

    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        """The object or 404."""
        obj = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rt.group, rt.plural, name)
        return obj

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        """Filtered, paginated list in key order."""
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt.key, self.selectable_fields(rt))
        start: tuple[str, str] | None = None
        if continue_token:
            try:
                token = json.loads(base64.urlsafe_b64decode(continue_token.encode()))
                start = (str(token["ns"]), str(token["name"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise errors.bad_request(f"invalid continue token: {exc}") from exc
        with self.store.lock:
            rv = str(self.store.resource_version)
            items = self.store.list(rt.key, namespace if rt.namespaced else None)
        out: list[Obj] = []
        token_out = ""
        remaining: int | None = None
        for idx, obj in enumerate(items):
            meta = obj["metadata"]
            if start is not None and (meta.get("namespace", ""), meta["name"]) <= start:
                continue
            if not labels(meta.get("labels") or {}) or not fields(obj):
                continue
            if limit and len(out) >= limit:
                last = out[-1]["metadata"]
                raw = json.dumps({"ns": last.get("namespace", ""), "name": last["name"], "rv": rv})
                token_out = base64.urlsafe_b64encode(raw.encode()).decode()
                remaining = len(items) - idx
                break
            out.append(obj)
        return ListResult(out, rv, token_out, remaining)

    # ---------------------------------------------------------------- writes

    def create(
        self,
        rt: ResourceType,
        namespace: str,
        body: Obj,
        *,
        dry_run: bool = False,
        field_manager: str | None = None,
        managed_fields: builtins.list[Obj] | None = None,
        field_validation: str = "",
        warnings: builtins.list[str] | None = None,
    ) -> Obj:
        """Create with generateName, defaulting, validation, namespace checks and admission."""
        obj = copy.deepcopy(body)
        self._check_type(rt, obj)
        self._decode_custom(rt, obj, field_validation, warnings, _cannot_handle)
        if "status" in rt.subresources and not rt.builtin:
            obj.pop("status", None)  # the status subresource owns status, from the first write on
        meta = obj.setdefault("metadata", {})
        if meta is None:
            meta = obj["metadata"] = {}
        if rt.namespaced:
            body_ns = meta.get("namespace")
            if body_ns and namespace and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace or body_ns or "default"
        else:
            meta.pop("namespace", None)
        with self.store.lock:
            if not meta.get("name") and meta.get("generateName"):
                for _ in range(8):
                    candidate = meta["generateName"] + random_suffix()
                    if self.store.get(rt.key, meta.get("namespace", ""), candidate) is None:
                        meta["name"] = candidate
                        break
            name = meta.get("name") or ""
            self._validate_meta(rt, obj)
            if rt.namespaced:
                self._check_namespace(rt, meta["namespace"], name)
            if self.store.get(rt.key, meta.get("namespace", ""), name) is not None:
                raise errors.already_exists(rt.group, rt.plural, name)
            self._default(rt, obj)
            self._validate(rt, obj, None)
            for hook in self.admission:
                hook(rt, "CREATE", obj, None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_iso()
            # Like the apiserver, only objects with a spec (and all custom resources) track generation.
            if "spec" in obj or not rt.builtin:
                meta["generation"] = 1
            else:
                meta.pop("generation", None)
            for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "selfLink"):
                meta.pop(k, None)
            meta.pop("managedFields", None)
            if managed_fields is not None:
                meta["managedFields"] = managed_fields
            elif field_manager:
                record_update(None, obj, field_manager)
            if dry_run:
                meta["resourceVersion"] = ""
                return obj
            return self.store.commit(rt.key, obj, "ADDED")

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Obj,
        *,
        subresource: str = "",
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: str = "",
        warnings: builtins.list[str] | None = None,
    ) -> Obj:
        """Replace an object (PUT)."""
        obj = copy.deepcopy(body)
        self._check_type(rt, obj)
        self._decode_custom(rt, obj, field_validation, warnings, _cannot_handle)
        meta = obj.setdefault("metadata", {})
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        meta["name"] = name
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        with self.store.lock:
            current = self.store.get(rt.key, namespace if rt.namespaced else "", name)
            if current is None:
                # Built-in storage does not allow create-on-update, so a PUT of a missing object is a 404.
                raise errors.not_found(rt.group, rt.plural, name)
            rv = meta.get("resourceVersion")
            if rv and rv != current["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.group, rt.plural, name)
            return self._replace(rt, current, obj, subresource, dry_run, field_manager)

    def _replace(
        self,
        rt: ResourceType,
        current: Obj,
        obj: Obj,
        subresource: str,
        dry_run: bool,
        manager: str | None = None,
    ) -> Obj:
        """Store `obj` over `current`, keeping server-owned fields; caller holds the lock."""
        cur_meta = current["metadata"]
        if subresource == "status":
            merged = clone(current)
            merged["status"] = obj.get("status")
            if merged["status"] is None:
                merged.pop("status")
            obj = merged
            if not rt.builtin:
                self._default(rt, obj)
        elif subresource == "ephemeralcontainers":
            merged = clone(current)
            merged["spec"]["ephemeralContainers"] = (obj.get("spec") or {}).get("ephemeralContainers") or []
            self._default_containers(merged["spec"]["ephemeralContainers"])
            obj = merged
        else:
            if "status" in rt.subresources:
                if "status" in current:
                    obj["status"] = current["status"]
                else:
                    obj.pop("status", None)
            self._default(rt, obj)
        meta = obj.setdefault("metadata", {})
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace"):
            if k in cur_meta:
                meta[k] = cur_meta[k]
            else:
                meta.pop(k, None)
        if "managedFields" not in meta and "managedFields" in cur_meta:
            meta["managedFields"] = cur_meta["managedFields"]
        obj.setdefault("apiVersion", rt.api_version)
        obj.setdefault("kind", rt.kind)
        self._validate_meta(rt, obj)
        self._validate(rt, obj, current)
        for hook in self.admission:
            hook(rt, "UPDATE", obj, current)
        if manager and subresource != "status":
            record_update(current, obj, manager, subresource)
        if "generation" in cur_meta:
            meta["generation"] = cur_meta["generation"]
            if _spec_of(obj) != _spec_of(current):
                meta["generation"] += 1
        else:
            meta.pop("generation", None)
        if cur_meta.get("deletionTimestamp") and not meta.get("finalizers"):
            if not dry_run:
                self.store.remove(rt.key, cur_meta.get("namespace", ""), cur_meta["name"])
            return obj
        if dry_run:
            meta["resourceVersion"] = cur_meta["resourceVersion"]
            return obj
        if _strip_rv(obj) == _strip_rv(current):
            return current
        return self.store.commit(rt.key, obj, "MODIFIED")

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        content_type: str,
        body: Any,
        *,
        subresource: str = "",
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        field_validation: str = "",
        warnings: builtins.list[str] | None = None,
    ) -> tuple[Obj, bool]:
        """Apply a patch of the given media type; server-side apply may create (returns created flag)."""
        ctype = content_type.split(";")[0].strip()
        with self.store.lock:
            current = self.store.get(rt.key, namespace if rt.namespaced else "", name)
            if ctype == "application/apply-patch+yaml":
                if not field_manager:
                    raise errors.bad_request("PATCH, application/apply-patch+yaml: fieldManager must be set")
                if not isinstance(body, dict):
                    raise errors.bad_request("apply patch must be an object")
                self._check_type(rt, body)
                self._check_applied_fields(rt, namespace, name, body)
                if body.get("metadata", {}).get("name") not in (None, name):
                    raise errors.bad_request(
                        f"the name of the object ({body['metadata']['name']}) does not match the name on "
                        f"the URL ({name})"
                    )
                merged = server_side_apply(current, body, field_manager, force, subresource)
                merged.setdefault("metadata", {})["name"] = name
                if current is None:
                    if subresource:
                        raise errors.not_found(rt.group, rt.plural, name)
                    managed = merged["metadata"].pop("managedFields")
                    return self.create(rt, namespace, merged, dry_run=dry_run, managed_fields=managed), True
                merged["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                return self._replace(rt, current, merged, subresource, dry_run), False
            if current is None:
                raise errors.not_found(rt.group, rt.plural, name)
            if ctype == "application/json-patch+json":
                patched = json_patch(current, body)
            elif ctype == "application/merge-patch+json":
                patched = json_merge_patch(current, body)
            elif ctype == "application/strategic-merge-patch+json":
                if not rt.builtin:
                    raise ApiError(
                        415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: "
                        "application/json-patch+json, application/merge-patch+json, "
                        "application/apply-patch+yaml",
                        {},
                    )
                patched = strategic_merge_patch(current, body)
            else:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types include: "
                    "application/json-patch+json, application/merge-patch+json, "
                    "application/apply-patch+yaml, "
                    f'application/strategic-merge-patch+json; got "{ctype}"',
                    {},
                )
            if not isinstance(patched, dict):
                raise errors.bad_request("patch result is not an object")
            self._decode_custom(rt, patched, field_validation, warnings, _invalid_patch)
            pmeta = patched.setdefault("metadata", {})
            if pmeta.get("resourceVersion") and pmeta["resourceVersion"] != current["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.group, rt.plural, name)
            if pmeta.get("name") != name:
                raise errors.bad_request(
                    f"the name of the object ({pmeta.get('name')}) does not match the name on the URL ({name})"
                )
            return self._replace(rt, current, patched, subresource, dry_run, field_manager), False

    def mutate(self, rt: ResourceType, namespace: str, name: str, fn: Callable[[Obj], None]) -> Obj | None:
        """Read-modify-write used by controllers; status changes are allowed. None if gone."""
        with self.store.lock:
            current = self.store.get(rt.key, namespace if rt.namespaced else "", name)
            if current is None:
                return None
            obj = clone(current)
            fn(obj)
            if obj == current:
                return current
            if current["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
                self.store.remove(rt.key, current["metadata"].get("namespace", ""), name)
                return None
            if _spec_of(obj) != _spec_of(current) and "generation" in current["metadata"]:
                obj["metadata"]["generation"] = current["metadata"]["generation"] + 1
            return self.store.commit(rt.key, obj, "MODIFIED")

    def delete(self, rt: ResourceType, namespace: str, name: str, opts: DeleteOptions) -> tuple[Obj, bool]:
        """Delete honouring preconditions, finalizers and propagation; returns (object, removed_now)."""
        ns = namespace if rt.namespaced else ""
        with self.store.lock:
            current = self.store.get(rt.key, ns, name)
            if current is None:
                raise errors.not_found(rt.group, rt.plural, name)
            meta = current["metadata"]
            if rt.key == "/namespaces" and name in _UNDELETABLE_NAMESPACES:
                raise errors.forbidden(rt.group, rt.plural, name, "this namespace may not be deleted")
            if opts.uid is not None and opts.uid != meta["uid"]:
                raise errors.conflict(
                    rt.group,
                    rt.plural,
                    name,
                    f"Precondition failed: UID in precondition: {opts.uid}, UID in object meta: {meta['uid']}",
                )
            if opts.resource_version is not None and opts.resource_version != meta["resourceVersion"]:
                raise errors.conflict(
                    rt.group,
                    rt.plural,
                    name,
                    f"Precondition failed: ResourceVersion in precondition: {opts.resource_version}, "
                    f"ResourceVersion in object meta: {meta['resourceVersion']}",
                )
            finalizers = list(meta.get("finalizers") or [])
            policy = opts.propagation
            if policy == "Foreground" and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            elif policy == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")
            namespace_pending = rt.key == "/namespaces"
            graceful = self._pod_grace(rt, current, opts)
            if graceful:
                obj = clone(current)
                obj["metadata"]["deletionTimestamp"] = (datetime.now(UTC) + timedelta(seconds=graceful)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
                obj["metadata"]["deletionGracePeriodSeconds"] = graceful
                if finalizers:
                    obj["metadata"]["finalizers"] = finalizers
                if opts.dry_run:
                    return obj, False
                return self.store.commit(rt.key, obj, "MODIFIED"), False
            if not finalizers and not namespace_pending:
                if opts.dry_run:
                    return current, True
                gone = self.store.remove(rt.key, ns, name)
                assert gone is not None
                return gone, True
            obj = clone(current)
            omet = obj["metadata"]
            if not omet.get("deletionTimestamp"):
                omet["deletionTimestamp"] = now_iso()
                omet["deletionGracePeriodSeconds"] = 0
            if finalizers:
                omet["finalizers"] = finalizers
            if namespace_pending:
                obj.setdefault("status", {})["phase"] = "Terminating"
            if opts.dry_run:
                return obj, False
            return self.store.commit(rt.key, obj, "MODIFIED"), False

    @staticmethod
    def _pod_grace(rt: ResourceType, pod: Obj, opts: DeleteOptions) -> int:
        """Grace period for a bound, live pod (the kubelet then removes it); 0 means delete now."""
        if rt.key != "/pods" or pod["metadata"].get("deletionTimestamp"):
            return 0
        if not pod["spec"].get("nodeName") or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return 0
        grace = opts.grace_period
        if grace is None:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        return max(int(grace), 0)

    def evict(self, rt: ResourceType, namespace: str, name: str, opts: DeleteOptions) -> None:
        """Delete a pod through the Eviction API, refusing (429) when a PodDisruptionBudget forbids it."""
        with self.store.lock:
            pod = self.get(rt, namespace, name)
            labels = pod["metadata"].get("labels") or {}
            ready = any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (pod.get("status") or {}).get("conditions") or []
            )
            budgets = [
                b
                for b in self.store.list("policy/poddisruptionbudgets", namespace)
                if match_label_selector((b.get("spec") or {}).get("selector") or {}, labels)
            ]
            if len(budgets) > 1:
                raise ApiError(
                    500,
                    "InternalError",
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                    {},
                )
            if budgets and ready and not pod["metadata"].get("deletionTimestamp"):
                pdb = budgets[0]
                st = pdb.get("status") or {}
                if int(st.get("disruptionsAllowed", 0)) <= 0:
                    raise ApiError(
                        429,
                        "TooManyRequests",
                        "Cannot evict pod as it would violate the pod's disruption budget.",
                        {
                            "causes": [
                                {
                                    "reason": "DisruptionBudget",
                                    "message": f"The disruption budget {pdb['metadata']['name']} needs "
                                    f"{st.get('desiredHealthy', 0)} healthy pods and has "
                                    f"{st.get('currentHealthy', 0)} currently",
                                }
                            ]
                        },
                    )
                if not opts.dry_run:
                    updated = copy.deepcopy(pdb)
                    updated["status"]["disruptionsAllowed"] = int(st["disruptionsAllowed"]) - 1
                    self.store.commit("policy/poddisruptionbudgets", updated, "MODIFIED")
            self.delete(rt, namespace, name, opts)

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        opts: DeleteOptions,
    ) -> builtins.list[Obj]:
        """Delete every matching object; returns what was deleted or marked."""
        out = []
        with self.store.lock:
            for obj in self.list(rt, namespace, label_selector, field_selector).items:
                m = obj["metadata"]
                try:
                    out.append(self.delete(rt, m.get("namespace", ""), m["name"], opts)[0])
                except ApiError:
                    continue
        return out

    # ------------------------------------------------------------- helpers

    def selectable_fields(self, rt: ResourceType) -> frozenset[str]:
        """Field selector keys a CRD declares for `rt` beyond metadata.name and metadata.namespace."""
        served = self.crds.get(rt)
        return served.selectable_fields if served is not None else frozenset()

    def _decode_custom(
        self, rt: ResourceType, obj: Obj, directive: str, warnings: builtins.list[str] | None, strict: StrictError
    ) -> None:
        """The apiserver's decoding of a custom resource: fields its schema does not declare are dropped,
        and, by `fieldValidation`, refused (Strict), reported as warnings (Warn, the default) or not (Ignore)."""
        schema = self.crds.schema(rt)
        if schema is None:
            return
        given = copy.deepcopy(obj) if directive == "Strict" else obj
        unknown = schema_validation.prune(obj, schema)
        if not unknown or directive == "Ignore":
            return
        if directive == "Strict":
            raise strict(rt, given, unknown)
        if warnings is not None:
            warnings.extend(f'unknown field "{path}"' for path in unknown)

    def _check_applied_fields(self, rt: ResourceType, namespace: str, name: str, applied: Obj) -> None:
        """Server-side apply types the applied configuration against the schema first; a field the schema
        does not declare fails that step whatever `fieldValidation` says, and kube-apiserver reports it as
        an internal error (500) with the structured-merge-diff message."""
        schema = self.crds.schema(rt)
        if schema is None:
            return
        unknown = schema_validation.prune(copy.deepcopy(applied), schema)
        if not unknown:
            return
        problems = [f".{path}: field not declared in schema" for path in unknown]
        detail = problems[0] if len(problems) == 1 else "errors:\n  " + "\n  ".join(problems)
        where = f"{namespace if rt.namespaced else ''}/{name}; {rt.api_version}, Kind={rt.kind}"
        raise ApiError(500, "", f"failed to create typed patch object ({where}): {detail}")

    def _check_type(self, rt: ResourceType, obj: Obj) -> None:
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rt.api_version})"
            )
        if kind and kind != rt.kind:
            raise errors.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        obj["kind"] = rt.kind
        obj["apiVersion"] = rt.api_version

    def _check_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        ns = self.store.get("/namespaces", "", namespace)
        if ns is None:
            raise errors.not_found("", "namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp") and rt.key != "/events":
            err = errors.forbidden(
                rt.group,
                rt.plural,
                name,
                f"unable to create new content in namespace {namespace} because it is being terminated",
            )
            assert err.details is not None
            err.details["causes"] = [
                {
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {namespace} is being terminated",
                    "field": "metadata.namespace",
                }
            ]
            raise err

    def _validate_meta(self, rt: ResourceType, obj: Obj) -> None:
        meta = obj["metadata"]
        name = meta.get("name") or ""
        if not name:
            raise errors.invalid(
                rt.group,
                rt.kind,
                "",
                [("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")],
            )
        label = rt.key == "/namespaces"
        pattern, msg = (_DNS1123_LABEL, _LABEL_MSG) if label else (_DNS1123_SUBDOMAIN, _SUBDOMAIN_MSG)
        limit = 63 if label else 253
        if not pattern.match(name) or len(name) > limit:
            raise errors.invalid(
                rt.group,
                rt.kind,
                name,
                [("FieldValueInvalid", "metadata.name", f'Invalid value: "{name}": {msg}')],
            )
        for field in ("labels", "annotations"):
            value = meta.get(field)
            if value is not None and not isinstance(value, Mapping):
                raise errors.bad_request(f"metadata.{field} must be a map")
        for k, v in (meta.get("labels") or {}).items():
            if not isinstance(v, str):
                raise errors.bad_request(
                    f"json: cannot unmarshal {type(v).__name__} into Go struct field "
                    f"ObjectMeta.metadata.labels of type string (label {k})"
                )

    def _validate(self, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        name = obj["metadata"]["name"]
        causes: list[tuple[str, str, str]] = []
        spec = obj.get("spec") or {}
        schema = self.crds.schema(rt)
        if schema is not None:
            causes += schema_validation.validate(obj, schema)
        if rt.key == "/pods":
            causes += _validate_pod_spec(spec, "spec")
            if old is not None:
                causes += _validate_pod_update(spec, old.get("spec") or {})
        elif rt.key in ("apps/deployments", "apps/replicasets", "apps/daemonsets"):
            selector = spec.get("selector")
            tmpl = spec.get("template") or {}
            tlabels = (tmpl.get("metadata") or {}).get("labels") or {}
            if not selector:
                causes.append(("FieldValueRequired", "spec.selector", "Required value"))
            else:
                if not match_label_selector(selector, tlabels):
                    causes.append(
                        (
                            "FieldValueInvalid",
                            "spec.template.metadata.labels",
                            f"Invalid value: {_go_map(tlabels)}: `selector` does not match template `labels`",
                        )
                    )
                if (
                    old is not None
                    and rt.key != "apps/deployments"
                    and selector != (old.get("spec") or {}).get("selector")
                ):
                    causes.append(("FieldValueInvalid", "spec.selector", "Invalid value: field is immutable"))
            causes += _validate_pod_spec(tmpl.get("spec") or {}, "spec.template.spec")
            replicas = spec.get("replicas")
            if isinstance(replicas, int) and replicas < 0:
                causes.append(
                    (
                        "FieldValueInvalid",
                        "spec.replicas",
                        f"Invalid value: {replicas}: must be greater than or equal to 0",
                    )
                )
        elif (
            rt.key == "/configmaps"
            and old is not None
            and old.get("immutable")
            and (obj.get("data") != old.get("data") or obj.get("binaryData") != old.get("binaryData"))
        ):
            causes.append(("FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set"))
        elif rt.key == CRD_KEY:
            group, names = spec.get("group", ""), spec.get("names") or {}
            if name != f"{names.get('plural', '')}.{group}":
                causes.append(
                    (
                        "FieldValueInvalid",
                        "metadata.name",
                        f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
                    )
                )
            if not names.get("kind"):
                causes.append(("FieldValueRequired", "spec.names.kind", "Required value"))
            if not spec.get("versions"):
                causes.append(
                    (
                        "FieldValueInvalid",
                        "spec.versions",
                        "Invalid value: null: must have exactly one version marked as storage version",
                    )
                )
            for i, version in enumerate(spec.get("versions") or []):
                schema = (version.get("schema") or {}).get("openAPIV3Schema") if isinstance(version, dict) else None
                path = f"spec.versions[{i}].schema.openAPIV3Schema"
                causes += schema_validation.structural_problems(schema, path)
        if causes:
            raise errors.invalid(rt.group, rt.kind, name, causes)

    def _default(self, rt: ResourceType, obj: Obj) -> None:
        schema = self.crds.schema(rt)
        if schema is not None:
            schema_validation.apply_defaults(obj, schema)
            return
        key = rt.key
        if key == "/pods":
            self._default_pod_spec(obj.setdefault("spec", {}))
            status = obj.setdefault("status", {})
            status.setdefault("phase", "Pending")
            status.setdefault("qosClass", _qos_class(obj["spec"]))
        elif key in ("apps/deployments", "apps/replicasets", "apps/daemonsets"):
            spec = obj.setdefault("spec", {})
            if key != "apps/daemonsets":
                spec.setdefault("replicas", 1)
            if key == "apps/deployments":
                spec.setdefault(
                    "strategy",
                    {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                )
                spec.setdefault("revisionHistoryLimit", 10)
                spec.setdefault("progressDeadlineSeconds", 600)
            if key == "apps/daemonsets":
                spec.setdefault(
                    "updateStrategy",
                    {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                )
                spec.setdefault("revisionHistoryLimit", 10)
            tmpl = spec.setdefault("template", {})
            self._default_pod_spec(tmpl.setdefault("spec", {}))
            obj.setdefault("status", {})
        elif key == "/namespaces":
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj.setdefault("status", {}).setdefault("phase", "Active")
            labels = obj["metadata"].setdefault("labels", {})
            labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        elif key == "/services":
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            if spec.get("clusterIP") != "None" and not spec.get("clusterIP"):
                self._ip_counter += 1
                spec["clusterIP"] = f"10.96.{(self._ip_counter // 250) % 250}.{self._ip_counter % 250 + 1}"
            if spec.get("clusterIP"):
                spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
            obj.setdefault("status", {"loadBalancer": {}})
        elif key == "/secrets":
            obj.setdefault("type", "Opaque")
            string_data = obj.pop("stringData", None)
            if string_data:
                data = obj.setdefault("data", {})
                for k, v in string_data.items():
                    data[k] = base64.b64encode(str(v).encode()).decode()
        elif key == "/persistentvolumeclaims":
            spec = obj.setdefault("spec", {})
            spec.setdefault("volumeMode", "Filesystem")
            obj.setdefault("status", {}).setdefault("phase", "Pending")
        elif key == "/events":
            obj.setdefault("count", 1)
            obj.setdefault("type", "Normal")

    def _default_pod_spec(self, spec: Obj) -> None:
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault("securityContext", {})
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
        for field in ("containers", "initContainers"):
            if isinstance(spec.get(field), list):
                self._default_containers(spec[field])

    def _default_containers(self, containers: builtins.list[Any]) -> None:
        for c in containers:
            if not isinstance(c, dict):
                continue
            image = str(c.get("image", ""))
            tag = image.rsplit("/", 1)[-1]
            latest = ":" not in tag or tag.endswith(":latest")
            c.setdefault("imagePullPolicy", "Always" if latest and "@" not in tag else "IfNotPresent")
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            c.setdefault("resources", {})
            for port in c.get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")


def _strict_message(unknown: list[str]) -> str:
    return "strict decoding error: " + ", ".join(f'unknown field "{path}"' for path in unknown)


def _cannot_handle(rt: ResourceType, _obj: Obj, unknown: list[str]) -> ApiError:
    """How create and update refuse unknown fields under fieldValidation=Strict."""
    return errors.bad_request(
        f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {_strict_message(unknown)}'
    )


def _invalid_patch(_rt: ResourceType, patched: Obj, unknown: list[str]) -> ApiError:
    """How a JSON or merge patch is refused under fieldValidation=Strict: the patched object is the value."""
    shown = dict(patched, metadata={k: v for k, v in (patched.get("metadata") or {}).items() if k != "managedFields"})
    value = json.dumps(json.dumps(shown, separators=(",", ":"), sort_keys=True))
    message = f"Invalid value: {value}: {_strict_message(unknown)}"
    return ApiError(
        422,
        "Invalid",
        f' "" is invalid: patch: {message}',
        {"causes": [{"reason": "FieldValueInvalid", "message": message, "field": "patch"}]},
    )


def _spec_of(obj: Obj) -> Any:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _strip_rv(obj: Obj) -> Obj:
    out = dict(obj)
    out["metadata"] = {k: v for k, v in obj.get("metadata", {}).items() if k != "resourceVersion"}
    return out


def _go_map(d: Mapping[str, Any]) -> str:
    inner = ", ".join(f'"{k}":"{v}"' for k, v in sorted(d.items()))
    return "map[string]string{" + inner + "}"


def _qos_class(spec: Obj) -> str:
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    if not containers:
        return "BestEffort"
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and str(req[r]) != str(lim[r])):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _validate_pod_spec(spec: Obj, path: str) -> list[tuple[str, str, str]]:
    causes: list[tuple[str, str, str]] = []
    containers = spec.get("containers")
    if not containers:
        causes.append(("FieldValueRequired", f"{path}.containers", "Required value"))
        return causes
    seen: set[str] = set()
    for i, c in enumerate(containers):
        if not isinstance(c, dict):
            continue
        cname = c.get("name")
        if not cname:
            causes.append(("FieldValueRequired", f"{path}.containers[{i}].name", "Required value"))
        elif cname in seen:
            causes.append(("FieldValueDuplicate", f"{path}.containers[{i}].name", f'Duplicate value: "{cname}"'))
        else:
            seen.add(cname)
        if not c.get("image"):
            causes.append(("FieldValueRequired", f"{path}.containers[{i}].image", "Required value"))
    return causes


_MUTABLE_POD_FIELDS = {
    "activeDeadlineSeconds",
    "tolerations",
    "terminationGracePeriodSeconds",
    "ephemeralContainers",
}


def _validate_pod_update(new: Obj, old: Obj) -> list[tuple[str, str, str]]:
    def scrub(spec: Obj) -> Obj:
        out = {k: v for k, v in spec.items() if k not in _MUTABLE_POD_FIELDS}
        for field in ("containers", "initContainers"):
            if isinstance(out.get(field), list):
                out[field] = [{k: v for k, v in c.items() if k != "image"} for c in out[field] if isinstance(c, dict)]
        return out

    new_s, old_s = scrub(new), scrub(old)
    if "nodeName" not in old_s:
        new_s.pop("nodeName", None)
    if new_s != old_s:
        return [
            (
                "FieldValueForbidden",
                "spec",
                "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
                "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
                "(allow it to be set to 1 if it was previously negative)",
            )
        ]
    return []
