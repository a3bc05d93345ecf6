"""Admission rules, one table per kind: every rule has at least one valid and one invalid case.

Each case is a patch onto a minimal valid manifest; `None` as a patch value deletes the key. The
expected outcome is the exact `path: message` of the finding, or `[]` for a valid document.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from domain.base import API_VERSION
from domain.catalog.catalog import load_catalog
from domain.catalog.parse import parse_resource
from domain.catalog.rules import session_rules
from tests.conftest import WriteFiles
from tests.domain.examples_support import dump_all

POD_TEMPLATE: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "DebugPodTemplate",
    "metadata": {"name": "pod"},
    "spec": {"template": {"spec": {"containers": [{"name": "debug", "image": "busybox"}]}}},
}
SESSION_TEMPLATE: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "DebugSessionTemplate",
    "metadata": {"name": "tpl"},
    "spec": {"podTemplateRef": {"name": "pod"}},
}
BINDING: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "DebugSessionClusterBinding",
    "metadata": {"name": "bnd", "namespace": "breakglass"},
    "spec": {"templateRef": {"name": "tpl"}, "clusters": ["c1"]},
}
CLUSTER: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "ClusterConfig",
    "metadata": {"name": "c1"},
    "spec": {"kubeconfig": {"path": "/dev/null"}},
}
SESSION: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": "DebugSession",
    "metadata": {"name": "s1", "namespace": "breakglass"},
    "spec": {"cluster": "c1", "templateRef": "tpl", "requestedBy": "alice"},
}


def patched(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `patch` onto a copy of `base`; a None value deletes the key."""
    out = copy.deepcopy(base)

    def merge(target: dict[str, Any], p: dict[str, Any]) -> None:
        for k, v in p.items():
            if v is None:
                target.pop(k, None)
            elif isinstance(v, dict) and isinstance(target.get(k), dict):
                merge(target[k], v)
            else:
                target[k] = copy.deepcopy(v)

    merge(out, patch)
    return out


def findings(doc: dict[str, Any]) -> list[str]:
    """Errors and warnings of one document (structure + rules, no cross references), as `path: message`."""
    from domain.catalog.catalog import _RULES  # the per-kind rule table the loader uses

    kinds = (
        "DebugPodTemplate",
        "DebugSessionTemplate",
        "DebugSessionClusterBinding",
        "ClusterConfig",
        "DebugSession",
    )
    obj, found = parse_resource(doc, kinds)
    if obj is not None:
        rule = _RULES.get(type(obj), session_rules)
        found += rule(obj)
    return [f"{f.path}: {'warning: ' if f.severity == 'warning' else ''}{f.message}" for f in found]


def spec(**fields: Any) -> dict[str, Any]:
    return {"spec": fields}


POD_TEMPLATE_CASES = [
    ("structured template is valid", {}, []),
    (
        "templateString alone is valid",
        spec(template=None, templateString="containers:\n- name: x\n  image: y\n"),
        [],
    ),
    (
        "rule 1: neither form",
        spec(template=None),
        ["spec: either template or templateString must be specified"],
    ),
    (
        "rule 1: both forms",
        spec(templateString="containers: []"),
        ["spec.templateString: template and templateString are mutually exclusive"],
    ),
    (
        "rule 2: Go syntax",
        spec(template=None, templateString="containers:\n- name: {{ .session.name \n"),
        [
            "spec.templateString: invalid Go template syntax: DebugPodTemplate/pod:3:1: unclosed action started at DebugPodTemplate/pod:2"
        ],
    ),
    (
        "rule 2: unknown function",
        spec(template=None, templateString="containers:\n- name: {{ .session.name | nosuchfunc }}\n"),
        [
            'spec.templateString: invalid Go template syntax: DebugPodTemplate/pod:2:28: function "nosuchfunc" not defined'
        ],
    ),
    (
        "rule 2: Sprig and breakglass functions are defined",
        spec(
            template=None,
            templateString='containers:\n- name: {{ .session.name | trunc 15 | k8sName | default "x" }}\n',
        ),
        [],
    ),
    (
        "rule 3: Pod manifest is fine",
        spec(template=None, templateString="apiVersion: v1\nkind: Pod\nspec:\n  containers: []\n"),
        [],
    ),
    (
        "rule 3: unsupported kind",
        spec(template=None, templateString="apiVersion: v1\nkind: Service\n"),
        [
            'spec.templateString: unsupported kind "Service" (apiVersion "v1"): only bare PodSpec, Pod (v1), '
            "Deployment (apps/v1), and DaemonSet (apps/v1) are supported"
        ],
    ),
    (
        "rule 3: kind without apiVersion",
        spec(template=None, templateString="kind: Pod\nspec: {}\n"),
        ["spec.templateString: first document has kind but no apiVersion: give both, or neither for a bare PodSpec"],
    ),
    (
        "rule 3: first document not YAML",
        spec(template=None, templateString="containers: [\n"),
        [
            "spec.templateString: first document is not valid YAML at line 2, column 1: expected the node content, but found '<stream end>'"
        ],
    ),
    (
        "rule 3: templated first document is left to the render",
        spec(template=None, templateString="{{ if true }}kind: Service{{ end }}\n"),
        [],
    ),
    (
        "rule 4: a sample render that fails is a warning",
        spec(template=None, templateString='containers:\n- name: {{ required "set x" .vars.x }}\n'),
        [
            "spec.templateString: warning: a sample render fails: template: DebugPodTemplate/pod:2:11: executing "
            '"DebugPodTemplate/pod" at <required "set x" .vars.x>: error calling required: set x'
        ],
    ),
    (
        "rule 4: a sample render that gives invalid YAML is a warning",
        spec(template=None, templateString="containers: [{{ .session.name }}\n"),
        [
            "spec.templateString: warning: a sample render gives invalid YAML in document 1: expected ',' or ']', but got '<stream end>'"
        ],
    ),
    (
        "rule 5: no container",
        spec(template={"spec": {"containers": []}}),
        ["spec.template.spec.containers: at least one container is required"],
    ),
    (
        "rule 5: container without name",
        spec(template={"spec": {"containers": [{"image": "x"}]}}),
        ["spec.template.spec.containers[0].name: required field is missing"],
    ),
    (
        "rule 5: duplicate container names",
        spec(template={"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}),
        ['spec.template.spec.containers[1].name: duplicate container name "a" (also [0])'],
    ),
    (
        "metadata.name must be a DNS subdomain",
        {"metadata": {"name": "Bad_Name"}},
        [
            'metadata.name: "Bad_Name" is not a valid name: a lowercase RFC 1123 subdomain must consist of lower '
            "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        ],
    ),
]

SESSION_TEMPLATE_CASES = [
    ("minimal is valid", {}, []),
    (
        "rule 1: workload needs a pod",
        spec(podTemplateRef=None),
        ["spec.podTemplateRef: podTemplateRef or podTemplateString is required when mode is workload"],
    ),
    ("rule 1: podTemplateString suffices", spec(podTemplateRef=None, podTemplateString="containers: []"), []),
    (
        "rule 1: kubectl-debug needs no pod",
        spec(podTemplateRef=None, mode="kubectl-debug", kubectlDebug={}),
        [],
    ),
    (
        "rule 17: podTemplateRef xor podTemplateString",
        spec(podTemplateString="containers: []"),
        ["spec.podTemplateString: podTemplateString and podTemplateRef are mutually exclusive"],
    ),
    (
        "rule 2: podTemplateString syntax",
        spec(podTemplateRef=None, podTemplateString="{{ end }}"),
        [
            "spec.podTemplateString: invalid Go template syntax: DebugSessionTemplate/tpl/podTemplateString:1:1: unexpected {{end}}"
        ],
    ),
    (
        "rule 2: workload kind mismatch warns",
        spec(
            podTemplateRef=None,
            workloadType="DaemonSet",
            podTemplateString="apiVersion: apps/v1\nkind: Deployment\n",
        ),
        [
            "spec.podTemplateString: warning: templateString produces a Deployment but workloadType is DaemonSet: these must match"
        ],
    ),
    (
        "rule 2: dry run seeds vars from their defaults",
        spec(
            podTemplateRef=None,
            podTemplateString='containers:\n- name: {{ required "need size" .vars.size }}\n',
            extraDeployVariables=[{"name": "size", "default": "10Gi"}],
        ),
        [],
    ),
    ("rule 3: podOverridesTemplate syntax ok", spec(podOverridesTemplate="hostNetwork: {{ .vars.net }}"), []),
    (
        "rule 3: podOverridesTemplate syntax",
        spec(podOverridesTemplate="hostNetwork: {{ .vars.net "),
        [
            "spec.podOverridesTemplate: invalid Go template syntax: DebugSessionTemplate/tpl/podOverridesTemplate:1:27: unclosed action"
        ],
    ),
    (
        "rule 4: hybrid needs kubectlDebug",
        spec(mode="hybrid"),
        ["spec.kubectlDebug: kubectlDebug is required when mode is hybrid"],
    ),
    (
        "rule 4: hybrid with kubectlDebug",
        spec(mode="hybrid", kubectlDebug={"podCopy": {"enabled": True}}),
        [],
    ),
    ("rule 5: durations with days", spec(constraints={"maxDuration": "1d12h", "defaultDuration": "2h"}), []),
    (
        "rule 5: bad maxDuration",
        spec(constraints={"maxDuration": "4 hours"}),
        [
            'spec.constraints.maxDuration: invalid duration "4 hours": expected <number><unit> with unit one of ns, us, ms, s, m, h (or a leading <N>d)'
        ],
    ),
    (
        "rule 5: decimals are not stored",
        spec(constraints={"defaultDuration": "1.5h"}),
        [
            'spec.constraints.defaultDuration: invalid duration "1.5h": use whole numbers with units ns, us, ms, s, m, h, d (e.g. "90m", "1h30m", "1d")'
        ],
    ),
    (
        "ours: default above max warns",
        spec(constraints={"maxDuration": "1h", "defaultDuration": "2h"}),
        [
            "spec.constraints.defaultDuration: warning: defaultDuration 2h exceeds maxDuration 1h: requests without a duration will be refused"
        ],
    ),
    (
        "rule 6: options ok",
        spec(schedulingOptions={"options": [{"name": "a", "displayName": "A", "default": True}]}),
        [],
    ),
    (
        "rule 6: no option",
        spec(schedulingOptions={"required": True, "options": []}),
        ["spec.schedulingOptions.options: at least one scheduling option is required"],
    ),
    (
        "rule 6: duplicate names",
        spec(schedulingOptions={"options": [{"name": "a", "displayName": "A"}, {"name": "a", "displayName": "B"}]}),
        ['spec.schedulingOptions.options[1].name: duplicate option name "a" (also options[0])'],
    ),
    (
        "rule 6: displayName required",
        spec(schedulingOptions={"options": [{"name": "a"}]}),
        ["spec.schedulingOptions.options[0].displayName: required field is missing"],
    ),
    (
        "rule 6: two defaults",
        spec(
            schedulingOptions={
                "options": [
                    {"name": "a", "displayName": "A", "default": True},
                    {"name": "b", "displayName": "B", "default": True},
                ]
            }
        ),
        ["spec.schedulingOptions.options: at most one option may be the default, found 2"],
    ),
    (
        "rule 6: option name is a DNS label",
        spec(schedulingOptions={"options": [{"name": "Big", "displayName": "A"}]}),
        ["spec.schedulingOptions.options[0].name: 'Big' does not match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"],
    ),
    (
        "rule 7: default allowed by pattern",
        spec(
            namespaceConstraints={
                "defaultNamespace": "debug-x",
                "allowedNamespaces": {"patterns": ["debug-*"]},
            }
        ),
        [],
    ),
    (
        "rule 7: empty allowed filter",
        spec(namespaceConstraints={"allowedNamespaces": {}}),
        ["spec.namespaceConstraints.allowedNamespaces: must have at least one pattern or selectorTerm when present"],
    ),
    (
        "rule 7: default not in literal allowed patterns",
        spec(namespaceConstraints={"defaultNamespace": "dbg", "allowedNamespaces": {"patterns": ["a", "b"]}}),
        [
            "spec.namespaceConstraints.defaultNamespace: defaultNamespace \"dbg\" must literally match allowedNamespaces.patterns ['a', 'b']"
        ],
    ),
    (
        "rule 7: default not matching glob patterns (no selector terms)",
        spec(namespaceConstraints={"defaultNamespace": "dbg", "allowedNamespaces": {"patterns": ["debug-*"]}}),
        [
            "spec.namespaceConstraints.defaultNamespace: defaultNamespace \"dbg\" must match allowedNamespaces.patterns ['debug-*']"
        ],
    ),
    (
        "rule 7: selector terms may allow the default",
        spec(
            namespaceConstraints={
                "defaultNamespace": "dbg",
                "allowedNamespaces": {"patterns": ["a"], "selectorTerms": [{"matchLabels": {"x": "y"}}]},
            }
        ),
        [],
    ),
    (
        "rule 7: default denied",
        spec(namespaceConstraints={"deniedNamespaces": {"patterns": ["breakglass-*"]}}),
        [
            "spec.namespaceConstraints.defaultNamespace: defaultNamespace \"breakglass-debug\" is denied by deniedNamespaces.patterns ['breakglass-*']"
        ],
    ),
    (
        "rule 7: odd combination warns",
        spec(namespaceConstraints={"allowUserNamespace": True, "denyUserNamespace": True}),
        [
            "spec.namespaceConstraints.denyUserNamespace: warning: denyUserNamespace=true overrides allowUserNamespace=true: only defaultNamespace may be used"
        ],
    ),
    (
        "rule 8: serviceAccountRef",
        spec(impersonation={"serviceAccountRef": {"name": "sa", "namespace": "ns"}}),
        [],
    ),
    (
        "rule 8: serviceAccountRef incomplete",
        spec(impersonation={"serviceAccountRef": {"name": "sa"}}),
        ["spec.impersonation.serviceAccountRef.namespace: required field is missing"],
    ),
    (
        "rule 8: nothing to impersonate",
        spec(impersonation={}),
        ["spec.impersonation.serviceAccountRef: required field is missing"],
    ),
    (
        "rule 8: unknown mode",
        spec(impersonation={"mode": "root"}),
        [
            'spec.impersonation.mode: unknown impersonation mode "root" (expected one of: user-info, serviceaccount, arbitrary-node, associated-node, legacy)'
        ],
    ),
    (
        "rule 8: associated-node",
        spec(impersonation={"mode": "associated-node"}),
        ['spec.impersonation.mode: mode "associated-node" is not supported for debug sessions'],
    ),
    (
        "rule 8: userName xor serviceAccountRef",
        spec(impersonation={"serviceAccountRef": {"name": "sa", "namespace": "ns"}, "userName": "bob"}),
        ["spec.impersonation.userName: userName and serviceAccountRef are mutually exclusive"],
    ),
    (
        "rule 8: system:masters",
        spec(impersonation={"mode": "legacy", "userName": "bob", "groups": ["system:masters"]}),
        ['spec.impersonation.groups[0]: impersonating group "system:masters" is forbidden'],
    ),
    (
        "rule 8: serviceaccount username",
        spec(impersonation={"mode": "serviceaccount", "userName": "bob"}),
        ['spec.impersonation.userName: must start with "system:serviceaccount:" in mode serviceaccount'],
    ),
    (
        "rule 8: serviceaccount mode forbids groups",
        spec(impersonation={"mode": "serviceaccount", "userName": "system:serviceaccount:a:b", "groups": ["g"]}),
        ['spec.impersonation.groups: must not be set in mode "serviceaccount"'],
    ),
    (
        "rule 8: node username",
        spec(impersonation={"mode": "arbitrary-node", "userName": "system:node:n1"}),
        [],
    ),
    (
        "rule 8: node username bad",
        spec(impersonation={"mode": "arbitrary-node", "userName": "n1"}),
        ['spec.impersonation.userName: must be "system:node:<name>" in mode arbitrary-node'],
    ),
    (
        "rule 8: user-info with serviceAccountRef",
        spec(impersonation={"mode": "user-info", "serviceAccountRef": {"name": "sa", "namespace": "ns"}}),
        ['spec.impersonation.serviceAccountRef: cannot be used with mode "user-info"'],
    ),
    (
        "rule 8: extra keys lowercase",
        spec(impersonation={"mode": "user-info", "extra": {"Team": ["a"]}}),
        ["spec.impersonation.extra[Team]: extra keys must be non-empty and lowercase"],
    ),
    ("rule 9: recipients ok", spec(notification={"additionalRecipients": ["ops@example.com"]}), []),
    (
        "rule 9: recipient without @",
        spec(notification={"additionalRecipients": ["ops"]}),
        ['spec.notification.additionalRecipients[0]: "ops" is not an e-mail address'],
    ),
    (
        "rule 9: empty exclusion",
        spec(notification={"excludedRecipients": {"users": [" "]}}),
        ["spec.notification.excludedRecipients.users[0]: must not be empty"],
    ),
    ("rule 10: reason bounds ok", spec(requestReason={"minLength": 5, "maxLength": 50}), []),
    (
        "rule 10: min above max",
        spec(requestReason={"minLength": 50, "maxLength": 5}),
        ["spec.requestReason.minLength: minLength (50) must not exceed maxLength (5)"],
    ),
    (
        "rule 10: duplicate suggestion",
        spec(requestReason={"suggestedReasons": ["x", "x"]}),
        ['spec.requestReason.suggestedReasons[1]: duplicate suggested reason "x"'],
    ),
    (
        "rule 10: empty suggestion",
        spec(requestReason={"suggestedReasons": [""]}),
        ["spec.requestReason.suggestedReasons[0]: must not be empty"],
    ),
    ("rule 11: approval minLength ok", spec(approvalReason={"minLength": 0}), []),
    (
        "rule 11: approval minLength negative",
        spec(approvalReason={"minLength": -1}),
        ["spec.approvalReason.minLength: must be >= 0, got -1"],
    ),
    (
        "rule 12: quantities ok",
        spec(resourceQuota={"maxCPU": "2", "maxMemory": "2Gi", "maxStorage": "5Gi"}),
        [],
    ),
    (
        "rule 12: bad quantity",
        spec(resourceQuota={"maxMemory": "2GB"}),
        [
            'spec.resourceQuota.maxMemory: invalid quantity "2GB": expected a number with an optional suffix (Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent like 1e3)'
        ],
    ),
    (
        "rule 12: maxPods >= 1",
        spec(resourceQuota={"maxPods": 0}),
        ["spec.resourceQuota.maxPods: input should be greater than or equal to 1"],
    ),
    ("rule 13: pdb ok", spec(podDisruptionBudget={"enabled": True, "minAvailable": 1}), []),
    ("rule 13: pdb percentage ok", spec(podDisruptionBudget={"enabled": True, "maxUnavailable": "50%"}), []),
    (
        "rule 13: both set",
        spec(podDisruptionBudget={"minAvailable": 1, "maxUnavailable": 1}),
        ["spec.podDisruptionBudget: minAvailable and maxUnavailable are mutually exclusive"],
    ),
    (
        "rule 13: negative",
        spec(podDisruptionBudget={"minAvailable": -1}),
        ["spec.podDisruptionBudget.minAvailable: must be non-negative, got -1"],
    ),
    ("rule 14: grace period ok", spec(gracePeriodBeforeExpiry="1d"), []),
    (
        "rule 14: grace period bad",
        spec(gracePeriodBeforeExpiry="soon"),
        [
            'spec.gracePeriodBeforeExpiry: invalid duration "soon": expected <number><unit> with unit one of ns, us, ms, s, m, h (or a leading <N>d)'
        ],
    ),
    (
        "rule 14: podCopy ttl bad",
        spec(mode="hybrid", kubectlDebug={"podCopy": {"ttl": "2 hours"}}),
        [
            'spec.kubectlDebug.podCopy.ttl: invalid duration "2 hours": expected <number><unit> with unit one of ns, us, ms, s, m, h (or a leading <N>d)'
        ],
    ),
    (
        "rule 15: aux ok",
        spec(auxiliaryResources=[{"name": "np", "category": "network-policy", "templateString": "kind: X"}]),
        [],
    ),
    (
        "rule 15: aux name required",
        spec(auxiliaryResources=[{"templateString": "x"}]),
        ["spec.auxiliaryResources[0].name: required field is missing"],
    ),
    (
        "rule 15: aux duplicate names",
        spec(auxiliaryResources=[{"name": "a", "templateString": "x"}, {"name": "a", "templateString": "y"}]),
        ['spec.auxiliaryResources[1].name: duplicate auxiliary resource name "a" (also [0])'],
    ),
    (
        "rule 15: aux needs a template",
        spec(auxiliaryResources=[{"name": "a"}]),
        ["spec.auxiliaryResources[0]: exactly one of template or templateString is required"],
    ),
    (
        "rule 15: aux both forms",
        spec(
            auxiliaryResources=[
                {"name": "a", "templateString": "x", "template": {"apiVersion": "v1", "kind": "ConfigMap"}}
            ]
        ),
        ["spec.auxiliaryResources[0].templateString: template and templateString are mutually exclusive"],
    ),
    (
        "rule 15: aux Go syntax",
        spec(auxiliaryResources=[{"name": "a", "templateString": "{{ .Session.Name "}]),
        [
            "spec.auxiliaryResources[0].templateString: invalid Go template syntax: DebugSessionTemplate/tpl/aux/a:1:18: unclosed action"
        ],
    ),
    (
        "rule 15: aux category format",
        spec(auxiliaryResources=[{"name": "a", "category": "Network_Policy", "templateString": "x"}]),
        ['spec.auxiliaryResources[0].category: "Network_Policy" must be at most 63 characters of a-z, 0-9 and "-"'],
    ),
    (
        "aux: template must be an object",
        spec(auxiliaryResources=[{"name": "a", "template": {"kind": "ConfigMap"}}]),
        ["spec.auxiliaryResources[0].template: a Kubernetes object needs apiVersion"],
    ),
    (
        "aux: optional is deprecated",
        spec(auxiliaryResources=[{"name": "a", "templateString": "x", "optional": True}]),
        ['spec.auxiliaryResources[0].optional: warning: "optional" is deprecated; use failurePolicy: ignore'],
    ),
    (
        "rule 16: deprecated warns",
        spec(deprecated=True),
        ["spec.deprecated: warning: This template is deprecated"],
    ),
    (
        "rule 16: deprecation message",
        spec(deprecated=True, deprecationMessage="use tpl2"),
        ["spec.deprecated: warning: use tpl2"],
    ),
    (
        "rule 17: variables ok",
        spec(
            extraDeployVariables=[
                {
                    "name": "size",
                    "inputType": "storageSize",
                    "validation": {"minStorage": "1Gi", "maxStorage": "10Gi"},
                }
            ]
        ),
        [],
    ),
    (
        "rule 17: variable name",
        spec(extraDeployVariables=[{"name": "my-var"}]),
        [
            'spec.extraDeployVariables[0].name: "my-var" must be an identifier: a letter, then letters, digits or "_" (at most 63)'
        ],
    ),
    (
        "rule 17: duplicate variable",
        spec(extraDeployVariables=[{"name": "a"}, {"name": "a"}]),
        ['spec.extraDeployVariables[1].name: duplicate variable name "a" (also [0])'],
    ),
    (
        "rule 17: select needs options",
        spec(extraDeployVariables=[{"name": "a", "inputType": "select"}]),
        ["spec.extraDeployVariables[0].options: inputType select needs at least one option"],
    ),
    (
        "rule 17: duplicate option values",
        spec(extraDeployVariables=[{"name": "a", "inputType": "select", "options": [{"value": "x"}, {"value": "x"}]}]),
        ['spec.extraDeployVariables[0].options[1].value: duplicate option value "x"'],
    ),
    (
        "rule 17: validation field for another type",
        spec(extraDeployVariables=[{"name": "a", "inputType": "number", "validation": {"minLength": 3}}]),
        ["spec.extraDeployVariables[0].validation.minLength: only applies to inputType text, not number"],
    ),
    (
        "rule 17: invalid regex",
        spec(extraDeployVariables=[{"name": "a", "validation": {"pattern": "(["}}]),
        [
            "spec.extraDeployVariables[0].validation.pattern: invalid regular expression: unterminated character set at position 1"
        ],
    ),
    (
        "rule 17: min above max",
        spec(extraDeployVariables=[{"name": "a", "inputType": "number", "validation": {"min": "10", "max": "1"}}]),
        ["spec.extraDeployVariables[0].validation.min: min must not exceed max"],
    ),
    (
        "rule 17: minLength above maxLength",
        spec(extraDeployVariables=[{"name": "a", "validation": {"minLength": 9, "maxLength": 1}}]),
        ["spec.extraDeployVariables[0].validation.minLength: minLength must not exceed maxLength"],
    ),
    (
        "rule 17: minItems above maxItems",
        spec(
            extraDeployVariables=[
                {
                    "name": "a",
                    "inputType": "multiSelect",
                    "options": [{"value": "x"}],
                    "validation": {"minItems": 3, "maxItems": 1},
                }
            ]
        ),
        ["spec.extraDeployVariables[0].validation.minItems: minItems must not exceed maxItems"],
    ),
    (
        "rule 17: storage bounds order",
        spec(
            extraDeployVariables=[
                {
                    "name": "a",
                    "inputType": "storageSize",
                    "validation": {"minStorage": "10Gi", "maxStorage": "1Gi"},
                }
            ]
        ),
        ["spec.extraDeployVariables[0].validation.minStorage: minStorage must not exceed maxStorage"],
    ),
    (
        "structure: enum",
        spec(mode="debug"),
        ["spec.mode: must be one of 'workload', 'kubectl-debug' or 'hybrid', got 'debug'"],
    ),
    (
        "structure: bool type",
        spec(hidden="yes"),
        ["spec.hidden: must be a boolean (true or false), got a string"],
    ),
    (
        "structure: replicas >= 1",
        spec(replicas=0),
        ["spec.replicas: input should be greater than or equal to 1"],
    ),
    (
        "structure: unknown field with suggestion",
        spec(constraints={"maxDuraton": "2h"}),
        [
            'spec.constraints.maxDuraton: warning: unknown field "maxDuraton" (did you mean "maxDuration"?); it is ignored'
        ],
    ),
    (
        "structure: unknown field inside an embedded PodSpec type",
        spec(schedulingConstraints={"tolerations": [{"operator": "Exists", "efect": "NoSchedule"}]}),
        [
            'spec.schedulingConstraints.tolerations[0].efect: warning: unknown field "efect" (not part of Toleration) (did you mean "effect"?); it is ignored'
        ],
    ),
    (
        "structure: nodeSelector value must be a string",
        spec(schedulingConstraints={"nodeSelector": {"sriov": True}}),
        ["spec.schedulingConstraints.nodeSelector[sriov]: must be a string, got a boolean"],
    ),
    (
        "seed alias: terminalSharing.method",
        spec(terminalSharing={"enabled": True, "method": "screen"}),
        ['spec.terminalSharing.method: warning: "method" is a deprecated spelling of "provider"; read as provider'],
    ),
    (
        "seed alias: method and provider together",
        spec(terminalSharing={"method": "screen", "provider": "tmux"}),
        ['spec.terminalSharing.method: both "method" and "provider" are set; use only "provider"'],
    ),
]

BINDING_CASES = [
    ("minimal is valid", {}, []),
    ("no namespace means default", {"metadata": {"namespace": None}}, []),
    (
        "rule 1: both template forms",
        spec(templateSelector={"matchLabels": {"a": "b"}}),
        ["spec.templateSelector: templateRef and templateSelector are mutually exclusive; only one can be specified"],
    ),
    ("rule 1: selector alone", spec(templateRef=None, templateSelector={"matchLabels": {"a": "b"}}), []),
    (
        "rule 1: neither",
        spec(templateRef=None),
        ["spec: either templateRef or templateSelector must be specified"],
    ),
    (
        "rule 2: cluster selector alone",
        spec(clusters=[], clusterSelector={"matchLabels": {"env": "prod"}}),
        [],
    ),
    ("rule 2: neither", spec(clusters=[]), ["spec: either clusters or clusterSelector must be specified"]),
    (
        "rule 3: constraints",
        spec(constraints={"maxDuration": "2x"}),
        [
            'spec.constraints.maxDuration: invalid duration "2x": expected <number><unit> with unit one of ns, us, ms, s, m, h (or a leading <N>d)'
        ],
    ),
    (
        "rule 3: scheduling options",
        spec(schedulingOptions={"options": []}),
        ["spec.schedulingOptions.options: at least one scheduling option is required"],
    ),
    (
        "rule 3: namespace constraints",
        spec(namespaceConstraints={"deniedNamespaces": {}}),
        ["spec.namespaceConstraints.deniedNamespaces: must have at least one pattern or selectorTerm when present"],
    ),
    (
        "rule 3: impersonation",
        spec(impersonation={"mode": "associated-node"}),
        ['spec.impersonation.mode: mode "associated-node" is not supported for debug sessions'],
    ),
    (
        "rule 3: notification",
        spec(notification={"additionalRecipients": ["x"]}),
        ['spec.notification.additionalRecipients[0]: "x" is not an e-mail address'],
    ),
    (
        "rule 3: request reason",
        spec(requestReason={"minLength": 5, "maxLength": 2}),
        ["spec.requestReason.minLength: minLength (5) must not exceed maxLength (2)"],
    ),
    (
        "rule 3: approval reason",
        spec(approvalReason={"minLength": -5}),
        ["spec.approvalReason.minLength: must be >= 0, got -5"],
    ),
    ("rule 4: window ok", spec(effectiveFrom="2026-01-01T00:00:00Z", expiresAt="2026-02-01T00:00:00Z"), []),
    (
        "rule 4: window inverted",
        spec(effectiveFrom="2026-02-01T00:00:00Z", expiresAt="2026-01-01T00:00:00Z"),
        ["spec.expiresAt: expiresAt must be after effectiveFrom"],
    ),
    (
        "rule 4: time format",
        spec(expiresAt="tomorrow"),
        ["spec.expiresAt: must be an RFC 3339 time, got a string"],
    ),
    (
        "rule 6: session limits >= 1",
        spec(maxActiveSessionsPerUser=0),
        ["spec.maxActiveSessionsPerUser: input should be greater than or equal to 1"],
    ),
    (
        "rule 6: templateRef.name non-empty",
        spec(templateRef={"name": ""}),
        ["spec.templateRef.name: must not be empty"],
    ),
    (
        "seed alias: allowedPatterns",
        spec(namespaceConstraints={"allowedPatterns": ["breakglass-*"]}),
        [
            'spec.namespaceConstraints.allowedPatterns: warning: "allowedPatterns" is a deprecated spelling of "allowedNamespaces.patterns"; read as allowedNamespaces.patterns'
        ],
    ),
    (
        "seed alias: allowedPatterns and patterns together",
        spec(namespaceConstraints={"allowedPatterns": ["a"], "allowedNamespaces": {"patterns": ["b"]}}),
        [
            'spec.namespaceConstraints.allowedPatterns: both "allowedPatterns" and "allowedNamespaces.patterns" are set; use only allowedNamespaces.patterns'
        ],
    ),
    (
        "seed alias: autoApprove true",
        spec(autoApprove=True),
        [
            'spec.autoApprove: warning: autoApprove is deprecated; "autoApprove: true" is read as approvers.autoApproveFor.clusters: ["*"] (every request is auto-approved)'
        ],
    ),
    (
        "seed alias: autoApprove false without approvers",
        spec(autoApprove=False),
        [
            'spec.autoApprove: warning: "autoApprove: false" has no effect without spec.approvers (the template\'s '
            "approvers and autoApproveFor apply); set spec.approvers to require this binding's approvers"
        ],
    ),
    (
        "seed alias: autoApprove not a bool",
        spec(autoApprove="no"),
        ["spec.autoApprove: must be a boolean (true or false)"],
    ),
]

CLUSTER_CASES = [
    ("minimal is valid", {}, []),
    ("kubeconfig required", spec(kubeconfig=None), ["spec.kubeconfig: required field is missing"]),
    ("kubeconfig path non-empty", spec(kubeconfig={"path": ""}), ["spec.kubeconfig.path: must not be empty"]),
    ("tenant non-empty", spec(tenant=" "), ["spec.tenant: must not be empty when present"]),
    (
        "impersonation defaults checked",
        spec(impersonation={"groups": ["system:masters"], "mode": "legacy"}),
        ['spec.impersonation.groups[0]: impersonating group "system:masters" is forbidden'],
    ),
]

SESSION_CASES = [
    ("minimal is valid", {}, []),
    ("rule 1: required fields", spec(cluster=None), ["spec.cluster: required field is missing"]),
    ("rule 1: duration ok", spec(requestedDuration="2h"), []),
    (
        "rule 1: duration invalid",
        spec(requestedDuration="2 hours"),
        [
            'spec.requestedDuration: invalid duration "2 hours": expected <number><unit> with unit one of ns, us, ms, s, m, h (or a leading <N>d)'
        ],
    ),
    (
        "rule 1: duration zero",
        spec(requestedDuration="0s"),
        ["spec.requestedDuration: must be greater than zero"],
    ),
    (
        "rule 4: value keys are identifiers",
        spec(extraDeployValues={"bad-key": 1}),
        ['spec.extraDeployValues[bad-key]: "bad-key" is not a valid variable name'],
    ),
]


def _cases(base: dict[str, Any], cases: list[tuple[str, dict[str, Any], list[str]]]) -> list[Any]:
    return [pytest.param(patched(base, patch), expected, id=name) for name, patch, expected in cases]


@pytest.mark.parametrize(("doc", "expected"), _cases(POD_TEMPLATE, POD_TEMPLATE_CASES))
def test_pod_template_rules(doc: dict[str, Any], expected: list[str]) -> None:
    assert findings(doc) == expected


@pytest.mark.parametrize(("doc", "expected"), _cases(SESSION_TEMPLATE, SESSION_TEMPLATE_CASES))
def test_session_template_rules(doc: dict[str, Any], expected: list[str]) -> None:
    assert findings(doc) == expected


@pytest.mark.parametrize(("doc", "expected"), _cases(BINDING, BINDING_CASES))
def test_binding_rules(doc: dict[str, Any], expected: list[str]) -> None:
    assert findings(doc) == expected


@pytest.mark.parametrize(("doc", "expected"), _cases(CLUSTER, CLUSTER_CASES))
def test_cluster_rules(doc: dict[str, Any], expected: list[str]) -> None:
    assert findings(doc) == expected


@pytest.mark.parametrize(("doc", "expected"), _cases(SESSION, SESSION_CASES))
def test_session_rules(doc: dict[str, Any], expected: list[str]) -> None:
    assert findings(doc) == expected


# --- rules that need the whole catalog ---------------------------------------------------------------

_RESOURCED_POD = patched(
    POD_TEMPLATE,
    spec(
        template={
            "spec": {
                "initContainers": [
                    {"name": "init", "image": "busybox", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}
                ],
                "containers": [
                    {
                        "name": "debug",
                        "image": "busybox",
                        "resources": {
                            "requests": {"cpu": "1", "memory": "1Gi"},
                            "limits": {"cpu": "1", "memory": "1Gi"},
                        },
                    }
                ],
            }
        }
    ),
)

CATALOG_CASES = [
    ("consistent catalog", [POD_TEMPLATE, SESSION_TEMPLATE, BINDING, CLUSTER], []),
    (
        "podTemplateRef names no DebugPodTemplate",
        [SESSION_TEMPLATE, BINDING, CLUSTER],
        ['1:spec.podTemplateRef.name: DebugPodTemplate "pod" does not exist'],
    ),
    (
        "binding templateRef names no template",
        [POD_TEMPLATE, BINDING, CLUSTER],
        ['2:spec.templateRef.name: DebugSessionTemplate "tpl" does not exist'],
    ),
    (
        "binding names an unknown cluster (warning)",
        [POD_TEMPLATE, SESSION_TEMPLATE, BINDING],
        ['3:spec.clusters[0]: warning: ClusterConfig "c1" does not exist'],
    ),
    (
        "binding templateSelector matches nothing (warning)",
        [
            POD_TEMPLATE,
            SESSION_TEMPLATE,
            CLUSTER,
            patched(BINDING, spec(templateRef=None, templateSelector={"matchLabels": {"team": "x"}})),
        ],
        ["4:spec.templateSelector: warning: matches no DebugSessionTemplate"],
    ),
    (
        "duplicate kind/name",
        [POD_TEMPLATE, POD_TEMPLATE, SESSION_TEMPLATE, BINDING, CLUSTER],
        ["2:metadata.name: duplicate DebugPodTemplate/pod: already defined at {file}:1"],
    ),
    (
        "same binding name in another namespace is fine",
        [
            POD_TEMPLATE,
            SESSION_TEMPLATE,
            CLUSTER,
            BINDING,
            patched(BINDING, {"metadata": {"namespace": "other"}, "spec": {"displayName": "Other"}}),
        ],
        [],
    ),
    (
        "rule 5: display-name collision",
        [POD_TEMPLATE, SESSION_TEMPLATE, CLUSTER, BINDING, patched(BINDING, {"metadata": {"name": "bnd2"}})],
        [
            "5:spec.displayName: name collision: template 'tpl' on cluster 'c1' would produce the same effective name 'tpl' as binding 'breakglass/bnd'"
        ],
    ),
    (
        "rule 5: a disabled binding does not collide",
        [
            POD_TEMPLATE,
            SESSION_TEMPLATE,
            CLUSTER,
            BINDING,
            patched(BINDING, {"metadata": {"name": "bnd2"}, "spec": {"disabled": True}}),
        ],
        [],
    ),
    (
        "rule 5: collision through clusterSelector and a prefix-less name",
        [
            POD_TEMPLATE,
            SESSION_TEMPLATE,
            patched(CLUSTER, {"metadata": {"labels": {"env": "prod"}}}),
            patched(BINDING, spec(displayName="SRE")),
            patched(
                BINDING,
                {
                    "metadata": {"name": "bnd2"},
                    "spec": {
                        "displayName": "SRE",
                        "clusters": [],
                        "clusterSelector": {"matchLabels": {"env": "prod"}},
                    },
                },
            ),
        ],
        [
            "5:spec.displayName: name collision: template 'tpl' on cluster 'c1' would produce the same effective name 'SRE' as binding 'breakglass/bnd'"
        ],
    ),
    (
        "tenant alias shared (warning on both)",
        [
            patched(CLUSTER, spec(tenant="t")),
            patched(CLUSTER, {"metadata": {"name": "c2"}, "spec": {"tenant": "t"}}),
        ],
        [
            '1:spec.tenant: warning: tenant alias "t" is shared with c2: requests naming it are refused as ambiguous',
            '2:spec.tenant: warning: tenant alias "t" is shared with c1: requests naming it are refused as ambiguous',
        ],
    ),
    (
        "reserved session label on a binding (warning)",
        [
            POD_TEMPLATE,
            SESSION_TEMPLATE,
            CLUSTER,
            patched(BINDING, spec(labels={"breakglass.telekom.com/debug-session": "x"})),
        ],
        [
            "4:spec.labels[breakglass.telekom.com/debug-session]: warning: reserved session key; it is never copied over the session's own value"
        ],
    ),
    (
        "resourceQuota fit: a container without requests (warning, the catalog loads)",
        [POD_TEMPLATE, patched(SESSION_TEMPLATE, spec(resourceQuota={"maxCPU": "1", "enforceResourceLimits": False}))],
        [
            '2:spec.resourceQuota: warning: resourceQuota requires requests.cpu and requests.memory on every container; pod template "pod" container "debug" has none: every session of template "tpl" will fail to deploy'
        ],
    ),
    (
        "resourceQuota fit: maxStorage asks for ephemeral-storage, init containers too (warning)",
        [_RESOURCED_POD, patched(SESSION_TEMPLATE, spec(resourceQuota={"maxStorage": "5Gi"}))],
        [
            '2:spec.resourceQuota: warning: resourceQuota requires requests.ephemeral-storage, limits.cpu, limits.memory and limits.ephemeral-storage on every container; pod template "pod" container "init" has none: every session of template "tpl" will fail to deploy',
            '2:spec.resourceQuota: warning: resourceQuota requires requests.ephemeral-storage and limits.ephemeral-storage on every container; pod template "pod" container "debug" has none: every session of template "tpl" will fail to deploy',
        ],
    ),
    (
        "resourceQuota fit: every container states what the quota caps",
        [
            _RESOURCED_POD,
            patched(SESSION_TEMPLATE, spec(resourceQuota={"maxCPU": "2", "enforceResourceLimits": False})),
        ],
        [],
    ),
    (
        "resourceQuota fit: nothing enforced",
        [
            POD_TEMPLATE,
            patched(
                SESSION_TEMPLATE,
                spec(
                    resourceQuota={
                        "maxStorage": "5Gi",
                        "enforceResourceRequests": False,
                        "enforceResourceLimits": False,
                    }
                ),
            ),
        ],
        [],
    ),
    (
        "resourceQuota fit: a templateString pod template is not checked",
        [
            patched(POD_TEMPLATE, spec(template=None, templateString="containers:\n- name: x\n  image: y\n")),
            patched(SESSION_TEMPLATE, spec(resourceQuota={"maxCPU": "1"})),
        ],
        [],
    ),
    (
        "resourceQuota fit: kubectl-debug mode deploys no pod",
        [
            POD_TEMPLATE,
            patched(
                SESSION_TEMPLATE,
                spec(
                    mode="kubectl-debug", kubectlDebug={"nodeDebug": {"enabled": True}}, resourceQuota={"maxCPU": "1"}
                ),
            ),
        ],
        [],
    ),
]


@pytest.mark.parametrize(("docs", "expected"), [pytest.param(d, e, id=n) for n, d, e in CATALOG_CASES])
def test_catalog_rules(write_files: WriteFiles, docs: list[dict[str, Any]], expected: list[str]) -> None:
    root = write_files({"all.yaml": dump_all(docs)})
    file = str(root / "all.yaml")
    result = load_catalog([root])
    got = [str(d).removeprefix(file + ":") for d in result.diagnostics]
    assert got == [e.format(file=file) for e in expected]
    assert result.ok is not any(d.is_error for d in result.diagnostics)
