"""Admission rules per kind (docs/behaviour/catalog.md), each finding naming its field path.

Structural checks (types, enums, required fields) happen in the pydantic models; these rules are the
ones that look at several fields at once or at the content of strings. They run only on documents that
validated structurally, and they collect every finding instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from domain.auxiliary import AuxiliaryResource
from domain.binding import DebugSessionClusterBinding
from domain.catalog.manifest_checks import dry_run, go_syntax, pod_template_first_document
from domain.cluster import ClusterConfig
from domain.diagnostics import Finding, error, join_key, join_path, warning
from domain.durations import CRD_PATTERN, DurationError, parse_duration
from domain.extra_vars import ExtraDeployVariable
from domain.globs import is_glob, match_pattern
from domain.impersonation import ImpersonationConfig
from domain.meta import ObjectMeta
from domain.namespaces import NamespaceConstraints
from domain.pod_template import DebugPodTemplate
from domain.policy import (
    ApprovalReasonConfig,
    DebugSessionConstraints,
    NotificationConfig,
    RequestReasonConfig,
)
from domain.quantity import QuantityError, parse_quantity
from domain.scheduling import SchedulingOptions
from domain.session import DebugSession
from domain.session_template import DebugSessionTemplate

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CATEGORY = re.compile(r"^[a-z0-9-]+$")
_GO_IDENTIFIER = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
IMPERSONATION_MODES = ("user-info", "serviceaccount", "arbitrary-node", "associated-node", "legacy")


# --- shared pieces ---------------------------------------------------------------------------------


def metadata_rules(meta: ObjectMeta, namespaced: bool = False) -> list[Finding]:
    """metadata.name must be a DNS subdomain (as for any Kubernetes object)."""
    out: list[Finding] = []
    if not meta.name:
        out.append(error("metadata.name", "required field is missing"))
    elif len(meta.name) > 253 or not _DNS_SUBDOMAIN.match(meta.name):
        out.append(
            error(
                "metadata.name",
                f'"{meta.name}" is not a valid name: a lowercase RFC 1123 subdomain must consist of lower '
                "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                "character",
            )
        )
    if namespaced and meta.namespace is not None and not _DNS_LABEL.match(meta.namespace):
        out.append(error("metadata.namespace", f'"{meta.namespace}" is not a valid namespace name (RFC 1123 label)'))
    return out


def duration_rule(value: str | None, path: str, crd_pattern: bool = False) -> list[Finding]:
    """`value` must parse as a duration (and match the CRD's storage pattern when `crd_pattern`)."""
    if value is None:
        return []
    try:
        parse_duration(value)
    except DurationError as exc:
        return [error(path, str(exc))]
    if crd_pattern and not CRD_PATTERN.match(value):
        return [
            error(
                path,
                f'invalid duration "{value}": use whole numbers with units ns, us, ms, s, m, h, d '
                '(e.g. "90m", "1h30m", "1d")',
            )
        ]
    return []


def constraints_rules(c: DebugSessionConstraints | None, path: str) -> list[Finding]:
    """Durations parse; a default longer than the maximum is reported."""
    if c is None:
        return []
    out = duration_rule(c.max_duration, join_path(path, "maxDuration"), crd_pattern=True)
    out += duration_rule(c.default_duration, join_path(path, "defaultDuration"), crd_pattern=True)
    both = not out and c.given("max_duration") and c.given("default_duration")
    if both and parse_duration(c.default_duration) > parse_duration(c.max_duration):
        out.append(
            warning(
                join_path(path, "defaultDuration"),
                f"defaultDuration {c.default_duration} exceeds maxDuration {c.max_duration}: "
                "requests without a duration will be refused",
            )
        )
    return out


def scheduling_options_rules(opts: SchedulingOptions | None, path: str) -> list[Finding]:
    """≥1 option; names unique; displayName required; at most one default."""
    if opts is None:
        return []
    if not opts.options:
        return [error(join_path(path, "options"), "at least one scheduling option is required")]
    out: list[Finding] = []
    seen: dict[str, int] = {}
    defaults = 0
    for i, opt in enumerate(opts.options):
        p = join_path(join_path(path, "options"), i)
        if opt.name in seen:
            out.append(
                error(
                    join_path(p, "name"),
                    f'duplicate option name "{opt.name}" (also options[{seen[opt.name]}])',
                )
            )
        seen.setdefault(opt.name, i)
        if not opt.display_name:
            out.append(error(join_path(p, "displayName"), "required field is missing"))
        defaults += opt.default
    if defaults > 1:
        out.append(error(join_path(path, "options"), f"at most one option may be the default, found {defaults}"))
    return out


def namespace_constraints_rules(nc: NamespaceConstraints | None, path: str) -> list[Finding]:
    """Filters non-empty when present; defaultNamespace allowed and not denied; odd combinations warned."""
    if nc is None:
        return []
    out: list[Finding] = []
    default = nc.default_namespace
    for key, flt in (
        ("allowedNamespaces", nc.allowed_namespaces),
        ("deniedNamespaces", nc.denied_namespaces),
    ):
        if flt is not None and flt.is_empty():
            out.append(error(join_path(path, key), "must have at least one pattern or selectorTerm when present"))
    allowed = nc.allowed_namespaces
    only_patterns = allowed is not None and allowed.patterns and not allowed.selector_terms
    if allowed is not None and only_patterns and not any(match_pattern(p, default) for p in allowed.patterns):
        literal = "" if any(is_glob(p) for p in allowed.patterns) else " literally"
        out.append(
            error(
                join_path(path, "defaultNamespace"),
                f'defaultNamespace "{default}" must{literal} match allowedNamespaces.patterns {allowed.patterns}',
            )
        )
    denied = nc.denied_namespaces
    if denied is not None and any(match_pattern(p, default) for p in denied.patterns):
        out.append(
            error(
                join_path(path, "defaultNamespace"),
                f'defaultNamespace "{default}" is denied by deniedNamespaces.patterns {denied.patterns}',
            )
        )
    if nc.allow_user_namespace and nc.deny_user_namespace:
        out.append(
            warning(
                join_path(path, "denyUserNamespace"),
                "denyUserNamespace=true overrides allowUserNamespace=true: only defaultNamespace may be used",
            )
        )
    if nc.namespace_labels and not nc.create_if_not_exists:
        out.append(
            warning(
                join_path(path, "namespaceLabels"),
                "namespaceLabels only apply when createIfNotExists is true",
            )
        )
    return out


def impersonation_rules(imp: ImpersonationConfig | None, path: str) -> list[Finding]:
    """The impersonation rules (docs/behaviour/catalog.md#impersonation)."""
    if imp is None:
        return []
    out: list[Finding] = []
    mode = imp.mode
    sa = imp.service_account_ref
    if mode is not None and mode not in IMPERSONATION_MODES:
        return [
            error(
                join_path(path, "mode"),
                f'unknown impersonation mode "{mode}" (expected one of: {", ".join(IMPERSONATION_MODES)})',
            )
        ]
    if mode == "associated-node":
        out.append(error(join_path(path, "mode"), 'mode "associated-node" is not supported for debug sessions'))
    if sa is None and mode is None:
        out.append(error(join_path(path, "serviceAccountRef"), "required field is missing"))
    if sa is not None and imp.user_name:
        out.append(error(join_path(path, "userName"), "userName and serviceAccountRef are mutually exclusive"))
    if sa is not None and mode == "user-info":
        out.append(error(join_path(path, "serviceAccountRef"), 'cannot be used with mode "user-info"'))
    for i, group in enumerate(imp.groups):
        if group == "system:masters":
            out.append(
                error(
                    join_path(join_path(path, "groups"), i),
                    'impersonating group "system:masters" is forbidden',
                )
            )
        elif mode not in (None, "legacy") and not group:
            out.append(error(join_path(join_path(path, "groups"), i), "must not be empty"))
    if mode not in (None, "legacy"):
        for key, values in imp.extra.items():
            p = join_key(join_path(path, "extra"), key)
            if not key or key != key.lower():
                out.append(error(p, "extra keys must be non-empty and lowercase"))
            if not values or any(not v for v in values):
                out.append(error(p, "extra values must be non-empty"))
    if mode == "serviceaccount" and imp.user_name and not imp.user_name.startswith("system:serviceaccount:"):
        out.append(
            error(join_path(path, "userName"), 'must start with "system:serviceaccount:" in mode serviceaccount')
        )
    if mode == "arbitrary-node" and imp.user_name and not imp.user_name.startswith("system:node:"):
        out.append(error(join_path(path, "userName"), 'must be "system:node:<name>" in mode arbitrary-node'))
    if mode in ("serviceaccount", "arbitrary-node", "associated-node"):
        for key, present in (
            ("uid", bool(imp.uid)),
            ("groups", bool(imp.groups)),
            ("extra", bool(imp.extra)),
        ):
            if present:
                out.append(error(join_path(path, key), f'must not be set in mode "{mode}"'))
    return out


def notification_rules(n: NotificationConfig | None, path: str) -> list[Finding]:
    """Additional recipients look like e-mail addresses; exclusions are non-empty."""
    if n is None:
        return []
    out: list[Finding] = []
    for i, rcpt in enumerate(n.additional_recipients):
        if not rcpt or "@" not in rcpt:
            out.append(
                error(
                    join_path(join_path(path, "additionalRecipients"), i),
                    f'"{rcpt}" is not an e-mail address',
                )
            )
    if n.excluded_recipients is not None:
        for key, items in (("users", n.excluded_recipients.users), ("groups", n.excluded_recipients.groups)):
            for i, item in enumerate(items):
                if not item.strip():
                    out.append(
                        error(
                            join_path(join_path(join_path(path, "excludedRecipients"), key), i),
                            "must not be empty",
                        )
                    )
    return out


def request_reason_rules(r: RequestReasonConfig | None, path: str) -> list[Finding]:
    """minLength ≤ maxLength; suggested reasons non-empty and unique."""
    if r is None:
        return []
    out: list[Finding] = []
    if r.min_length > r.max_length:
        out.append(
            error(
                join_path(path, "minLength"),
                f"minLength ({r.min_length}) must not exceed maxLength ({r.max_length})",
            )
        )
    counts = Counter(r.suggested_reasons)
    for i, reason in enumerate(r.suggested_reasons):
        p = join_path(join_path(path, "suggestedReasons"), i)
        if not reason.strip():
            out.append(error(p, "must not be empty"))
        elif counts[reason] > 1 and r.suggested_reasons.index(reason) != i:
            out.append(error(p, f'duplicate suggested reason "{reason}"'))
    return out


def approval_reason_rules(a: ApprovalReasonConfig | None, path: str) -> list[Finding]:
    """minLength ≥ 0."""
    if a is not None and a.min_length < 0:
        return [error(join_path(path, "minLength"), f"must be >= 0, got {a.min_length}")]
    return []


def _unique_names(names: Iterable[str], path: str, what: str) -> list[Finding]:
    out: list[Finding] = []
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            out.append(
                error(
                    join_path(join_path(path, i), "name"),
                    f'duplicate {what} name "{name}" (also [{first[name]}])',
                )
            )
        first.setdefault(name, i)
    return out


# --- DebugPodTemplate ------------------------------------------------------------------------------


def pod_template_rules(t: DebugPodTemplate) -> list[Finding]:
    """The DebugPodTemplate rules (docs/behaviour/catalog.md#debugpodtemplate)."""
    out = metadata_rules(t.metadata)
    spec = t.spec
    if spec.template is None and spec.template_string is None:
        out.append(error("spec", "either template or templateString must be specified"))
    elif spec.template is not None and spec.template_string is not None:
        out.append(error("spec.templateString", "template and templateString are mutually exclusive"))
    if spec.template_string is not None:
        path = "spec.templateString"
        checked = go_syntax(spec.template_string, path, f"DebugPodTemplate/{t.metadata.name}")
        checked = checked or pod_template_first_document(spec.template_string, path)
        out += checked or dry_run(spec.template_string, path, f"DebugPodTemplate/{t.metadata.name}")
    if spec.template is not None:
        containers = spec.template.spec.containers
        path = "spec.template.spec.containers"
        if not containers:
            out.append(error(path, "at least one container is required"))
        seen: dict[str, int] = {}
        for i, c in enumerate(containers):
            name = c.get("name")
            if not name:
                out.append(error(join_path(join_path(path, i), "name"), "required field is missing"))
            elif name in seen:
                out.append(
                    error(
                        join_path(join_path(path, i), "name"),
                        f'duplicate container name "{name}" (also [{seen[name]}])',
                    )
                )
            else:
                seen[name] = i
    return out


# --- DebugSessionTemplate --------------------------------------------------------------------------


def session_template_rules(t: DebugSessionTemplate) -> list[Finding]:
    """The DebugSessionTemplate rules (docs/behaviour/catalog.md#debugsessiontemplate)."""
    out = metadata_rules(t.metadata)
    s = t.spec
    name = t.metadata.name
    if s.mode in ("workload", "hybrid") and s.pod_template_ref is None and s.pod_template_string is None:
        out.append(
            error(
                "spec.podTemplateRef",
                f"podTemplateRef or podTemplateString is required when mode is {s.mode}",
            )
        )
    if s.pod_template_ref is not None and s.pod_template_string is not None:
        out.append(error("spec.podTemplateString", "podTemplateString and podTemplateRef are mutually exclusive"))
    if s.pod_template_string is not None:
        path = "spec.podTemplateString"
        where = f"DebugSessionTemplate/{name}/podTemplateString"
        checked = go_syntax(s.pod_template_string, path, where)
        checked = checked or pod_template_first_document(s.pod_template_string, path, s.workload_type or "DaemonSet")
        samples = {v.name: str(v.default) if v.default is not None else "PLACEHOLDER" for v in s.extra_deploy_variables}
        out += checked or dry_run(s.pod_template_string, path, where, samples)
    if s.pod_overrides_template is not None:
        out += go_syntax(
            s.pod_overrides_template,
            "spec.podOverridesTemplate",
            f"DebugSessionTemplate/{name}/podOverridesTemplate",
        )
    if s.mode in ("kubectl-debug", "hybrid") and s.kubectl_debug is None:
        out.append(error("spec.kubectlDebug", f"kubectlDebug is required when mode is {s.mode}"))
    out += constraints_rules(s.constraints, "spec.constraints")
    out += scheduling_options_rules(s.scheduling_options, "spec.schedulingOptions")
    out += namespace_constraints_rules(s.namespace_constraints, "spec.namespaceConstraints")
    out += impersonation_rules(s.impersonation, "spec.impersonation")
    out += notification_rules(s.notification, "spec.notification")
    out += request_reason_rules(s.request_reason, "spec.requestReason")
    out += approval_reason_rules(s.approval_reason, "spec.approvalReason")
    out += _resource_quota_rules(t)
    out += _pdb_rules(t)
    out += duration_rule(s.grace_period_before_expiry, "spec.gracePeriodBeforeExpiry")
    if s.kubectl_debug is not None and s.kubectl_debug.pod_copy is not None:
        out += duration_rule(s.kubectl_debug.pod_copy.ttl, "spec.kubectlDebug.podCopy.ttl", crd_pattern=True)
    out += _kubectl_debug_filter_rules(t)
    out += auxiliary_rules(s.auxiliary_resources, name)
    if s.deprecated:
        out.append(warning("spec.deprecated", s.deprecation_message or "This template is deprecated"))
    out += extra_variable_rules(s.extra_deploy_variables, "spec.extraDeployVariables")
    return out


def _resource_quota_rules(t: DebugSessionTemplate) -> list[Finding]:
    rq = t.spec.resource_quota
    if rq is None:
        return []
    out: list[Finding] = []
    for key, value in (("maxCPU", rq.max_cpu), ("maxMemory", rq.max_memory), ("maxStorage", rq.max_storage)):
        if value is None:
            continue
        try:
            if parse_quantity(value) < 0:
                out.append(error(f"spec.resourceQuota.{key}", f'must not be negative, got "{value}"'))
        except QuantityError as exc:
            out.append(error(f"spec.resourceQuota.{key}", str(exc)))
    if rq.max_pods is not None and t.spec.workload_type == "Deployment" and t.spec.replicas > rq.max_pods:
        out.append(error("spec.replicas", f"replicas ({t.spec.replicas}) exceed resourceQuota.maxPods ({rq.max_pods})"))
    return out


def resource_quota_fit_rules(t: DebugSessionTemplate, pod: DebugPodTemplate | None) -> list[Finding]:
    """Warn when the template's resourceQuota asks every container for requests/limits its pod template lacks.

    The renderer (rendering.pod_spec.enforce_resources) refuses such a pod spec, so every session of the
    template fails at deploy time; the catalog still loads, as the template is well-formed on its own.
    Only structured pod templates are checked: what a templateString (of the DebugPodTemplate or the
    template's podTemplateString) produces depends on each session's variables, and turning its output
    into a pod spec belongs to the rendering package, which the domain does not import. Nothing in
    podOverrides, scheduling or terminal sharing touches container resources, so the structured
    containers are what the renderer checks.
    """
    rq = t.spec.resource_quota
    if rq is None or t.spec.mode == "kubectl-debug" or t.spec.pod_template_string is not None:
        return []
    if pod is None or pod.spec.template is None:
        return []
    needed = ["cpu", "memory"] + (["ephemeral-storage"] if rq.max_storage else [])
    kinds = [
        key
        for enforce, key in ((rq.enforce_resource_requests, "requests"), (rq.enforce_resource_limits, "limits"))
        if enforce
    ]
    spec = pod.spec.template.spec
    out: list[Finding] = []
    for container in [*spec.init_containers, *spec.containers]:
        resources = container.get("resources") or {}
        missing = [f"{key}.{res}" for key in kinds for res in needed if res not in (resources.get(key) or {})]
        if missing:
            out.append(
                warning(
                    "spec.resourceQuota",
                    f"resourceQuota requires {_and(missing)} on every container; pod template "
                    f'"{pod.metadata.name}" container "{container.get("name", "")}" has none: every session of '
                    f'template "{t.metadata.name}" will fail to deploy',
                )
            )
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _pdb_rules(t: DebugSessionTemplate) -> list[Finding]:
    pdb = t.spec.pod_disruption_budget
    if pdb is None:
        return []
    out: list[Finding] = []
    if pdb.min_available is not None and pdb.max_unavailable is not None:
        out.append(error("spec.podDisruptionBudget", "minAvailable and maxUnavailable are mutually exclusive"))
    for key, value in (("minAvailable", pdb.min_available), ("maxUnavailable", pdb.max_unavailable)):
        if isinstance(value, int) and value < 0:
            out.append(error(f"spec.podDisruptionBudget.{key}", f"must be non-negative, got {value}"))
        elif isinstance(value, str) and not re.fullmatch(r"\d+%", value):
            out.append(
                error(
                    f"spec.podDisruptionBudget.{key}",
                    f'must be an integer or a percentage like "50%", got "{value}"',
                )
            )
    return out


def _kubectl_debug_filter_rules(t: DebugSessionTemplate) -> list[Finding]:
    kd = t.spec.kubectl_debug
    if kd is None:
        return []
    out: list[Finding] = []
    for section, cfg in (("ephemeralContainers", kd.ephemeral_containers), ("podCopy", kd.pod_copy)):
        if cfg is None:
            continue
        for key, flt in (
            ("allowedNamespaces", cfg.allowed_namespaces),
            ("deniedNamespaces", cfg.denied_namespaces),
        ):
            if flt is not None and flt.is_empty():
                out.append(
                    error(
                        f"spec.kubectlDebug.{section}.{key}",
                        "must have at least one pattern or selectorTerm when present",
                    )
                )
    return out


def auxiliary_rules(resources: list[AuxiliaryResource], template: str) -> list[Finding]:
    """DNS-label names, unique; one template form; category format (docs/behaviour/catalog.md#auxiliary-resources)."""
    base = "spec.auxiliaryResources"
    out = _unique_names((r.name for r in resources), base, "auxiliary resource")
    for i, r in enumerate(resources):
        p = join_path(base, i)
        if not r.name:
            out.append(error(join_path(p, "name"), "required field is missing"))
        elif len(r.name) > 63 or not _DNS_LABEL.match(r.name):
            out.append(
                error(
                    join_path(p, "name"),
                    f'"{r.name}" is not a valid name (RFC 1123 label, at most 63 characters)',
                )
            )
        if r.category and (len(r.category) > 63 or not _CATEGORY.match(r.category)):
            out.append(
                error(
                    join_path(p, "category"),
                    f'"{r.category}" must be at most 63 characters of a-z, 0-9 and "-"',
                )
            )
        if r.template is None and r.template_string is None:
            out.append(error(p, "exactly one of template or templateString is required"))
        elif r.template is not None and r.template_string is not None:
            out.append(error(join_path(p, "templateString"), "template and templateString are mutually exclusive"))
        if r.template_string is not None:
            out += go_syntax(
                r.template_string,
                join_path(p, "templateString"),
                f"DebugSessionTemplate/{template}/aux/{r.name}",
            )
        if r.template is not None:
            out += _aux_object_rules(r.template, join_path(p, "template"))
        if r.optional is not None:
            out.append(
                warning(
                    join_path(p, "optional"),
                    '"optional" is deprecated; use failurePolicy: ignore',
                    "deprecated-field",
                )
            )
    return out


def _aux_object_rules(obj: Any, path: str) -> list[Finding]:
    if not isinstance(obj, dict):
        kind = "a string" if isinstance(obj, str) else type(obj).__name__
        return [
            error(
                path,
                f"must be a Kubernetes object (a mapping with apiVersion and kind), got {kind}; "
                "use templateString for template text",
            )
        ]
    missing = [k for k in ("apiVersion", "kind") if not obj.get(k)]
    if missing:
        return [error(path, f"a Kubernetes object needs {' and '.join(missing)}")]
    return []


def extra_variable_rules(variables: list[ExtraDeployVariable], path: str) -> list[Finding]:
    """Names, options, and validation fields that fit the input type
    (docs/behaviour/catalog.md#extra-deploy-variables)."""
    out = _unique_names((v.name for v in variables), path, "variable")
    for i, v in enumerate(variables):
        p = join_path(path, i)
        if len(v.name) > 63 or not _GO_IDENTIFIER.match(v.name):
            out.append(
                error(
                    join_path(p, "name"),
                    f'"{v.name}" must be an identifier: a letter, then letters, digits or "_" (at most 63)',
                )
            )
        if v.input_type in ("select", "multiSelect") and not v.options:
            out.append(error(join_path(p, "options"), f"inputType {v.input_type} needs at least one option"))
        values = [o.value for o in v.options]
        for j, value in enumerate(values):
            if value in values[:j]:
                out.append(
                    error(
                        join_path(join_path(join_path(p, "options"), j), "value"),
                        f'duplicate option value "{value}"',
                    )
                )
        if v.validation is not None:
            out += _variable_validation_rules(v, join_path(p, "validation"))
    return out


_VALIDATION_FIELDS = {
    "pattern": ("text",),
    "pattern_error": ("text",),
    "min_length": ("text",),
    "max_length": ("text",),
    "min": ("number",),
    "max": ("number",),
    "min_storage": ("storageSize",),
    "max_storage": ("storageSize",),
    "min_items": ("multiSelect",),
    "max_items": ("multiSelect",),
}


def _variable_validation_rules(v: ExtraDeployVariable, path: str) -> list[Finding]:
    val = v.validation
    assert val is not None
    out: list[Finding] = []
    fields = type(val).model_fields
    for field, types in _VALIDATION_FIELDS.items():
        if getattr(val, field) is not None and v.input_type not in types:
            alias = fields[field].alias or field
            out.append(error(join_path(path, alias), f"only applies to inputType {types[0]}, not {v.input_type}"))
    if val.pattern is not None:
        try:
            re.compile(val.pattern)
        except re.error as exc:
            out.append(error(join_path(path, "pattern"), f"invalid regular expression: {exc}"))
    out += _ordered(val.min_length, val.max_length, path, "minLength", "maxLength")
    out += _ordered(val.min_items, val.max_items, path, "minItems", "maxItems")
    nums: list[float | None] = []
    for key, raw in (("min", val.min), ("max", val.max)):
        try:
            nums.append(float(raw) if raw is not None else None)
        except ValueError:
            out.append(error(join_path(path, key), f'"{raw}" is not a number'))
            nums.append(None)
    out += _ordered(nums[0], nums[1], path, "min", "max")
    sizes: list[Any] = []
    for key, raw in (("minStorage", val.min_storage), ("maxStorage", val.max_storage)):
        try:
            sizes.append(parse_quantity(raw) if raw is not None else None)
        except QuantityError as exc:
            out.append(error(join_path(path, key), str(exc)))
            sizes.append(None)
    out += _ordered(sizes[0], sizes[1], path, "minStorage", "maxStorage")
    return out


def _ordered(lo: Any, hi: Any, path: str, lo_name: str, hi_name: str) -> list[Finding]:
    if lo is not None and hi is not None and lo > hi:
        return [error(join_path(path, lo_name), f"{lo_name} must not exceed {hi_name}")]
    return []


# --- DebugSessionClusterBinding --------------------------------------------------------------------


def binding_rules(b: DebugSessionClusterBinding) -> list[Finding]:
    """The binding rules (docs/behaviour/catalog.md#debugsessionclusterbinding); collisions need the whole catalog."""
    out = metadata_rules(b.metadata, namespaced=True)
    s = b.spec
    if s.template_ref is not None and s.template_selector is not None:
        out.append(
            error(
                "spec.templateSelector",
                "templateRef and templateSelector are mutually exclusive; only one can be specified",
            )
        )
    elif s.template_ref is None and s.template_selector is None:
        out.append(error("spec", "either templateRef or templateSelector must be specified"))
    if not s.clusters and s.cluster_selector is None:
        out.append(error("spec", "either clusters or clusterSelector must be specified"))
    out += constraints_rules(s.constraints, "spec.constraints")
    out += scheduling_options_rules(s.scheduling_options, "spec.schedulingOptions")
    out += namespace_constraints_rules(s.namespace_constraints, "spec.namespaceConstraints")
    out += impersonation_rules(s.impersonation, "spec.impersonation")
    out += notification_rules(s.notification, "spec.notification")
    out += request_reason_rules(s.request_reason, "spec.requestReason")
    out += approval_reason_rules(s.approval_reason, "spec.approvalReason")
    if s.effective_from is not None and s.expires_at is not None and s.expires_at <= s.effective_from:
        out.append(error("spec.expiresAt", "expiresAt must be after effectiveFrom"))
    return out


# --- ClusterConfig and DebugSession ----------------------------------------------------------------


def cluster_rules(c: ClusterConfig) -> list[Finding]:
    """Name valid; tenant alias non-empty when given."""
    out = metadata_rules(c.metadata)
    if c.spec.tenant is not None and not c.spec.tenant.strip():
        out.append(error("spec.tenant", "must not be empty when present"))
    out += impersonation_rules(c.spec.impersonation, "spec.impersonation")
    return out


def session_rules(s: DebugSession) -> list[Finding]:
    """Duration valid and positive, extraDeployValues keys are identifiers (docs/behaviour/catalog.md#debugsession)."""
    out: list[Finding] = []
    if s.spec.requested_duration is not None:
        path = "spec.requestedDuration"
        out += duration_rule(s.spec.requested_duration, path, crd_pattern=True)
        if not out and parse_duration(s.spec.requested_duration).total_seconds() <= 0:
            out.append(error(path, "must be greater than zero"))
    for key in s.spec.extra_deploy_values:
        if not _GO_IDENTIFIER.match(key):
            out.append(error(join_key("spec.extraDeployValues", key), f'"{key}" is not a valid variable name'))
    return out
