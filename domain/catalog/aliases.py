"""Seed spellings that are not the canonical field names, rewritten before validation.

The seed document uses a few names the model does not have. Each is accepted as an alias with a
deprecation warning naming the exact path and the canonical spelling, so every seed example means what
its author intended and nobody is surprised later.
"""

from __future__ import annotations

from typing import Any

from domain.diagnostics import Finding, error, join_path, warning

Raw = dict[str, Any]


def normalise(kind: str, doc: Raw) -> list[Finding]:
    """Rewrite deprecated spellings in `doc` (in place) for `kind`; return the warnings."""
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return []
    findings: list[Finding] = []
    if kind == "DebugSessionTemplate":
        _terminal_sharing_method(spec, findings)
        _kubectl_debug_namespace_lists(spec, findings)
        _namespace_constraint_patterns(spec.get("namespaceConstraints"), "spec.namespaceConstraints", findings)
    elif kind == "DebugSessionClusterBinding":
        _namespace_constraint_patterns(spec.get("namespaceConstraints"), "spec.namespaceConstraints", findings)
        _binding_auto_approve(spec, findings)
    return findings


def _deprecated(path: str, old: str, new: str) -> Finding:
    return warning(path, f'"{old}" is a deprecated spelling of "{new}"; read as {new}', "deprecated-field")


def _terminal_sharing_method(spec: Raw, out: list[Finding]) -> None:
    ts = spec.get("terminalSharing")
    if not isinstance(ts, dict) or "method" not in ts:
        return
    path = "spec.terminalSharing.method"
    if "provider" in ts:
        out.append(error(path, 'both "method" and "provider" are set; use only "provider"'))
        del ts["method"]  # reported once, not again as an unknown field
        return
    out.append(_deprecated(path, "method", "provider"))
    ts["provider"] = ts.pop("method")


def _kubectl_debug_namespace_lists(spec: Raw, out: list[Finding]) -> None:
    kd = spec.get("kubectlDebug")
    if not isinstance(kd, dict):
        return
    for section in ("ephemeralContainers", "podCopy"):
        cfg = kd.get(section)
        if not isinstance(cfg, dict):
            continue
        for key in ("allowedNamespaces", "deniedNamespaces"):
            value = cfg.get(key)
            if isinstance(value, list):
                path = f"spec.kubectlDebug.{section}.{key}"
                out.append(
                    warning(
                        path,
                        f"a plain list of patterns is a deprecated form of {key}: {{patterns: [...]}}; "
                        "read as patterns",
                        "deprecated-field",
                    )
                )
                cfg[key] = {"patterns": value}


def _namespace_constraint_patterns(nc: Any, base: str, out: list[Finding]) -> None:
    if not isinstance(nc, dict):
        return
    for old, new in (("allowedPatterns", "allowedNamespaces"), ("deniedPatterns", "deniedNamespaces")):
        if old not in nc:
            continue
        path = join_path(base, old)
        target = nc.get(new)
        if target is not None and not isinstance(target, dict):
            out.append(error(path, f'cannot merge "{old}" into "{new}", which is not a mapping'))
            continue
        target = dict(target or {})
        if "patterns" in target:
            out.append(error(path, f'both "{old}" and "{new}.patterns" are set; use only {new}.patterns'))
            del nc[old]  # reported once, not again as an unknown field
            continue
        out.append(_deprecated(path, old, f"{new}.patterns"))
        target["patterns"] = nc.pop(old)
        nc[new] = target


def _binding_auto_approve(spec: Raw, out: list[Finding]) -> None:
    """`autoApprove: true|false` (seed) becomes an explicit `approvers.autoApproveFor`.

    true: every request through this binding is auto-approved (`autoApproveFor.clusters: ["*"]`).
    false: the binding's approvers must approve (any `autoApproveFor` is cleared). The binding's
    approvers replace the template's, so without `approvers` the flag cannot take effect: it is
    then reported and ignored rather than guessed at.
    """
    if "autoApprove" not in spec:
        return
    path = "spec.autoApprove"
    value = spec.pop("autoApprove")
    if not isinstance(value, bool):
        out.append(error(path, "must be a boolean (true or false)"))
        return
    approvers = spec.get("approvers")
    if approvers is not None and not isinstance(approvers, dict):
        return  # the model reports the wrong shape of approvers
    if value:
        approvers = dict(approvers or {})
        approvers["autoApproveFor"] = {"clusters": ["*"]}
        spec["approvers"] = approvers
        out.append(
            warning(
                path,
                'autoApprove is deprecated; "autoApprove: true" is read as '
                'approvers.autoApproveFor.clusters: ["*"] (every request is auto-approved)',
                "deprecated-field",
            )
        )
    elif approvers is None:
        out.append(
            warning(
                path,
                '"autoApprove: false" has no effect without spec.approvers (the template\'s approvers and '
                "autoApproveFor apply); set spec.approvers to require this binding's approvers",
                "deprecated-field",
            )
        )
    else:
        approvers = dict(approvers)
        approvers.pop("autoApproveFor", None)
        spec["approvers"] = approvers
        out.append(
            warning(
                path,
                'autoApprove is deprecated; "autoApprove: false" is read as spec.approvers '
                "without autoApproveFor (this binding's approvers must approve)",
                "deprecated-field",
            )
        )
