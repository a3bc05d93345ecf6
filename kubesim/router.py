"""Maps apiserver URLs and verbs onto the REST semantics; transport-agnostic (see server.py)."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from kubesim import discovery, errors, execstream, protobuf, tables
from kubesim.authn import ADMIN, Authenticator
from kubesim.authz import Attributes, WebhookAuthorizer
from kubesim.errors import ApiError
from kubesim.faults import FaultInjector
from kubesim.impersonation import Identity, ImpersonationRules, impersonation_forbidden
from kubesim.patch import json_merge_patch, json_patch
from kubesim.resources import Registry, ResourceType
from kubesim.rest import Api, DeleteOptions
from kubesim.selectors import parse_field_selector, parse_label_selector
from kubesim.store import Event, Obj, TooNewError, TooOldError

JSON = "application/json"


@dataclass
class Request:
    """An HTTP request as the router sees it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    multi: dict[str, list[str]] = field(default_factory=dict)
    path: str = ""
    query: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)

    def q(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str:
        """Header value ('' if absent), case-insensitive."""
        return self.headers.get(name.lower(), "")


@dataclass
class Response:
    """A complete response."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stream:
    """A chunked streaming response (watch); `chunks` ends when the stream should close.

    An empty chunk is a keep-alive probe: the transport checks the client is still connected and does
    not send it.
    """

    status: int
    chunks: Iterator[bytes]
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Upgrade:
    """Switch the connection to another protocol and hand its streams to `session`."""

    protocol: str
    headers: dict[str, str]
    session: Callable[[execstream.Reader, execstream.Writer], None]


class DropConnection(Exception):
    """Fault injection asks the transport to close the connection without answering."""


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(obj, separators=(",", ":")).encode()


def _ok(obj: Any, status: int = 200, content_type: str = JSON) -> Response:
    return Response(status, dumps(obj), content_type)


def _error_response(err: ApiError) -> Response:
    return Response(err.code, dumps(err.status()), JSON, dict(err.headers))


@dataclass
class Target:
    """A parsed resource URL."""

    rt: ResourceType
    namespace: str
    name: str
    sub: str


class Router:
    """The apiserver's HTTP surface over an `Api`."""

    def __init__(
        self,
        api: Api,
        registry: Registry,
        faults: FaultInjector,
        impersonation: ImpersonationRules,
        stopping: threading.Event,
        on_admin: Callable[[Request], Response | None] | None = None,
    ) -> None:
        self.api = api
        self.registry = registry
        self.faults = faults
        self.impersonation = impersonation
        self.stopping = stopping
        self.on_admin = on_admin
        self.authorizer: WebhookAuthorizer | None = None
        self.authenticator = Authenticator([])

    def handle(self, req: Request) -> Response | Stream | Upgrade:
        """Answer one request; never raises except DropConnection."""
        try:
            return self._route(req)
        except ApiError as err:
            return _error_response(err)

    # --------------------------------------------------------------- routing

    def _route(self, req: Request) -> Response | Stream | Upgrade:
        path = req.path.rstrip("/") or "/"
        if path.startswith("/_kubesim"):
            return self._admin(req, path)
        self.authenticator.authenticate(req.header("authorization"))
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, b"ok", "text/plain; charset=utf-8")
        if path == "/version":
            return _ok(discovery.version_info())
        if path.startswith("/openapi"):
            return self._openapi(req, path)
        segments = path.strip("/").split("/")
        if segments[0] == "api":
            if len(segments) == 1:
                if discovery.wants_aggregated(req.header("accept")):
                    return _ok(discovery.aggregated(self.registry, True), content_type=discovery.AGGREGATED_V2)
                return _ok(discovery.api_versions())
            group, version, rest = "", segments[1], segments[2:]
        elif segments[0] == "apis":
            if len(segments) == 1:
                if discovery.wants_aggregated(req.header("accept")):
                    return _ok(discovery.aggregated(self.registry, False), content_type=discovery.AGGREGATED_V2)
                return _ok(discovery.api_group_list(self.registry))
            if len(segments) == 2:
                if segments[1] not in self.registry.groups():
                    raise errors.resource_not_found()
                return _ok(dict(kind="APIGroup", apiVersion="v1", **discovery.api_group(self.registry, segments[1])))
            group, version, rest = segments[1], segments[2], segments[3:]
        else:
            return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        if not self.registry.in_group_version(group, version):
            raise errors.resource_not_found()
        if not rest:
            if req.method != "GET":
                raise errors.method_not_allowed()
            return _ok(discovery.resource_list(self.registry, group, version))
        target = self._parse_target(group, version, rest)
        return self._resource(req, target)

    def _parse_target(self, group: str, version: str, rest: list[str]) -> Target:
        lookup = self.registry.lookup
        if rest[0] == "namespaces" and len(rest) >= 3:
            rt = lookup(group, version, rest[2])
            if rt is not None and rt.namespaced and len(rest) <= 5:
                return Target(rt, rest[1], rest[3] if len(rest) > 3 else "", rest[4] if len(rest) > 4 else "")
        rt = lookup(group, version, rest[0])
        if rt is None or len(rest) > 3:
            raise errors.resource_not_found()
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if rt.namespaced and name:
            raise errors.resource_not_found()
        return Target(rt, "", name, sub)

    def _verb(self, req: Request, t: Target) -> str:
        m = req.method
        if m == "GET":
            if t.name:
                return "get"
            return "watch" if req.q("watch") in ("true", "1") else "list"
        if m == "POST":
            if t.name:
                raise errors.method_not_allowed()
            return "create"
        if m == "PUT":
            if not t.name:
                raise errors.method_not_allowed()
            return "update"
        if m == "PATCH":
            if not t.name:
                raise errors.method_not_allowed()
            return "patch"
        if m == "DELETE":
            return "delete" if t.name else "deletecollection"
        raise errors.method_not_allowed()

    def _identity(self, req: Request, verb: str, t: Target | None = None) -> None:
        actor = self.authenticator.authenticate(req.header("authorization"))
        user = req.header("impersonate-user")
        groups = req.multi.get("impersonate-group") or []
        uid = req.header("impersonate-uid") or None
        if groups and not user:
            raise ApiError(
                500, "InternalError", "Internal error occurred: requested [] without impersonating a user", {}
            )
        if user and actor is not ADMIN:
            raise impersonation_forbidden(actor.name, user)
        ident = Identity(actor.name, list(actor.groups), user or None, list(groups), uid)
        for k, v in req.headers.items():
            if k.startswith("impersonate-extra-"):
                ident.extra.setdefault(k[len("impersonate-extra-") :], []).append(v)
        if user:
            self.impersonation.check(ident)
            self.impersonation.record(ident, verb, req.path)
        elif actor is ADMIN:
            return
        if self.authorizer is not None and t is not None:
            attrs = Attributes(verb, t.rt.group, t.rt.plural, t.sub, t.namespace, t.name)
            self.authorizer.check(ident, attrs)

    def _resource(self, req: Request, t: Target) -> Response | Stream | Upgrade:
        rt = t.rt
        if t.sub and t.sub not in rt.subresources:
            raise errors.resource_not_found()
        if t.sub in ("exec", "attach"):
            return self._exec(req, t)
        if t.sub == "eviction":
            return self._evict(req, t)
        verb = self._verb(req, t)
        if verb not in rt.verbs:
            raise errors.method_not_allowed()
        if t.sub and verb not in ("get", "update", "patch"):
            raise errors.method_not_allowed()
        fault = self.faults.decide(verb, f"{rt.plural}/{t.sub}" if t.sub else rt.plural, t.namespace)
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.drop:
                raise DropConnection()
            if fault.error is not None:
                raise fault.error
        self._identity(req, verb, t)
        dry_run = req.q("dryRun") == "All"
        if t.sub == "log":
            return self._log(req, t)
        if t.sub == "scale":
            return self._scale(req, t, verb)
        if verb == "get":
            obj = self.api.get(rt, t.namespace, t.name)
            return self._object_response(req, rt, obj)
        if verb == "list":
            return self._list(req, t)
        if verb == "watch":
            return self._watch(req, t)
        validation = req.q("fieldValidation") or ""
        warnings: list[str] = []
        if verb == "create":
            body = self._body(req)
            obj = self.api.create(
                rt,
                t.namespace,
                body,
                dry_run=dry_run,
                field_manager=_manager(req),
                field_validation=validation,
                warnings=warnings,
            )
            return _warned(_ok(obj, 201), warnings)
        if verb == "update":
            body = self._body(req)
            obj = self.api.update(
                rt,
                t.namespace,
                t.name,
                body,
                subresource=t.sub,
                dry_run=dry_run,
                field_manager=_manager(req),
                field_validation=validation,
                warnings=warnings,
            )
            return _warned(_ok(obj), warnings)
        if verb == "patch":
            ctype = req.header("content-type")
            body = self._patch_body(req, ctype)
            obj, created = self.api.patch(
                rt,
                t.namespace,
                t.name,
                ctype,
                body,
                subresource=t.sub,
                field_manager=req.q("fieldManager") if ctype.startswith("application/apply-patch") else _manager(req),
                force=req.q("force") in ("true", "1"),
                dry_run=dry_run,
                field_validation=validation,
                warnings=warnings,
            )
            return _warned(_ok(obj, 201 if created else 200), warnings)
        if verb == "delete":
            opts = self._delete_options(req)
            obj, removed = self.api.delete(rt, t.namespace, t.name, opts)
            if removed and rt.key != "/pods":
                details: dict[str, Any] = {"name": t.name}
                if rt.group:
                    details["group"] = rt.group
                details.update(kind=rt.plural, uid=obj["metadata"].get("uid"))
                return _ok(
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "metadata": {},
                        "status": "Success",
                        "details": details,
                    }
                )
            return _ok(obj)
        opts = self._delete_options(req)
        deleted = self.api.delete_collection(
            rt, t.namespace or None, req.q("labelSelector"), req.q("fieldSelector"), opts
        )
        return _ok(
            {
                "kind": f"{rt.kind}List",
                "apiVersion": rt.api_version,
                "metadata": {"resourceVersion": str(self.api.store.resource_version)},
                "items": deleted,
            }
        )

    # ------------------------------------------------------------- helpers

    def _body(self, req: Request) -> Obj:
        ctype = req.header("content-type").split(";")[0].strip()
        if ctype == protobuf.CONTENT_TYPE:
            try:
                return protobuf.decode(req.body)
            except protobuf.UnsupportedKind as exc:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"kubesim cannot decode protobuf {exc}; send application/json",
                    {},
                ) from exc
            except (ValueError, IndexError, AssertionError) as exc:
                raise errors.bad_request(f"error decoding protobuf body: {exc}") from exc
        if ctype and ctype not in (JSON, "application/yaml", "*/*"):
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types include: "
                f'application/json, application/yaml; got "{ctype}"',
                {},
            )
        try:
            body = yaml.safe_load(req.body) if ctype == "application/yaml" else json.loads(req.body or b"null")
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"error decoding request body: {exc}") from exc
        if not isinstance(body, dict):
            raise errors.bad_request("Object 'Kind' is missing in request body")
        return body

    def _patch_body(self, req: Request, ctype: str) -> Any:
        try:
            if ctype.startswith("application/apply-patch+yaml"):
                # Clients mostly send JSON (a subset of YAML) here: the JSON parser is ~50 times faster.
                with contextlib.suppress(ValueError):
                    return json.loads(req.body)
                return yaml.safe_load(req.body)
            return json.loads(req.body)
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"error decoding patch: {exc}") from exc

    def _delete_options(self, req: Request) -> DeleteOptions:
        opts = DeleteOptions()
        if req.body.strip():
            try:
                body = json.loads(req.body)
            except ValueError as exc:
                raise errors.bad_request(f"error decoding DeleteOptions: {exc}") from exc
            if isinstance(body, dict):
                opts.propagation = body.get("propagationPolicy")
                if body.get("orphanDependents") is True:
                    opts.propagation = "Orphan"
                pre = body.get("preconditions") or {}
                opts.uid = pre.get("uid")
                opts.resource_version = pre.get("resourceVersion")
                opts.grace_period = body.get("gracePeriodSeconds")
                opts.dry_run = "All" in (body.get("dryRun") or [])
        opts.propagation = req.q("propagationPolicy", opts.propagation)
        if req.q("gracePeriodSeconds") is not None:
            opts.grace_period = int(req.q("gracePeriodSeconds") or 0)
        if req.q("dryRun") == "All":
            opts.dry_run = True
        if opts.propagation not in (None, "Foreground", "Background", "Orphan"):
            raise errors.invalid(
                "",
                "DeleteOptions",
                "",
                [("FieldValueNotSupported", "propagationPolicy", "Unsupported value")],
            )
        return opts

    def _printer_columns(self, rt: ResourceType) -> tuple[dict[str, Any], ...] | None:
        served = self.api.crds.get(rt)
        return served.columns if served is not None else None

    def _object_response(self, req: Request, rt: ResourceType, obj: Obj) -> Response:
        if tables.wants_table(req.header("accept")):
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            include = req.q("includeObject", "Metadata") or "Metadata"
            return _ok(tables.table(rt.key, [obj], meta, include, self._printer_columns(rt)))
        return _ok(obj)

    def _list(self, req: Request, t: Target) -> Response:
        limit = int(req.q("limit") or 0)
        res = self.api.list(
            t.rt,
            t.namespace or None,
            req.q("labelSelector"),
            req.q("fieldSelector"),
            limit,
            req.q("continue"),
        )
        meta: dict[str, Any] = {"resourceVersion": res.resource_version}
        if res.continue_token:
            meta["continue"] = res.continue_token
            meta["remainingItemCount"] = res.remaining
        if tables.wants_table(req.header("accept")):
            include = req.q("includeObject", "Metadata") or "Metadata"
            return _ok(tables.table(t.rt.key, res.items, meta, include, self._printer_columns(t.rt)))
        return _ok({"kind": f"{t.rt.kind}List", "apiVersion": t.rt.api_version, "metadata": meta, "items": res.items})

    def _watch(self, req: Request, t: Target) -> Stream:
        rt = t.rt
        labels = parse_label_selector(req.q("labelSelector"))
        fields = parse_field_selector(req.q("fieldSelector"), rt.key, self.api.selectable_fields(rt))
        ns = t.namespace

        def matches(obj: Obj | None) -> bool:
            if obj is None:
                return False
            meta = obj["metadata"]
            if ns and meta.get("namespace") != ns:
                return False
            return labels(meta.get("labels") or {}) and fields(obj)

        rv_param = req.q("resourceVersion") or ""
        initial = req.q("sendInitialEvents") == "true" or rv_param in ("", "0")
        since: int | None = None
        if rv_param not in ("", "0") and req.q("sendInitialEvents") != "true":
            try:
                since = int(rv_param)
            except ValueError as exc:
                raise errors.bad_request(f"invalid resource version: {rv_param}") from exc
        as_table = tables.wants_table(req.header("accept"))
        columns = self._printer_columns(rt)
        include = req.q("includeObject", "Metadata") or "Metadata"
        bookmarks = req.q("allowWatchBookmarks") == "true"
        timeout = float(req.q("timeoutSeconds") or 1800)
        with self.api.store.lock:
            try:
                watcher, backlog = self.api.store.watch(rt.key, since)
            except TooOldError as exc:
                watcher, backlog = None, []
                expired = errors.gone(str(exc))
            except TooNewError as exc:  # as kube-apiserver: 504, the client re-lists
                raise errors.ApiError(504, "Timeout", str(exc)) from exc
            snapshot: list[Obj] = []
            start_rv = self.api.store.resource_version
            if initial and watcher is not None:
                snapshot = [o for o in self.api.store.list(rt.key, ns or None) if matches(o)]
        store = self.api.store

        def encode(etype: str, obj: Obj) -> bytes:
            if as_table and etype in ("ADDED", "MODIFIED", "DELETED"):
                meta = {"resourceVersion": obj["metadata"].get("resourceVersion")}
                obj = tables.table(rt.key, [obj], meta, include, columns)
            return dumps({"type": etype, "object": obj}) + b"\n"

        def bookmark(rv: int, end_of_initial: bool = False) -> bytes:
            meta: dict[str, Any] = {"resourceVersion": str(rv)}
            if end_of_initial:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            return (
                dumps(
                    {
                        "type": "BOOKMARK",
                        "object": {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta},
                    }
                )
                + b"\n"
            )

        def translate(ev: Event) -> bytes | None:
            new_ok = matches(ev.obj)
            old_ok = matches(ev.old) if ev.type != "ADDED" else False
            if ev.type == "ADDED":
                return encode("ADDED", ev.obj) if new_ok else None
            if ev.type == "DELETED":
                return encode("DELETED", ev.obj) if new_ok or old_ok else None
            if new_ok and old_ok:
                return encode("MODIFIED", ev.obj)
            if new_ok:
                return encode("ADDED", ev.obj)
            if old_ok:
                return encode("DELETED", ev.obj)
            return None

        def chunks() -> Iterator[bytes]:
            if watcher is None:
                yield dumps({"type": "ERROR", "object": expired.status()}) + b"\n"
                return
            try:
                for obj in snapshot:
                    yield encode("ADDED", obj)
                if req.q("sendInitialEvents") == "true" and bookmarks:
                    yield bookmark(start_rv, True)
                for ev in backlog:
                    data = translate(ev)
                    if data:
                        yield data
                deadline = time.monotonic() + timeout
                last_rv = start_rv
                last_bookmark = time.monotonic()
                while not self.stopping.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    try:
                        item = watcher.events.get(timeout=min(remaining, 1.0))
                    except queue.Empty:
                        if bookmarks and time.monotonic() - last_bookmark >= 10:
                            last_bookmark = time.monotonic()
                            yield bookmark(max(last_rv, store.resource_version))
                        else:
                            # An empty chunk lets the transport notice a client that went away while idle.
                            yield b""
                        continue
                    if item is None:
                        return
                    last_rv = item.rv
                    data = translate(item)
                    if data:
                        yield data
            finally:
                store.unwatch(watcher)

        return Stream(200, chunks())

    def _exec(self, req: Request, t: Target) -> Upgrade:
        if req.method not in ("GET", "POST"):
            raise errors.method_not_allowed()
        fault = self.faults.decide("create", f"pods/{t.sub}", t.namespace)
        if fault is not None and fault.error is not None:
            raise fault.error
        self._identity(req, "create", t)
        pod = self.api.get(t.rt, t.namespace, t.name)
        containers = [c["name"] for c in pod["spec"].get("containers") or []]
        containers += [c["name"] for c in pod["spec"].get("ephemeralContainers") or []]
        container = req.q("container") or (containers[0] if containers else "")
        if container not in containers:
            raise errors.bad_request(f"container {container} is not valid for pod {t.name}")
        if not pod["spec"].get("nodeName"):
            raise errors.bad_request(f"pod {t.name} does not have a host assigned")
        if (pod.get("status") or {}).get("phase") != "Running":
            raise errors.bad_request(f'unable to upgrade connection: container not found ("{container}")')
        protocol = execstream.choose_protocol(req.header("sec-websocket-protocol"))
        key = req.header("sec-websocket-key")
        if req.header("upgrade").lower() != "websocket" or not key or protocol is None:
            raise errors.bad_request("Upgrade request required")
        command = req.query.get("command", []) if t.sub == "exec" else []
        interactive = req.q("stdin") in ("true", "1")

        def session(rfile: execstream.Reader, wfile: execstream.Writer) -> None:
            execstream.run_session(rfile, wfile, pod, container, command, interactive, self.stopping.is_set)

        headers = {"Sec-WebSocket-Accept": execstream.accept_key(key), "Sec-WebSocket-Protocol": protocol}
        return Upgrade("websocket", headers, session)

    def _evict(self, req: Request, t: Target) -> Response:
        if req.method != "POST":
            raise errors.method_not_allowed()
        fault = self.faults.decide("create", "pods/eviction", t.namespace)
        if fault is not None and fault.error is not None:
            raise fault.error
        self._identity(req, "create", t)
        body = self._body(req)
        raw = body.get("deleteOptions") or {}
        opts = DeleteOptions(
            propagation=raw.get("propagationPolicy"),
            uid=(raw.get("preconditions") or {}).get("uid"),
            resource_version=(raw.get("preconditions") or {}).get("resourceVersion"),
            grace_period=raw.get("gracePeriodSeconds"),
            dry_run="All" in (raw.get("dryRun") or []) or req.q("dryRun") == "All",
        )
        self.api.evict(t.rt, t.namespace, t.name, opts)
        return _ok({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}, 201)

    def _log(self, req: Request, t: Target) -> Response:
        if req.method != "GET":
            raise errors.method_not_allowed()
        pod = self.api.get(t.rt, t.namespace, t.name)
        containers = [c["name"] for c in pod["spec"].get("containers") or []]
        ephemeral = [c["name"] for c in pod["spec"].get("ephemeralContainers") or []]
        container = req.q("container")
        if not container:
            if len(containers) != 1:
                raise errors.bad_request(
                    f"a container name must be specified for pod {t.name}, "
                    f"choose one of: [{' '.join(containers)}]"
                    + (f" or one of the ephemeral containers: [{' '.join(ephemeral)}]" if ephemeral else "")
                )
            container = containers[0]
        if container not in containers + ephemeral:
            raise errors.bad_request(f"container {container} is not valid for pod {t.name}")
        statuses = (pod.get("status") or {}).get("containerStatuses", []) + (pod.get("status") or {}).get(
            "ephemeralContainerStatuses", []
        )
        state = next((s.get("state") or {} for s in statuses if s.get("name") == container), {})
        if "running" not in state and "terminated" not in state:
            reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
            raise errors.bad_request(f'container "{container}" in pod "{t.name}" is waiting to start: {reason}')
        started = (state.get("running") or state.get("terminated") or {}).get("startedAt", "")
        node = pod["spec"].get("nodeName", "")
        lines = [
            f"{started} kubesim: container {container} of pod {t.namespace}/{t.name} started on node {node}",
            f"{started} kubesim: image {_image_of(pod, container)} is running",
            f"{started} kubesim: this is simulated output; no process runs in kubesim",
        ]
        if req.q("timestamps") != "true":
            lines = [line.split(" ", 1)[1] for line in lines]
        tail = req.q("tailLines")
        if tail is not None:
            lines = lines[-int(tail) :] if int(tail) > 0 else []
        text = "".join(line + "\n" for line in lines)
        return Response(200, text.encode(), "text/plain")

    def _scale(self, req: Request, t: Target, verb: str) -> Response:
        def scale_of(obj: Obj) -> Obj:
            meta = obj["metadata"]
            selector = (obj["spec"].get("selector") or {}).get("matchLabels") or {}
            return {
                "kind": "Scale",
                "apiVersion": "autoscaling/v1",
                "metadata": {
                    k: meta[k]
                    for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                    if k in meta
                },
                "spec": {"replicas": obj["spec"].get("replicas", 1)},
                "status": {
                    "replicas": (obj.get("status") or {}).get("replicas", 0),
                    "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
                },
            }

        current = self.api.get(t.rt, t.namespace, t.name)
        if verb == "get":
            return _ok(scale_of(current))
        scale = scale_of(current)
        if verb == "update":
            new_scale = self._body(req)
        else:
            ctype = req.header("content-type")
            body = self._patch_body(req, ctype)
            new_scale = (
                json_patch(scale, body) if ctype.startswith("application/json-patch") else json_merge_patch(scale, body)
            )
        rv = (new_scale.get("metadata") or {}).get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(t.rt.group, t.rt.plural, t.name)
        replicas = int((new_scale.get("spec") or {}).get("replicas", 0))
        updated = self.api.mutate(t.rt, t.namespace, t.name, lambda o: o["spec"].update(replicas=replicas))
        if updated is None:
            raise errors.not_found(t.rt.group, t.rt.plural, t.name)
        return _ok(scale_of(updated))

    def _openapi(self, req: Request, path: str) -> Response:
        if path == "/openapi/v2":
            # An empty protobuf Document parses as "no schemas", so kubectl skips client-side validation.
            return Response(200, b"", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        if path == "/openapi/v3":
            return _ok(discovery.openapi_root(self.registry, self.api.crds.schema))
        rest = path[len("/openapi/v3/") :].split("/")
        if rest[0] == "api" and len(rest) == 2:
            group, version = "", rest[1]
        elif rest[0] == "apis" and len(rest) == 3:
            group, version = rest[1], rest[2]
        else:
            return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        if not self.registry.in_group_version(group, version):
            return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        resp = _ok(discovery.openapi_gv(self.registry, group, version, self.api.crds.schema))
        resp.headers["Cache-Control"] = "public, immutable"
        return resp

    def _admin(self, req: Request, path: str) -> Response:
        if self.on_admin is not None:
            answer = self.on_admin(req)
            if answer is not None:
                return answer
        if path == "/_kubesim/faults":
            if req.method == "GET":
                return _ok(self.faults.describe())
            if req.method in ("PUT", "POST"):
                self.faults.configure(yaml.safe_load(req.body) if req.body else {})
                return _ok(self.faults.describe())
            if req.method == "DELETE":
                self.faults.clear()
                return _ok(self.faults.describe())
        if path == "/_kubesim/impersonation":
            if req.method == "GET":
                return _ok(self.impersonation.describe())
            if req.method in ("PUT", "POST"):
                self.impersonation.configure(yaml.safe_load(req.body) if req.body else {})
                return _ok(self.impersonation.describe())
        if path == "/_kubesim/impersonation/log" and req.method == "GET":
            return _ok({"items": list(self.impersonation.log)})
        raise errors.resource_not_found()


def _warned(resp: Response, warnings: list[str]) -> Response:
    """Attach warnings as the apiserver does: `Warning: 299 - "text"`, several in one comma-separated header."""
    if warnings:
        resp.headers["Warning"] = ", ".join(
            '299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in warnings
        )
    return resp


def _manager(req: Request) -> str:
    """Field manager of a non-apply write: the query parameter, else the User-Agent's product name."""
    explicit = req.q("fieldManager")
    if explicit:
        return explicit
    return req.header("user-agent").split("/", 1)[0][:128] or "unknown"


def _image_of(pod: Obj, container: str) -> str:
    for field_name in ("containers", "ephemeralContainers", "initContainers"):
        for c in pod["spec"].get(field_name) or []:
            if c.get("name") == container:
                return str(c.get("image", ""))
    return ""
