"""The render plan: every object a session creates, in creation order, with how each is handled.

Order (docs/behaviour/rendering.md#render-plan): ResourceQuota → PodDisruptionBudget → pod-template extra
documents → auxiliary resources with createBefore → the workload → auxiliary resources created after it.
The worker applies the plan as it is; `dsctl preview` prints it. Nothing here talks to a cluster or reads a
clock.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from domain.base import Frozen
from domain.resolution.resolved import ResolvedSession
from domain.session import TerminalSharingStatus
from rendering import labels as L
from rendering.documents import PodTemplateOutput, classify, parse_document, split_documents
from rendering.errors import RenderingError
from rendering.pod_spec import (
    apply_node_selector,
    apply_scheduling,
    apply_template_overrides,
    enforce_resources,
    wrap_terminal_sharing,
)
from templating.context import RenderInputs, build_context
from templating.engine import render
from templating.errors import TemplateRenderError, TemplateSyntaxError

Step = Literal["resource-quota", "pdb", "pod-template-resource", "auxiliary-before", "workload", "auxiliary-after"]


class PlannedObject(Frozen):
    """One object to apply, and the rules that go with it."""

    step: Step
    source: str
    """`debug-pod`, `debug-resourcequota`, `debug-pdb`, `pod-template`, or `auxiliary:<name>`."""
    manifest: dict[str, Any]
    auxiliary: str | None = None
    category: str = ""
    failure_policy: Literal["fail", "ignore", "warn"] = "fail"
    delete_after: bool = True

    @property
    def ref(self) -> str:
        """`Kind/namespace/name` for logs and errors."""
        meta = self.manifest.get("metadata", {})
        return f"{self.manifest.get('kind')}/{meta.get('namespace', '')}/{meta.get('name', '')}"


class RenderPlan(Frozen):
    """What a session deploys (empty for kubectl-debug mode) and its terminal sharing status."""

    namespace: str
    objects: tuple[PlannedObject, ...] = ()
    terminal_sharing: TerminalSharingStatus | None = None
    warnings: tuple[str, ...] = Field(default_factory=tuple)


def render_inputs(
    session: ResolvedSession, now: datetime, *, auxiliary: bool, approved_by: str | None = None
) -> RenderInputs:
    """The render context inputs of a resolved session (docs/behaviour/rendering.md#render-context)."""
    binding = session.binding
    return RenderInputs(
        session_name=session.name,
        session_namespace=session.namespace,
        cluster=session.cluster.name,
        requested_by=session.requester.username,
        reason=session.reason,
        approved_by=approved_by,
        expires_at=None,  # expiry is set after deployment, as in the reference
        target_namespace=session.target.namespace,
        template_name=session.template_name,
        template_display_name=session.template.display_name,
        binding_name=binding.name if binding else None,
        binding_namespace=binding.namespace if binding else None,
        vars=dict(session.vars),
        now=now,
        enabled_resources=list(session.enabled_auxiliary_resources),
        auxiliary=auxiliary,
    )


def _render(name: str, text: str, context: dict[str, Any], now: datetime) -> str:
    try:
        return render(name, text, context, now=now)
    except (TemplateRenderError, TemplateSyntaxError) as exc:
        raise RenderingError(f"template rendering failed: {exc}") from exc


def build_plan(session: ResolvedSession, now: datetime, approved_by: str | None = None) -> RenderPlan:
    """Render every object of the session. Raises RenderingError with the session's Failed reason."""
    namespace = session.target.namespace
    if session.mode == "kubectl-debug":
        return RenderPlan(namespace=namespace)
    pod_ctx = build_context(render_inputs(session, now, auxiliary=False, approved_by=approved_by))
    aux_ctx = build_context(render_inputs(session, now, auxiliary=True, approved_by=approved_by))
    tpl = session.template
    base = _base_pod(session, pod_ctx, now)
    spec = base.pod_spec
    overrides: dict[str, Any] | None = None
    if tpl.pod_overrides_template:
        rendered = _render(f"{session.template_name}/podOverridesTemplate", tpl.pod_overrides_template, pod_ctx, now)
        parsed = parse_document(rendered, "podOverridesTemplate") if rendered.strip() else None
        overrides = parsed if isinstance(parsed, dict) else None
    apply_template_overrides(spec, tpl, overrides)
    apply_node_selector(spec, session.node_selector)
    apply_scheduling(spec, session.scheduling.constraints)
    enforce_resources(spec, tpl.resource_quota)
    sharing = wrap_terminal_sharing(spec, tpl.terminal_sharing, session.name)

    objects: list[PlannedObject] = []
    objects += _resource_quota(session)
    objects += _pdb(session)
    objects += _pod_template_extras(session, base)
    aux = _auxiliary(session, aux_ctx, now)
    objects += [o for o in aux if o.step == "auxiliary-before"]
    objects.append(_workload(session, base))
    objects += [o for o in aux if o.step == "auxiliary-after"]
    return RenderPlan(namespace=namespace, objects=tuple(objects), terminal_sharing=sharing)


def _base_pod(session: ResolvedSession, ctx: dict[str, Any], now: datetime) -> PodTemplateOutput:
    """Step 1: podTemplateString > DebugPodTemplate templateString > structured template."""
    tpl = session.template
    if tpl.pod_template_string is not None:
        text = _render(f"{session.template_name}/podTemplateString", tpl.pod_template_string, ctx, now)
        return classify(text)
    pod = session.pod_template
    if pod is None:
        raise RenderingError(f"template '{session.template_name}' has no pod template")
    if pod.template_string is not None:
        text = _render(f"DebugPodTemplate/{session.pod_template_name}", pod.template_string, ctx, now)
        return classify(text)
    assert pod.template is not None
    spec = pod.template.spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    meta = pod.template.metadata
    return PodTemplateOutput(
        pod_spec=spec,
        pod_labels=dict(meta.labels) if meta else {},
        pod_annotations=dict(meta.annotations) if meta else {},
    )


def _reserved(session: ResolvedSession) -> dict[str, str]:
    return L.session_labels(session.name, session.template_name, session.cluster.name)


def _binding_labels(session: ResolvedSession) -> tuple[dict[str, str], dict[str, str]]:
    if session.binding is None:
        return {}, {}
    return dict(session.binding.spec.labels), dict(session.binding.spec.annotations)


def _resource_quota(session: ResolvedSession) -> list[PlannedObject]:
    rq = session.template.resource_quota
    if rq is None or not (rq.max_pods or rq.max_cpu or rq.max_memory or rq.max_storage):
        return []
    hard: dict[str, Any] = {}
    if rq.max_pods:
        hard["pods"] = str(rq.max_pods)
    for value, resource in ((rq.max_cpu, "cpu"), (rq.max_memory, "memory"), (rq.max_storage, "ephemeral-storage")):
        if value:
            hard[f"requests.{resource}"] = value
            hard[f"limits.{resource}"] = value
    b_labels, b_annotations = _binding_labels(session)
    manifest = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": f"debug-{session.name}-rq",
            "namespace": session.target.namespace,
            "labels": L.layered(_reserved(session), session.template.labels, b_labels, session.labels),
            "annotations": {**session.template.annotations, **b_annotations, **session.annotations},
        },
        "spec": {"hard": hard},
    }
    return [PlannedObject(step="resource-quota", source="debug-resourcequota", manifest=manifest)]


def _pdb(session: ResolvedSession) -> list[PlannedObject]:
    pdb = session.template.pod_disruption_budget
    if pdb is None or not pdb.enabled or (pdb.min_available is None and pdb.max_unavailable is None):
        return []
    spec: dict[str, Any] = {"selector": {"matchLabels": {L.SESSION: session.name}}}
    if pdb.min_available is not None:
        spec["minAvailable"] = pdb.min_available
    if pdb.max_unavailable is not None:
        spec["maxUnavailable"] = pdb.max_unavailable
    b_labels, _ = _binding_labels(session)
    manifest = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {
            "name": f"debug-{session.name}-pdb",
            "namespace": session.target.namespace,
            "labels": L.layered(_reserved(session), session.template.labels, b_labels, session.labels),
        },
        "spec": spec,
    }
    return [PlannedObject(step="pdb", source="debug-pdb", manifest=manifest)]


def _stamp(doc: dict[str, Any], session: ResolvedSession, marker: dict[str, str], created_by: bool) -> dict[str, Any]:
    """Namespace defaulted to the target; session labels and the source-session annotation added."""
    doc = copy.deepcopy(doc)
    meta = doc.setdefault("metadata", {})
    meta.setdefault("namespace", session.target.namespace)
    meta["labels"] = {
        **(meta.get("labels") or {}),
        **L.extra_resource_labels(session.name, session.cluster.name, marker),
    }
    annotations = dict(meta.get("annotations") or {})
    if created_by:
        annotations[L.CREATED_BY] = session.requester.username
    annotations[L.SOURCE_SESSION] = f"{session.namespace}/{session.name}"
    meta["annotations"] = annotations
    return doc


def _pod_template_extras(session: ResolvedSession, base: PodTemplateOutput) -> list[PlannedObject]:
    return [
        PlannedObject(
            step="pod-template-resource",
            source="pod-template",
            manifest=_stamp(doc, session, {L.POD_TEMPLATE_RESOURCE: "true"}, created_by=False),
        )
        for doc in base.extras
    ]


def _auxiliary(session: ResolvedSession, ctx: dict[str, Any], now: datetime) -> list[PlannedObject]:
    out: list[PlannedObject] = []
    enabled = set(session.enabled_auxiliary_resources)
    for aux in session.template.auxiliary_resources:
        if aux.name not in enabled:
            continue
        if aux.template_string is not None:
            text = _render(f"{session.template_name}/auxiliaryResources/{aux.name}", aux.template_string, ctx, now)
            docs = [parse_document(d, f"document {i}") for i, d in enumerate(split_documents(text), start=1)]
        else:
            # The structured form is rendered field by field: its strings may hold template actions.
            docs = [_render_object(aux.template, f"{session.template_name}/auxiliaryResources/{aux.name}", ctx, now)]
        for i, doc in enumerate(docs, start=1):
            if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
                raise RenderingError(
                    f"auxiliary resource {aux.name}: document {i} is not a valid Kubernetes resource "
                    "(missing apiVersion or kind)"
                )
            out.append(
                PlannedObject(
                    step="auxiliary-before" if aux.create_before else "auxiliary-after",
                    source=f"auxiliary:{aux.name}",
                    manifest=_stamp(doc, session, {L.AUX_RESOURCE: aux.name}, created_by=True),
                    auxiliary=aux.name,
                    category=aux.category,
                    failure_policy=aux.effective_failure_policy(),
                    delete_after=aux.delete_after,
                )
            )
    return out


def _render_object(value: Any, name: str, ctx: dict[str, Any], now: datetime) -> Any:
    if isinstance(value, str):
        return _render(name, value, ctx, now) if "{{" in value else value
    if isinstance(value, list):
        return [_render_object(v, name, ctx, now) for v in value]
    if isinstance(value, dict):
        return {k: _render_object(v, name, ctx, now) for k, v in value.items()}
    return value


def _workload(session: ResolvedSession, base: PodTemplateOutput) -> PlannedObject:
    tpl = session.template
    kind = tpl.workload_type or "DaemonSet"
    reserved = _reserved(session)
    b_labels, b_annotations = _binding_labels(session)
    pod_meta_labels = base.pod_labels
    all_labels = L.layered(
        {**reserved, L.MANAGED_BY: L.MANAGED_BY_VALUE},
        tpl.labels,
        b_labels,
        session.labels,
        pod_meta_labels,
    )
    annotations = {**tpl.annotations, **b_annotations, **base.pod_annotations, **session.annotations}
    spec = copy.deepcopy(base.pod_spec)
    spec["restartPolicy"] = "Always"
    replicas = tpl.replicas
    rq = tpl.resource_quota
    if kind == "Deployment" and rq is not None and rq.max_pods is not None and replicas > rq.max_pods:
        raise RenderingError(f"replicas ({replicas}) exceed resourceQuota.maxPods ({rq.max_pods})")
    if base.workload is not None:
        manifest_kind = base.workload.get("kind")
        if manifest_kind != kind:
            raise RenderingError(
                f"templateString produces a {manifest_kind} but workloadType is {kind}: these must match"
            )
        manifest = copy.deepcopy(base.workload)
        if kind == "Deployment" and not tpl.given("replicas"):
            replicas = manifest.get("spec", {}).get("replicas") or 1
    else:
        manifest = {"apiVersion": "apps/v1", "kind": kind, "spec": {}}
    manifest["metadata"] = {
        "name": session.name,
        "namespace": session.target.namespace,
        "labels": all_labels,
        "annotations": annotations,
    }
    body = manifest.setdefault("spec", {})
    body["selector"] = {"matchLabels": {L.SESSION: session.name}}
    template_meta = body.get("template", {}).get("metadata") or {}
    body["template"] = {
        "metadata": {
            "labels": {**(template_meta.get("labels") or {}), **all_labels},
            "annotations": {**(template_meta.get("annotations") or {}), **annotations},
        },
        "spec": spec,
    }
    if kind == "Deployment":
        body["replicas"] = replicas
    else:
        body.pop("replicas", None)
    # apiVersion, kind, metadata, spec first: the order kubectl users read manifests in
    ordered = {k: manifest[k] for k in ("apiVersion", "kind", "metadata", "spec")}
    ordered.update({k: v for k, v in manifest.items() if k not in ordered})
    return PlannedObject(step="workload", source="debug-pod", manifest=ordered)
