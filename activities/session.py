"""The session's side effects on its target cluster: deploy, keep pods current, clean up.

Sync activities (the official client is synchronous): the worker runs them in its thread pool. Every
object comes from the render plan, with deterministic names and session labels, and is applied with
server-side apply, so a retried activity never duplicates anything. Policy problems (rendering, namespace
rules, 403/422 from the cluster) fail the session at once; everything else is retried by Temporal.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import Heartbeat
from activities.kubectl_debug import KubectlDebugActivities, remove_unrecorded_debug_pods
from activities.metrics import WorkerMetrics
from activities.readiness import readiness
from domain.resolution.namespaces import evaluate_label_checks
from domain.resolution.resolved import ResolvedCluster, ResolvedSession
from domain.session import (
    AdditionalResourceStatus,
    AllowedPod,
    AuxiliaryResourceStatus,
    DeployedResource,
    PodTemplateResourceStatus,
)
from kube.client import ClusterClient
from kube.errors import KubeError
from kube.pods import allowed_pod
from rendering import labels as L
from rendering.errors import RenderingError
from rendering.plan import PlannedObject, RenderPlan, build_plan
from workflows.models import (
    CLEANUP_ACTIVITY,
    DEPLOY_ACTIVITY,
    REFRESH_PODS_ACTIVITY,
    CleanupInput,
    CleanupResult,
    DeployInput,
    DeployResult,
    RefreshPodsInput,
    RefreshPodsResult,
)

log = logging.getLogger("debug_sessions.activities")


@dataclass(frozen=True)
class ActivitySettings:
    """How long deploy waits for the session's pods, and how often it looks."""

    pod_ready_timeout: timedelta = timedelta(seconds=60)
    aux_ready_timeout: timedelta = timedelta(seconds=30)
    """How long deploy waits for auxiliary resources to become Current (readiness never fails a session)."""
    poll_interval: timedelta = timedelta(milliseconds=250)


def _fail(message: str, partial: DeployResult | None = None, kind: str = "DeployFailed") -> ApplicationError:
    details = [partial.model_dump(mode="json", by_alias=False)] if partial is not None else []
    return ApplicationError(message, *details, type=kind, non_retryable=True)


class SessionActivities:
    """Activities with a cache of cluster clients (one per cluster and identity)."""

    def __init__(self, settings: ActivitySettings | None = None, metrics: WorkerMetrics | None = None) -> None:
        self.settings = settings or ActivitySettings()
        self.metrics = metrics or WorkerMetrics()
        self._clients: dict[tuple[str, str | None, str | None], ClusterClient] = {}
        self._lock = threading.Lock()
        self.kubectl_debug = KubectlDebugActivities(self.client)

    def client(self, cluster: ResolvedCluster, impersonate: str | None = None) -> ClusterClient:
        """The cached client for a cluster (and impersonated identity)."""
        key = (cluster.kubeconfig_path, cluster.kubeconfig_context, impersonate)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = ClusterClient(cluster.kubeconfig_path, cluster.kubeconfig_context, impersonate)
            return self._clients[key]

    def close(self) -> None:
        """Close every client."""
        with self._lock:
            for c in self._clients.values():
                c.close()
            self._clients.clear()

    def all(self) -> list[Any]:
        """The activity callables to register with a worker."""
        return [self.deploy, self.refresh_pods, self.cleanup, *self.kubectl_debug.all()]

    # --- deploy ----------------------------------------------------------------------------------

    @activity.defn(name=DEPLOY_ACTIVITY)
    def deploy(self, input: DeployInput) -> DeployResult:
        """Render and apply everything in order, then wait (heartbeating) for the session's pods."""
        with Heartbeat() as heartbeat:
            try:
                result = self._deploy(input, heartbeat)
            except ApplicationError as exc:
                partial = exc.details[0] if exc.details and isinstance(exc.details[0], dict) else None
                if partial is not None:
                    self._count_aux(input.session, DeployResult.model_validate(partial).auxiliary_resource_statuses)
                raise
            self._count_aux(input.session, result.auxiliary_resource_statuses)
            return result

    def _count_aux(self, session: ResolvedSession, statuses: tuple[AuxiliaryResourceStatus, ...]) -> None:
        for aux in statuses:
            status = "success" if aux.created else "failure"
            self.metrics.aux_deployments.labels(session.cluster.name, aux.category, status).inc()

    def _deploy(self, input: DeployInput, heartbeat: Heartbeat) -> DeployResult:
        session = input.session
        try:
            plan = build_plan(session, datetime.now(UTC), input.approved_by)
        except RenderingError as exc:
            raise _fail(str(exc), kind="RenderFailed") from exc
        if not plan.objects:
            return DeployResult(terminal_sharing=plan.terminal_sharing)
        controller = self.client(session.cluster)
        deployer = self._deployer(session, controller)
        skipped = self._prepare_namespace(session, deployer)
        if skipped is not None:
            return DeployResult(warnings=(skipped,))
        result = DeployResult(terminal_sharing=plan.terminal_sharing)
        for obj in plan.objects:
            heartbeat(obj.ref)
            result = self._apply(deployer, obj, result)
        pods = self._wait_for_pods(session, controller, plan, heartbeat)
        statuses = self._aux_readiness(deployer, result.auxiliary_resource_statuses, heartbeat)
        return result.model_copy(update={"allowed_pods": pods, "auxiliary_resource_statuses": statuses})

    def _aux_readiness(
        self, client: ClusterClient, statuses: tuple[AuxiliaryResourceStatus, ...], heartbeat: Heartbeat
    ) -> tuple[AuxiliaryResourceStatus, ...]:
        """Poll created auxiliary resources (and their additional documents) until each is Current or
        Failed, or the timeout; record kstatus-style readiness on each entry."""
        if not any(entry.created for entry in statuses):
            return statuses  # nothing was created: nothing to look at
        deadline = time.monotonic() + self.settings.aux_ready_timeout.total_seconds()
        current = statuses
        while True:
            current, pending = self._aux_pass(client, current, settled_too=False)
            heartbeat("auxiliary readiness")
            if not pending or time.monotonic() >= deadline:
                return current
            time.sleep(self.settings.poll_interval.total_seconds())

    def _aux_pass(
        self, client: ClusterClient, statuses: tuple[AuxiliaryResourceStatus, ...], *, settled_too: bool
    ) -> tuple[tuple[AuxiliaryResourceStatus, ...], bool]:
        """One look at every created auxiliary resource (and its additional documents): the updated entries
        and whether any is still InProgress. `settled_too` looks again at Current/Failed ones (while the
        session is Active, readiness can change both ways)."""
        looked = ("InProgress", "") if not settled_too else ("InProgress", "", "Current", "Failed")
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        current: list[AuxiliaryResourceStatus] = []
        pending = False
        for entry in statuses:
            if not entry.created or entry.deleted:
                current.append(entry)
                continue
            if entry.readiness_status in looked:
                state, why = self._ready(client, entry.api_version, entry.kind, entry.resource_name, entry.namespace)
                entry = entry.model_copy(
                    update={
                        "readiness_status": state,
                        "ready": state == "Current",
                        "ready_at": (entry.ready_at or now) if state == "Current" else "",
                        "error": why if state == "Failed" else entry.error,
                    }
                )
            extra = []
            for more in entry.additional_resources:
                if not (more.error and more.readiness_status != "Failed") and more.readiness_status in looked:
                    state, why = self._ready(client, more.api_version, more.kind, more.resource_name, more.namespace)
                    more = more.model_copy(
                        update={
                            "readiness_status": state,
                            "ready": state == "Current",
                            "error": why if state == "Failed" else more.error,
                        }
                    )
                extra.append(more)
                pending |= more.readiness_status == "InProgress"
            current.append(entry.model_copy(update={"additional_resources": extra}))
            pending |= entry.readiness_status == "InProgress"
        return tuple(current), pending

    def _ready(self, client: ClusterClient, api_version: str, kind: str, name: str, namespace: str) -> tuple[str, str]:
        live = self._call(lambda: client.get(api_version, kind, name, namespace or None))
        if live is None:
            return "Failed", "the object is gone"
        return readiness(live)

    def _deployer(self, session: ResolvedSession, controller: ClusterClient) -> ClusterClient:
        """Only serviceAccountRef takes effect; it must exist on the target cluster
        (docs/behaviour/lifecycle.md#impersonation)."""
        imp = session.impersonation
        ref = imp.service_account_ref if imp is not None else None
        if ref is None:
            return controller
        if not self._call(lambda: controller.service_account_exists(ref.namespace, ref.name)):
            raise _fail(
                "impersonation validation failed: impersonation ServiceAccount "
                f"{ref.namespace}/{ref.name} not found in spoke cluster"
            )
        return self.client(session.cluster, f"system:serviceaccount:{ref.namespace}:{ref.name}")

    def _prepare_namespace(self, session: ResolvedSession, client: ClusterClient) -> str | None:
        """Create or check the target namespace and evaluate label rules (fail closed, DESIGN 13).

        Returns a warning when `failMode: open` skips the deployment of a missing namespace.
        """
        target = session.target
        ns = target.namespace
        labels = self._call(lambda: client.namespace_labels(ns))
        if labels is None and target.create_if_not_exists:
            self._call(lambda: client.create_namespace(ns, dict(target.namespace_labels)))
            labels = self._call(lambda: client.namespace_labels(ns))
        if labels is None:
            if session.template.fail_mode == "open":
                return f"target namespace {ns} does not exist; nothing deployed (failMode: open)"
            reason = f"namespace '{ns}' does not exist on cluster '{session.cluster.name}'"
            if target.label_checks:
                raise _fail(evaluate_label_checks(target.label_checks, ns, None, reason) or reason)
            raise _fail(f"target namespace {ns} does not exist")
        problem = evaluate_label_checks(target.label_checks, ns, labels)
        if problem is not None:
            raise _fail(problem)
        return None

    def _apply(self, client: ClusterClient, obj: PlannedObject, result: DeployResult) -> DeployResult:
        """Apply one object; record it; honour the auxiliary failure policy."""
        meta = obj.manifest.get("metadata", {})
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            applied = client.apply(obj.manifest)
        except KubeError as exc:
            if exc.retryable:
                raise  # Temporal retries the activity; re-applying is idempotent
            if obj.auxiliary is not None and obj.failure_policy != "fail":
                warning = f"auxiliary resource {obj.auxiliary} ({obj.ref}) not deployed ({obj.failure_policy}): {exc}"
                log.warning("%s", warning)
                status = self._aux_status(
                    obj, result, error=f"SSA apply failed for {obj.manifest['kind']}/{meta.get('name')}: {exc}"
                )
                return result.model_copy(
                    update={"warnings": (*result.warnings, warning), "auxiliary_resource_statuses": status}
                )
            what = "required auxiliary resource " + obj.auxiliary if obj.auxiliary else obj.ref
            raise _fail(f"failed to deploy {what}: {exc}", result) from exc
        deployed = DeployedResource(
            api_version=obj.manifest["apiVersion"],
            kind=obj.manifest["kind"],
            name=meta.get("name", ""),
            namespace=meta.get("namespace", "") or "",
            source=obj.source,
            uid=(applied.get("metadata") or {}).get("uid", ""),
        )
        update: dict[str, Any] = {"deployed_resources": (*result.deployed_resources, deployed)}
        if obj.auxiliary is not None:
            update["auxiliary_resource_statuses"] = self._aux_status(obj, result, created_at=now)
        elif obj.source == "pod-template":
            entry = PodTemplateResourceStatus(
                kind=deployed.kind,
                api_version=deployed.api_version,
                resource_name=deployed.name,
                namespace=deployed.namespace,
                created=True,
                created_at=now,
            )
            update["pod_template_resource_statuses"] = (*result.pod_template_resource_statuses, entry)
        return result.model_copy(update=update)

    @staticmethod
    def _aux_status(
        obj: PlannedObject, result: DeployResult, created_at: str = "", error: str = ""
    ) -> tuple[AuxiliaryResourceStatus, ...]:
        """The first document of an auxiliary resource is its entry; later ones are additionalResources."""
        meta = obj.manifest.get("metadata", {})
        statuses = list(result.auxiliary_resource_statuses)
        index = next((i for i, s in enumerate(statuses) if s.name == obj.auxiliary), None)
        if index is None:
            statuses.append(
                AuxiliaryResourceStatus(
                    name=obj.auxiliary or "",
                    category=obj.category,
                    kind=obj.manifest["kind"],
                    api_version=obj.manifest["apiVersion"],
                    resource_name=meta.get("name", ""),
                    namespace=meta.get("namespace", "") or "",
                    created=not error,
                    created_at=created_at,
                    error=error,
                )
            )
        else:
            entry = statuses[index]
            extra = entry.additional_resources
            more = AdditionalResourceStatus(
                kind=obj.manifest["kind"],
                api_version=obj.manifest["apiVersion"],
                resource_name=meta.get("name", ""),
                namespace=meta.get("namespace", "") or "",
                error=error,
            )
            statuses[index] = entry.model_copy(update={"additional_resources": [*extra, more]})
        return tuple(statuses)

    def _wait_for_pods(
        self, session: ResolvedSession, client: ClusterClient, plan: RenderPlan, heartbeat: Heartbeat
    ) -> tuple[AllowedPod, ...]:
        """Poll (heartbeating) until the workload's pods are Ready, or the timeout; return what exists."""
        workload = next((o for o in plan.objects if o.step == "workload"), None)
        if workload is None:
            return ()
        deadline = time.monotonic() + self.settings.pod_ready_timeout.total_seconds()
        pods: tuple[AllowedPod, ...] = ()
        while True:
            pods = tuple(allowed_pod(p) for p in self._call(lambda: client.list_pods(f"{L.SESSION}={session.name}")))
            expected = self._expected_pods(client, workload)
            heartbeat(f"{sum(p.ready for p in pods)}/{expected} pods ready")
            if expected is not None and len(pods) >= expected and all(p.ready for p in pods):
                return pods
            if time.monotonic() >= deadline:
                log.warning("session %s: pods not all ready after %s", session.name, self.settings.pod_ready_timeout)
                return pods
            time.sleep(self.settings.poll_interval.total_seconds())

    def _expected_pods(self, client: ClusterClient, workload: PlannedObject) -> int | None:
        m = workload.manifest
        if m["kind"] == "Deployment":
            return int(m["spec"].get("replicas", 1))
        live = self._call(
            lambda: client.get(m["apiVersion"], m["kind"], m["metadata"]["name"], m["metadata"]["namespace"])
        )
        desired = ((live or {}).get("status") or {}).get("desiredNumberScheduled")
        return int(desired) if desired is not None else None

    @staticmethod
    def _call(fn: Any) -> Any:
        """Run a client call; policy errors fail the session, transient ones are retried by Temporal."""
        try:
            return fn()
        except KubeError as exc:
            if exc.retryable:
                raise
            raise _fail(str(exc)) from exc

    # --- refresh ---------------------------------------------------------------------------------

    @activity.defn(name=REFRESH_PODS_ACTIVITY)
    def refresh_pods(self, input: RefreshPodsInput) -> RefreshPodsResult:
        """The session's pods now (labelled pods, plus known pods that carry no session label)."""
        with Heartbeat():
            return self._refresh_pods(input)

    def _refresh_pods(self, input: RefreshPodsInput) -> RefreshPodsResult:
        client = self.client(input.session.cluster)
        pods = [allowed_pod(p) for p in client.list_pods(f"{L.SESSION}={input.session.name}")]
        names = {(p.namespace, p.name) for p in pods}
        # Pods that received an injected ephemeral container have no session label: keep them.
        kept = [
            p for p in input.known if (p.namespace, p.name) not in names and not p.name.startswith(input.session.name)
        ]
        return RefreshPodsResult(allowed_pods=tuple(pods + kept), auxiliary_resource_statuses=self._recheck(input))

    def _recheck(self, input: RefreshPodsInput) -> tuple[AuxiliaryResourceStatus, ...] | None:
        """Auxiliary readiness while Active, or None when unchanged or unknowable right now (a cluster
        error here never costs the pod refresh)."""
        if not any(a.created and not a.deleted for a in input.auxiliary):
            return None
        try:
            statuses, _ = self._aux_pass(self.client(input.session.cluster), input.auxiliary, settled_too=True)
        except (KubeError, ApplicationError) as exc:
            log.warning("session %s: auxiliary readiness not re-checked: %s", input.session.name, exc)
            return None
        return statuses if statuses != input.auxiliary else None

    # --- cleanup ---------------------------------------------------------------------------------

    @activity.defn(name=CLEANUP_ACTIVITY)
    def cleanup(self, input: CleanupInput) -> CleanupResult:
        """Delete in reverse creation order with UID preconditions; 404 is success; raise while any remain."""
        pending = self.metrics.cleanups
        pending.started(input.session.name, activity.info().scheduled_time.timestamp())
        with Heartbeat() as heartbeat:
            result = self._cleanup(input, heartbeat)
        pending.done(input.session.name)
        kept = {a.name for a in input.auxiliary_resource_statuses if not self._delete_after(input.session, a.name)}
        for aux in input.auxiliary_resource_statuses:
            if aux.created and aux.name not in kept:
                self.metrics.aux_cleanups.labels(input.session.cluster.name, aux.category, "success").inc()
        return result

    def _cleanup(self, input: CleanupInput, heartbeat: Heartbeat) -> CleanupResult:
        session = input.session
        client = self.client(session.cluster)
        keep = {
            (s.kind, s.resource_name)
            for s in input.auxiliary_resource_statuses
            if not self._delete_after(session, s.name)
        }
        remaining: list[DeployedResource] = []
        errors: list[str] = []
        for res in reversed(input.deployed_resources):
            if (res.kind, res.name) in keep:
                continue
            heartbeat(f"{res.kind}/{res.namespace}/{res.name}")
            try:
                client.delete(res.api_version, res.kind, res.name, res.namespace or None, res.uid or None)
            except KubeError as exc:
                remaining.append(res)
                errors.append(f"{res.kind}/{res.namespace}/{res.name}: {exc}")
        errors += self._remove_unrecorded(session, client, input.deployed_resources)
        if session.mode != "workload":
            errors += remove_unrecorded_debug_pods(client, session.name)
        if remaining or errors:
            raise ApplicationError("cleanup incomplete: " + "; ".join(errors), type="CleanupIncomplete")
        return CleanupResult()

    def _remove_unrecorded(
        self, session: ResolvedSession, client: ClusterClient, recorded: tuple[DeployedResource, ...]
    ) -> list[str]:
        """Objects a deploy created but never reported (its attempt died, or the session was cancelled
        mid-deploy): names are deterministic, so re-render the plan and remove what still carries this
        session's label. An object of that name without our label is someone else's and stays."""
        try:
            plan = build_plan(session, datetime.now(UTC))
        except RenderingError:
            return []  # a plan that does not render was never applied
        known = {(r.kind, r.namespace, r.name) for r in recorded}
        errors: list[str] = []
        for obj in reversed(plan.objects):
            if obj.auxiliary is not None and not self._delete_after(session, obj.auxiliary):
                continue
            meta = obj.manifest["metadata"]
            if (obj.manifest["kind"], meta.get("namespace", ""), meta["name"]) in known:
                continue
            try:
                live = client.get(obj.manifest["apiVersion"], obj.manifest["kind"], meta["name"], meta.get("namespace"))
                labels = ((live or {}).get("metadata") or {}).get("labels") or {}
                if session.name not in (labels.get(L.SESSION), labels.get(L.AUX_SESSION)):
                    continue
                uid = (live or {}).get("metadata", {}).get("uid")
                client.delete(
                    obj.manifest["apiVersion"], obj.manifest["kind"], meta["name"], meta.get("namespace"), uid
                )
                log.warning("session %s: removed unrecorded %s", session.name, obj.ref)
            except KubeError as exc:
                errors.append(f"{obj.ref}: {exc}")
        return errors

    @staticmethod
    def _delete_after(session: ResolvedSession, aux_name: str) -> bool:
        aux = next((a for a in session.template.auxiliary_resources if a.name == aux_name), None)
        return aux is None or aux.delete_after
