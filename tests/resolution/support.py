"""A test catalog built in memory (no files): the resolution tests' world."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from domain.base import API_VERSION
from domain.binding import DebugSessionClusterBinding
from domain.catalog.catalog import Catalog, cross_reference
from domain.catalog.parse import parse_resource
from domain.cluster import ClusterConfig
from domain.identity import Identity
from domain.pod_template import DebugPodTemplate
from domain.session_template import DebugSessionTemplate

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def catalog_from(text: str) -> Catalog:
    """Parse multi-document YAML (apiVersion filled in) into a catalog; fails the test on any error."""
    catalog = Catalog()
    for i, doc in enumerate(d for d in yaml.safe_load_all(text) if d):
        doc.setdefault("apiVersion", API_VERSION)
        obj, findings = parse_resource(doc)
        errors = [f for f in findings if f.severity == "error"]
        assert obj is not None
        assert not errors, f"document {i + 1}: {errors}"
        if isinstance(obj, DebugPodTemplate):
            catalog.pod_templates[obj.metadata.name] = obj
        elif isinstance(obj, DebugSessionTemplate):
            catalog.session_templates[obj.metadata.name] = obj
        elif isinstance(obj, DebugSessionClusterBinding):
            catalog.bindings[obj.ref] = obj
        elif isinstance(obj, ClusterConfig):
            catalog.clusters[obj.name] = obj
        catalog.sources[f"{type(obj).__name__}/{getattr(obj, 'ref', None) or obj.metadata.name}"] = _src(i)  # type: ignore[attr-defined]
    problems = [d for d in cross_reference(catalog) if d.is_error]
    assert not problems, problems
    return catalog


def _src(i: int) -> Any:
    from domain.catalog.catalog import Source

    return Source("test", i + 1)


def who(username: str = "alice", *groups: str, email: str = "") -> Identity:
    """An identity with the given groups."""
    return Identity(username=username, email=email or f"{username}@example.com", groups=tuple(groups))


WORLD = """
kind: DebugPodTemplate
metadata: {name: pod}
spec:
  template:
    spec:
      containers: [{name: debug, image: busybox}]
---
kind: ClusterConfig
metadata: {name: prod-eu, labels: {environment: production}}
spec: {kubeconfig: {path: /k/prod-eu}, tenant: prod}
---
kind: ClusterConfig
metadata: {name: dev-1, labels: {environment: dev}}
spec: {kubeconfig: {path: /k/dev-1}, tenant: dev}
---
kind: ClusterConfig
metadata: {name: dev-2, labels: {environment: dev}}
spec: {kubeconfig: {path: /k/dev-2}, tenant: dev}
---
kind: ClusterConfig
metadata: {name: staging-1, labels: {environment: staging}}
spec: {kubeconfig: {path: /k/staging-1}}
---
kind: ClusterConfig
metadata: {name: lab, labels: {environment: lab}}
spec: {kubeconfig: {path: /k/lab}}
---
# Template with its own cluster patterns and approvers
kind: DebugSessionTemplate
metadata: {name: basic}
spec:
  podTemplateRef: {name: pod}
  allowed:
    groups: [sre]
    clusters: ["staging-*", "dev-*"]
  approvers:
    groups: [sre-leads]
    autoApproveFor:
      groups: [sre-leads]
      clusters: ["dev-*"]
  constraints: {maxDuration: 4h, defaultDuration: 1h}
  requestReason: {mandatory: false, minLength: 10, maxLength: 40}
---
kind: DebugSessionTemplate
metadata: {name: open}
spec:
  podTemplateRef: {name: pod}
  allowed: {clusters: ["*"]}
  namespaceConstraints: {defaultNamespace: open-ns, allowUserNamespace: true}
---
kind: DebugSessionTemplate
metadata: {name: fixed-ns}
spec:
  podTemplateRef: {name: pod}
  allowed: {clusters: ["*"]}
  namespaceConstraints: {defaultNamespace: fixed}
---
kind: DebugSessionTemplate
metadata: {name: deny-ns}
spec:
  podTemplateRef: {name: pod}
  allowed: {clusters: ["*"]}
  namespaceConstraints: {defaultNamespace: fixed, allowUserNamespace: true, denyUserNamespace: true}
---
# Template usable only through bindings (no cluster patterns)
kind: DebugSessionTemplate
metadata: {name: bound, labels: {team: sre}}
spec:
  podTemplateRef: {name: pod}
  allowed: {groups: [sre]}
  constraints: {maxDuration: 8h, defaultDuration: 2h, maxRenewals: 5}
  namespaceConstraints:
    defaultNamespace: debug-default
    allowUserNamespace: true
    allowedNamespaces:
      patterns: ["debug-*", "team-*"]
      selectorTerms:
        - matchLabels: {debug-enabled: "true"}
    deniedNamespaces:
      patterns: ["debug-secret*"]
      selectorTerms:
        - matchLabels: {protected: "true"}
  schedulingConstraints:
    nodeSelector: {pool: general}
    deniedNodeLabels: {node-role.kubernetes.io/control-plane: "*", zone: a}
  schedulingOptions:
    required: true
    options:
      - name: standard
        displayName: Standard
        default: true
        schedulingConstraints: {nodeSelector: {sriov: "false"}}
      - name: sriov
        displayName: SRIOV
        allowedGroups: [netops]
        schedulingConstraints: {nodeSelector: {sriov: "true"}}
      - name: clash
        displayName: Clash
        schedulingConstraints: {nodeSelector: {pool: gpu}}
      - name: zone-any
        displayName: Any zone denied
        schedulingConstraints: {deniedNodeLabels: {zone: "*"}}
  extraDeployVariables:
    - {name: flag, inputType: boolean}
    - {name: note, inputType: text, validation: {minLength: 2, maxLength: 5, pattern: "^[a-z]+$"}}
    - {name: count, inputType: number, validation: {min: "1", max: "10"}}
    - {name: size, inputType: storageSize, validation: {minStorage: 1Gi, maxStorage: 10Gi}}
    - name: tier
      inputType: select
      options: [{value: gold}, {value: silver, disabled: true}, {value: vip, allowedGroups: [vip]}]
    - name: tools
      inputType: multiSelect
      options: [{value: a}, {value: b}]
      validation: {minItems: 1, maxItems: 2}
    - {name: secret, inputType: text, allowedGroups: [admins]}
    - {name: must, inputType: text, required: true, default: "x"}
  allowedPodOperations: {exec: true, attach: false, logs: true, portForward: true}
---
kind: DebugSessionClusterBinding
metadata: {name: sre-prod, namespace: breakglass}
spec:
  templateRef: {name: bound}
  clusters: [prod-eu]
  allowed: {groups: [sre-prod]}
  constraints: {maxDuration: 2h, defaultDuration: 30m}
  approvers: {groups: [security]}
  maxActiveSessionsPerUser: 1
  maxActiveSessionsTotal: 3
  allowedPodOperations: {exec: false, logs: true}
  labels: {team: sre, breakglass.telekom.com/debug-session: spoofed}
  annotations: {owner: sre}
---
kind: DebugSessionClusterBinding
metadata: {name: dev-all, namespace: breakglass}
spec:
  templateSelector: {matchLabels: {team: sre}}
  clusterSelector: {matchLabels: {environment: dev}}
  approvers: {}
  requestReason: {mandatory: true}
---
kind: DebugSessionClusterBinding
metadata: {name: lab-off, namespace: breakglass}
spec:
  templateRef: {name: bound}
  clusters: [lab]
  disabled: true
---
kind: DebugSessionClusterBinding
metadata: {name: staging-conflict, namespace: breakglass}
spec:
  templateRef: {name: bound}
  clusters: [staging-1]
  schedulingConstraints: {nodeSelector: {pool: other}}
"""
