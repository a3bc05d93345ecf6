"""The reference's two clients against our API: `bgctl` (Go CLI) and the Vue UI, call by call.

Each call is sent as the client sends it (path, query string, body bytes and headers), and its answer is
checked the way the client consumes it (docs/reference-clients.md, the tables of which are the `BGCTL`,
`FRONTEND` and `UI_START` tables below):

- `reads`: the fields the client reads and cannot do without (present, not null). `a[].b` means field `b`
  of every item of list `a`.
- `decodes`: the type the client decodes the body into. bgctl uses Go's encoding/json, which rejects a
  present key whose JSON type differs from the struct field's (a string for an int, an object for a
  string, a timestamp that is not RFC 3339) and fails the whole command; unknown keys and nulls pass. The UI
  is looser, but renders what the TypeScript types promise. Types are checked for every present key the
  type names, at any depth given here.

Every problem of a test is collected and reported at once, so one run lists every gap.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest_asyncio

from api.app import create_app
from api.settings import ApiSettings
from tests.conftest import REPO
from tests.e2e.conftest import Stack
from tests.e2e.test_api_e2e import api, auth, wait_for  # noqa: F401  (api: a fixture)

# --- the types the clients decode into -------------------------------------------------------------------


@dataclass(frozen=True)
class ListOf:
    item: Spec


@dataclass(frozen=True)
class MapOf:
    value: Spec


Spec = str | dict[str, "Spec"] | ListOf | MapOf
"""A JSON type: "string", "boolean", "integer", "number", "time" (an RFC 3339 string, Go's metav1.Time),
"any"; an object (the keys a client knows; others are ignored); a list; a map of string keys."""

STR, BOOL, INT, TIME, ANY = "string", "boolean", "integer", "time", "any"
STRINGS = ListOf(STR)
LABELS = MapOf(STR)
Obj = dict[str, Spec]

# api/v1alpha1 of the reference: the Go structs bgctl decodes a DebugSession into.
GO_OBJECT_META: Spec = {
    "name": STR,
    "namespace": STR,
    "uid": STR,
    "resourceVersion": STR,
    "generation": INT,
    "creationTimestamp": TIME,
    "labels": LABELS,
    "annotations": LABELS,
}
GO_ALLOWED_POD_OPERATIONS: Spec = {"exec": BOOL, "attach": BOOL, "logs": BOOL, "portForward": BOOL}
GO_CONSTRAINTS: Spec = {
    "maxDuration": STR,
    "defaultDuration": STR,
    "allowRenewal": BOOL,
    "maxRenewals": INT,
    "renewalLimit": INT,
    "maxConcurrentSessions": INT,
}
GO_SCHEDULING_CONSTRAINTS: Spec = {
    "requiredNodeAffinity": {"nodeSelectorTerms": ListOf({})},
    "preferredNodeAffinity": ListOf({"weight": INT}),
    "requiredPodAntiAffinity": ListOf({"topologyKey": STR}),
    "preferredPodAntiAffinity": ListOf({"weight": INT}),
    "nodeSelector": LABELS,
    "tolerations": ListOf({"key": STR, "operator": STR, "value": STR, "effect": STR, "tolerationSeconds": INT}),
    "topologySpreadConstraints": ListOf({"maxSkew": INT, "topologyKey": STR, "whenUnsatisfiable": STR}),
    "deniedNodes": STRINGS,
    "deniedNodeLabels": LABELS,
}
GO_REQUEST_REASON: Spec = {
    "mandatory": BOOL,
    "minLength": INT,
    "maxLength": INT,
    "description": STR,
    "suggestedReasons": STRINGS,
}
GO_APPROVAL_REASON: Spec = {"mandatory": BOOL, "mandatoryForRejection": BOOL, "minLength": INT, "description": STR}
GO_NAMESPACE_FILTER: Spec = {"patterns": STRINGS, "selectorTerms": ListOf({"matchLabels": LABELS})}
GO_TEMPLATE_SPEC: Spec = {  # DebugSessionTemplateSpec, as status.resolvedTemplate
    "displayName": STR,
    "description": STR,
    "mode": STR,
    "podTemplateRef": {"name": STR},
    "podTemplateString": STR,
    "podOverridesTemplate": STR,
    "extraDeployVariables": ListOf(
        {
            "name": STR,
            "displayName": STR,
            "description": STR,
            "inputType": STR,
            "required": BOOL,
            "advanced": BOOL,
            "group": STR,
        }
    ),
    "workloadType": STR,
    "replicas": INT,
    "podOverrides": {"spec": {}},
    "affinityOverrides": {},
    "additionalTolerations": ListOf({"key": STR, "operator": STR, "value": STR, "effect": STR}),
    "schedulingConstraints": GO_SCHEDULING_CONSTRAINTS,
    "schedulingOptions": {
        "required": BOOL,
        "options": ListOf(
            {
                "name": STR,
                "displayName": STR,
                "description": STR,
                "default": BOOL,
                "schedulingConstraints": GO_SCHEDULING_CONSTRAINTS,
                "allowedGroups": STRINGS,
                "allowedUsers": STRINGS,
            }
        ),
    },
    "kubectlDebug": {
        "ephemeralContainers": {"enabled": BOOL, "allowedImages": STRINGS, "requireImageDigest": BOOL},
        "nodeDebug": {"enabled": BOOL, "allowedImages": STRINGS, "nodeSelector": LABELS},
        "podCopy": {"enabled": BOOL, "targetNamespace": STR, "labels": LABELS, "ttl": STR},
    },
    "allowed": {"groups": STRINGS, "users": STRINGS, "clusters": STRINGS, "clusterSelector": {}},
    "approvers": {"groups": STRINGS, "users": STRINGS, "autoApproveFor": {}},
    "constraints": GO_CONSTRAINTS,
    "targetNamespace": STR,
    "namespaceConstraints": {
        "allowedNamespaces": GO_NAMESPACE_FILTER,
        "deniedNamespaces": GO_NAMESPACE_FILTER,
        "defaultNamespace": STR,
        "allowUserNamespace": BOOL,
        "denyUserNamespace": BOOL,
        "createIfNotExists": BOOL,
        "namespaceLabels": LABELS,
    },
    "impersonation": {"serviceAccountRef": {"name": STR, "namespace": STR}, "mode": STR, "groups": STRINGS},
    "failMode": STR,
    "terminalSharing": {"enabled": BOOL, "provider": STR, "maxParticipants": INT},
    "audit": {"enabled": BOOL, "enableTerminalRecording": BOOL, "recordingRetention": STR, "enableShellHistory": BOOL},
    "auxiliaryResources": ListOf(
        {
            "name": STR,
            "description": STR,
            "category": STR,
            "templateString": STR,
            "createBefore": BOOL,
            "optional": BOOL,
        }
    ),
    "auxiliaryResourceDefaults": MapOf(BOOL),
    "requiredAuxiliaryResourceCategories": STRINGS,
    "notification": {"enabled": BOOL, "additionalRecipients": STRINGS},
    "requestReason": GO_REQUEST_REASON,
    "approvalReason": GO_APPROVAL_REASON,
    "resourceQuota": {"maxPods": INT, "maxCPU": STR, "maxMemory": STR, "maxStorage": STR},
    "podDisruptionBudget": {"enabled": BOOL, "minAvailable": INT, "maxUnavailable": INT},
    "labels": LABELS,
    "annotations": LABELS,
    "priority": INT,
    "hidden": BOOL,
    "deprecated": BOOL,
    "deprecationMessage": STR,
    "expirationBehavior": STR,
    "gracePeriodBeforeExpiry": STR,
    "allowedPodOperations": GO_ALLOWED_POD_OPERATIONS,
}
GO_DEBUG_SESSION: Obj = {
    "apiVersion": STR,
    "kind": STR,
    "metadata": GO_OBJECT_META,
    "spec": {
        "cluster": STR,
        "templateRef": STR,
        "requestedBy": STR,
        "requestedByEmail": STR,
        "requestedByDisplayName": STR,
        "userGroups": STRINGS,
        "requestedDuration": STR,
        "reason": STR,
        "nodeSelector": LABELS,
        "invitedParticipants": STRINGS,
        "targetNamespace": STR,
        "selectedSchedulingOption": STR,
        "resolvedSchedulingConstraints": GO_SCHEDULING_CONSTRAINTS,
        "bindingRef": {"name": STR, "namespace": STR},
        "selectedAuxiliaryResources": STRINGS,
        "requestReasonConfig": GO_REQUEST_REASON,
        "approvalReasonConfig": GO_APPROVAL_REASON,
        "extraDeployValues": MapOf(ANY),
    },
    "status": {
        "observedGeneration": INT,
        "state": STR,
        "approval": {
            "required": BOOL,
            "approvedBy": STR,
            "approvedAt": TIME,
            "rejectedBy": STR,
            "rejectedAt": TIME,
            "reason": STR,
        },
        "participants": ListOf(
            {"user": STR, "email": STR, "displayName": STR, "role": STR, "joinedAt": TIME, "leftAt": TIME}
        ),
        "terminalSharing": {"enabled": BOOL, "sessionName": STR, "attachCommand": STR},
        "deployedResources": ListOf(
            {"apiVersion": STR, "kind": STR, "name": STR, "namespace": STR, "source": STR, "uid": STR}
        ),
        "allowedPods": ListOf(
            {
                "namespace": STR,
                "name": STR,
                "nodeName": STR,
                "ready": BOOL,
                "phase": STR,
                "containerStatus": {
                    "waitingReason": STR,
                    "waitingMessage": STR,
                    "restartCount": INT,
                    "lastTerminationReason": STR,
                },
            }
        ),
        "allowedPodOperations": GO_ALLOWED_POD_OPERATIONS,
        "kubectlDebugStatus": {
            "ephemeralContainersInjected": ListOf(
                {
                    "podName": STR,
                    "namespace": STR,
                    "containerName": STR,
                    "image": STR,
                    "injectedAt": TIME,
                    "injectedBy": STR,
                }
            ),
            "copiedPods": ListOf(
                {
                    "originalPod": STR,
                    "originalNamespace": STR,
                    "copyName": STR,
                    "copyNamespace": STR,
                    "createdAt": TIME,
                    "expiresAt": TIME,
                }
            ),
        },
        "startsAt": TIME,
        "expiresAt": TIME,
        "renewalCount": INT,
        "conditions": ListOf(
            {
                "type": STR,
                "status": STR,
                "observedGeneration": INT,
                "lastTransitionTime": TIME,
                "reason": STR,
                "message": STR,
            }
        ),
        "message": STR,
        "resolvedTemplate": GO_TEMPLATE_SPEC,
        "resolvedBinding": {"name": STR, "namespace": STR, "displayName": STR},
        "auxiliaryResourceStatuses": ListOf(
            {
                "name": STR,
                "category": STR,
                "kind": STR,
                "apiVersion": STR,
                "resourceName": STR,
                "namespace": STR,
                "created": BOOL,
                "createdAt": STR,
                "ready": BOOL,
                "readyAt": STR,
                "readinessStatus": STR,
                "deleted": BOOL,
                "deletedAt": STR,
                "error": STR,
                "additionalResources": ListOf({}),
            }
        ),
        "podTemplateResourceStatuses": ListOf(
            {
                "kind": STR,
                "apiVersion": STR,
                "resourceName": STR,
                "namespace": STR,
                "source": STR,
                "created": BOOL,
                "createdAt": STR,
                "ready": BOOL,
                "readyAt": STR,
                "readinessStatus": STR,
                "deleted": BOOL,
                "deletedAt": STR,
                "error": STR,
            }
        ),
    },
}
# pkg/bgctl/client: the response structs of the CLI's client.
GO_SESSION_SUMMARY: Obj = {
    "name": STR,
    "templateRef": STR,
    "targetNamespace": STR,
    "cluster": STR,
    "requestedBy": STR,
    "state": STR,
    "statusMessage": STR,
    "startsAt": TIME,
    "expiresAt": TIME,
    "participants": INT,
    "isParticipant": BOOL,
    "allowedPods": INT,
    "allowedPodOperations": GO_ALLOWED_POD_OPERATIONS,
}
GO_SESSION_LIST: Spec = {"sessions": ListOf(GO_SESSION_SUMMARY), "total": INT}
GO_SCHEDULING_OPTIONS: Spec = {
    "required": BOOL,
    "options": ListOf({"name": STR, "displayName": STR, "description": STR, "default": BOOL}),
}
GO_NAMESPACE_CONSTRAINTS: Spec = {
    "allowedPatterns": STRINGS,
    "allowedLabelSelectors": ListOf(
        {"matchLabels": LABELS, "matchExpressions": ListOf({"key": STR, "operator": STR, "values": STRINGS})}
    ),
    "deniedPatterns": STRINGS,
    "deniedLabelSelectors": ListOf(
        {"matchLabels": LABELS, "matchExpressions": ListOf({"key": STR, "operator": STR, "values": STRINGS})}
    ),
    "defaultNamespace": STR,
    "allowUserNamespace": BOOL,
}
GO_TEMPLATE_SUMMARY: Obj = {
    "name": STR,
    "displayName": STR,
    "description": STR,
    "mode": STR,
    "workloadType": STR,
    "podTemplateRef": STR,
    "targetNamespace": STR,
    "constraints": GO_CONSTRAINTS,
    "allowedClusters": STRINGS,
    "allowedGroups": STRINGS,
    "requiresApproval": BOOL,
    "hasAvailableClusters": BOOL,
    "availableClusterCount": INT,
}
GO_TEMPLATE_LIST: Spec = {"templates": ListOf(GO_TEMPLATE_SUMMARY), "total": INT}
GO_BINDING_REF: Spec = {"name": STR, "namespace": STR, "displayNamePrefix": STR}
GO_IMPERSONATION: Spec = {"enabled": BOOL, "serviceAccount": STR, "namespace": STR, "reason": STR}
GO_APPROVAL_INFO: Spec = {"required": BOOL, "approverGroups": STRINGS, "approverUsers": STRINGS, "canAutoApprove": BOOL}
GO_REASON_INFO: Spec = {
    "mandatory": BOOL,
    "mandatoryForRejection": BOOL,
    "description": STR,
    "minLength": INT,
    "maxLength": INT,
    "suggestedReasons": STRINGS,
}
GO_SCHEDULING_SUMMARY: Spec = {"summary": STR, "deniedNodeLabels": LABELS}
GO_BINDING_OPTION: Spec = {
    "bindingRef": GO_BINDING_REF,
    "displayName": STR,
    "constraints": GO_CONSTRAINTS,
    "schedulingConstraints": GO_SCHEDULING_SUMMARY,
    "schedulingOptions": GO_SCHEDULING_OPTIONS,
    "namespaceConstraints": GO_NAMESPACE_CONSTRAINTS,
    "impersonation": GO_IMPERSONATION,
    "requiredAuxiliaryResourceCategories": STRINGS,
    "approval": GO_APPROVAL_INFO,
    "requestReason": GO_REASON_INFO,
    "approvalReason": GO_REASON_INFO,
    "notification": {"enabled": BOOL},
}
GO_TEMPLATE_CLUSTERS: Spec = {
    "templateName": STR,
    "templateDisplayName": STR,
    "clusters": ListOf(
        {
            "name": STR,
            "displayName": STR,
            "environment": STR,
            "location": STR,
            "site": STR,
            "tenant": STR,
            "bindingRef": GO_BINDING_REF,
            "bindingOptions": ListOf(GO_BINDING_OPTION),
            "constraints": GO_CONSTRAINTS,
            "schedulingConstraints": GO_SCHEDULING_SUMMARY,
            "schedulingOptions": GO_SCHEDULING_OPTIONS,
            "namespaceConstraints": GO_NAMESPACE_CONSTRAINTS,
            "impersonation": GO_IMPERSONATION,
            "requiredAuxiliaryResourceCategories": STRINGS,
            "approval": GO_APPROVAL_INFO,
            "status": {"healthy": BOOL, "lastChecked": STR},
        }
    ),
}
GO_POD_TEMPLATE_LIST: Spec = {
    "templates": ListOf({"name": STR, "displayName": STR, "description": STR, "containers": INT}),
    "total": INT,
}
GO_POD_TEMPLATE: Spec = {  # api/v1alpha1 DebugPodTemplate: what `bgctl debug pod-template get` decodes into
    "metadata": GO_OBJECT_META,
    "spec": {
        "displayName": STR,
        "description": STR,
        "template": {"spec": {"containers": ListOf({"name": STR, "image": STR})}},
        "templateString": STR,
    },
}

# frontend/src/model: the TypeScript interfaces the UI reads responses as.
TS_SESSION_SUMMARY: Spec = {
    **GO_SESSION_SUMMARY,
    "requestedByDisplayName": STR,
    "canApprove": BOOL,
    "canReject": BOOL,
}
TS_SESSION_LIST: Spec = {"sessions": ListOf(TS_SESSION_SUMMARY), "total": INT}
TS_DEBUG_SESSION: Spec = {**GO_DEBUG_SESSION, "warnings": STRINGS, "canApprove": BOOL, "canReject": BOOL}
TS_TEMPLATE: Spec = {
    **GO_TEMPLATE_SUMMARY,
    "schedulingOptions": GO_SCHEDULING_OPTIONS,
    "namespaceConstraints": GO_NAMESPACE_CONSTRAINTS,
    "extraDeployVariables": ListOf(
        {
            "name": STR,
            "displayName": STR,
            "description": STR,
            "inputType": STR,
            "options": ListOf({"value": STR, "displayName": STR, "description": STR, "disabled": BOOL}),
            "default": ANY,
            "required": BOOL,
            "advanced": BOOL,
            "group": STR,
        }
    ),
}
TS_TEMPLATE_LIST: Spec = {"templates": ListOf(TS_TEMPLATE), "total": INT}
TS_TEMPLATE_CLUSTERS = GO_TEMPLATE_CLUSTERS
TS_CONFIG: Spec = {"frontend": {"oidcAuthority": STR, "oidcClientID": STR, "brandingName": STR, "uiFlavour": STR}}
# What the reference's server sends for /api/identity-provider (pkg/api/api.go IdentityProviderResponse).
# The UI's own interface names `clientID` and `keycloak.{baseURL,realm}` instead of `clientId` and
# `keycloakMetadata.{baseUrl,realm}`: it never finds them and falls back to /api/config (see the doc).
TS_IDENTITY_PROVIDER: Spec = {
    "type": STR,
    "authority": STR,
    "directAuthority": STR,
    "clientId": STR,
    "clientID": STR,
    "keycloakMetadata": {"baseUrl": STR, "realm": STR},
    "keycloak": {"baseURL": STR, "realm": STR},
}
TS_IDPS: Spec = {
    "identityProviders": ListOf(
        {"name": STR, "displayName": STR, "issuer": STR, "enabled": BOOL, "oidcAuthority": STR, "oidcClientID": STR}
    ),
    "escalationIDPMapping": MapOf(STRINGS),
}

# --- the calls ------------------------------------------------------------------------------------------

NO_BODY: Any = object()


@dataclass(frozen=True)
class Call:
    """One request as a client sends it. `path` and `query` may hold {placeholders}."""

    what: str
    method: Literal["GET", "POST"]
    path: str
    query: str = ""
    body: Any = NO_BODY
    reads: tuple[str, ...] = ()
    decodes: Spec = ANY
    status: int = 200


BGCTL_ROW = ("sessions[].name", "sessions[].cluster", "sessions[].templateRef", "sessions[].requestedBy")
BGCTL_SESSION_ROW = (
    "metadata.name",
    "spec.templateRef",
    "spec.cluster",
    "spec.requestedBy",
    "status.state",
)  # the one-row table `get`, `create` and every action print (output.WriteObject of a *DebugSession)
BGCTL_LIST = ("sessions", "total", *BGCTL_ROW, "sessions[].state")
BGCTL_WIDE = (*BGCTL_LIST, "sessions[].participants", "sessions[].allowedPods")

# pkg/bgctl/client/debug.go + pkg/bgctl/cmd/debug.go + pkg/bgctl/output/table.go
BGCTL: dict[str, Call] = {
    c.what: c
    for c in [
        Call(
            "debug template list",
            "GET",
            "/api/debugSessions/templates",
            reads=(
                "templates",
                "templates[].name",
                "templates[].displayName",
                "templates[].mode",
                "templates[].requiresApproval",
                "templates[].hasAvailableClusters",
            ),
            decodes=GO_TEMPLATE_LIST,
        ),
        Call(
            "debug template list --all",
            "GET",
            "/api/debugSessions/templates",
            "includeUnavailable=true",
            reads=("templates", "templates[].name", "templates[].hasAvailableClusters"),
            decodes=GO_TEMPLATE_LIST,
        ),
        Call(
            "debug template get",
            "GET",
            "/api/debugSessions/templates/{template}",
            reads=("name", "displayName", "mode", "requiresApproval", "hasAvailableClusters"),
            decodes=GO_TEMPLATE_SUMMARY,
        ),
        Call(
            "debug template clusters -o wide",
            "GET",
            "/api/debugSessions/templates/{template}/clusters",
            reads=("templateName", "clusters", "clusters[].name", "clusters[].approval.required"),
            decodes=GO_TEMPLATE_CLUSTERS,
        ),
        Call(
            "debug template clusters --environment --location --binding",
            "GET",
            "/api/debugSessions/templates/{template}/clusters",
            "bindingName={binding}&environment={environment}&location={location}",
            reads=("templateName", "clusters", "clusters[].name"),
            decodes=GO_TEMPLATE_CLUSTERS,
        ),
        Call(  # the same request; the command prints the chosen cluster's bindingOptions only
            "debug template bindings",
            "GET",
            "/api/debugSessions/templates/{template}/clusters",
            reads=(
                "clusters[].bindingOptions",
                "clusters[].bindingOptions[].bindingRef.name",
                "clusters[].bindingOptions[].bindingRef.namespace",
            ),
            decodes=GO_TEMPLATE_CLUSTERS,
        ),
        Call(
            "debug pod-template list",
            "GET",
            "/api/debugSessions/podTemplates",
            reads=("templates", "templates[].name", "templates[].displayName", "templates[].containers"),
            decodes=GO_POD_TEMPLATE_LIST,
        ),
        Call(  # decoded as the DebugPodTemplate resource, though the reference's server answers the flat summary
            "debug pod-template get",
            "GET",
            "/api/debugSessions/podTemplates/{pod_template}",
            decodes=GO_POD_TEMPLATE,
        ),
        Call(
            "debug session create --template --cluster --binding --duration --reason --invite",
            "POST",
            "/api/debugSessions",
            body={
                "templateRef": "network-debug",
                "cluster": "prod-eu",
                "bindingRef": "breakglass/sre-production-access",  # --binding sre-production-access
                "requestedDuration": "1h",
                "reason": "packet loss on the eu edge",
                "invitedParticipants": ["dave@example.com"],
            },
            reads=BGCTL_SESSION_ROW,
            decodes=GO_DEBUG_SESSION,
            status=201,
        ),
        Call(
            "debug session create --template --cluster --reason",
            "POST",
            "/api/debugSessions",
            body={"templateRef": "network-debug", "cluster": "prod-eu", "reason": "second look"},
            reads=BGCTL_SESSION_ROW,
            decodes=GO_DEBUG_SESSION,
            status=201,
        ),
        Call(
            "debug session list --state PendingApproval",
            "GET",
            "/api/debugSessions",
            "state=PendingApproval",
            reads=BGCTL_LIST,
            decodes=GO_SESSION_LIST,
        ),
        Call(  # --state pendingapproval,active: validated, canonicalised and sent as repeated parameters
            "debug session list --state pendingapproval,active",
            "GET",
            "/api/debugSessions",
            "state=PendingApproval&state=Active",
            reads=BGCTL_LIST,
            decodes=GO_SESSION_LIST,
        ),
        Call(
            "debug session list -o wide --cluster --state Active --user --mine",
            "GET",
            "/api/debugSessions",
            "cluster={cluster}&mine=true&state=Active&user={user}",  # url.Values.Encode sorts the keys
            reads=(*BGCTL_WIDE, "sessions[].startsAt", "sessions[].expiresAt"),
            decodes=GO_SESSION_LIST,
        ),
        Call(
            "debug session watch --mine",
            "GET",
            "/api/debugSessions",
            "mine=true",
            reads=("sessions", "sessions[].name", "sessions[].cluster", "sessions[].requestedBy", "sessions[].state"),
            decodes=GO_SESSION_LIST,
        ),
        Call(
            "debug session approve",
            "POST",
            "/api/debugSessions/{name}/approve",
            body={},  # ApprovalRequest{Reason: ""} with omitempty
            reads=BGCTL_SESSION_ROW,
            decodes=GO_DEBUG_SESSION,
        ),
        Call(
            "debug session reject --reason",
            "POST",
            "/api/debugSessions/{name}/reject",
            body={"reason": "not during the freeze"},
            reads=BGCTL_SESSION_ROW,
            decodes=GO_DEBUG_SESSION,
        ),
        Call(
            "debug session get",
            "GET",
            "/api/debugSessions/{name}",
            reads=(*BGCTL_SESSION_ROW, "status.startsAt", "status.expiresAt"),
            decodes=GO_DEBUG_SESSION,
        ),
        Call(
            "debug session get --namespace",
            "GET",
            "/api/debugSessions/{name}",
            "namespace={namespace}",
            reads=BGCTL_SESSION_ROW,
            decodes=GO_DEBUG_SESSION,
        ),
        Call("debug session join", "POST", "/api/debugSessions/{name}/join", decodes=GO_DEBUG_SESSION),
        Call("debug session leave", "POST", "/api/debugSessions/{name}/leave", decodes=GO_DEBUG_SESSION),
        Call(
            "debug session renew --extend-by 30m",
            "POST",
            "/api/debugSessions/{name}/renew",
            body={"extendBy": "30m"},
            decodes=GO_DEBUG_SESSION,
        ),
        Call(
            "debug session terminate -y",
            "POST",
            "/api/debugSessions/{name}/terminate",
            reads=BGCTL_SESSION_ROW,
            decodes=GO_DEBUG_SESSION,
        ),
    ]
}

TS_ROW = (
    "sessions",
    "total",
    "sessions[].name",
    "sessions[].templateRef",
    "sessions[].cluster",
    "sessions[].requestedBy",
    "sessions[].state",
    "sessions[].participants",
    "sessions[].isParticipant",
    "sessions[].allowedPods",
    "sessions[].canApprove",
    "sessions[].canReject",
)
TS_DETAILS = (
    "metadata.name",
    "metadata.creationTimestamp",
    "spec.templateRef",
    "spec.cluster",
    "spec.requestedBy",
    "status.state",
    "canApprove",
    "canReject",
)

# frontend/src/services/debugSession.ts (axios, baseURL /api) as the views call it
FRONTEND: dict[str, Call] = {
    c.what: c
    for c in [
        Call(
            "DebugSessionCreate: listTemplates",
            "GET",
            "/api/debugSessions/templates",
            reads=(
                "templates",
                "templates[].name",
                "templates[].displayName",
                "templates[].requiresApproval",
                "templates[].hasAvailableClusters",
                "templates[].availableClusterCount",
            ),
            decodes=TS_TEMPLATE_LIST,
        ),
        Call(
            "DebugSessionCreate: getTemplateClusters",
            "GET",
            "/api/debugSessions/templates/{template}/clusters",
            reads=("clusters", "clusters[].name", "clusters[].bindingOptions", "clusters[].approval.required"),
            decodes=TS_TEMPLATE_CLUSTERS,
        ),
        Call(
            "DebugSessionCreate: createSession",
            "POST",
            "/api/debugSessions",
            body={
                "templateRef": "network-debug",
                "cluster": "prod-eu",
                "requestedDuration": "1h",
                "reason": "packet loss on the eu edge",
            },
            reads=("metadata.name",),
            decodes=TS_DEBUG_SESSION,
            status=201,
        ),
        Call(  # the form sends every field it has, an untouched reason as ""
            "DebugSessionCreate: createSession (no reason typed)",
            "POST",
            "/api/debugSessions",
            body={"templateRef": "network-debug", "cluster": "prod-eu", "requestedDuration": "30m", "reason": ""},
            reads=("metadata.name",),
            decodes=TS_DEBUG_SESSION,
            status=201,
        ),
        Call(
            "DebugSessionBrowser: listSessions (My Sessions)",
            "GET",
            "/api/debugSessions",
            "mine=true",
            reads=TS_ROW,
            decodes=TS_SESSION_LIST,
        ),
        Call(
            "DebugSessionBrowser: listSessions (all)",
            "GET",
            "/api/debugSessions",
            reads=TS_ROW,
            decodes=TS_SESSION_LIST,
        ),
        Call(
            "DebugSessionDetails: getSession",
            "GET",
            "/api/debugSessions/{name}",
            reads=TS_DETAILS,
            decodes=TS_DEBUG_SESSION,
        ),
        Call(
            "DebugSessionDetails: getSession (active)",
            "GET",
            "/api/debugSessions/{name}",
            reads=(
                *TS_DETAILS,
                "status.startsAt",
                "status.expiresAt",
                "status.participants[].user",
                "status.participants[].role",
                "status.participants[].joinedAt",
                "status.allowedPods[].name",
                "status.allowedPods[].namespace",
                "status.allowedPods[].phase",
            ),
            decodes=TS_DEBUG_SESSION,
        ),
        Call("approveSession", "POST", "/api/debugSessions/{name}/approve", body={}, decodes=TS_DEBUG_SESSION),
        Call(
            "rejectSession",
            "POST",
            "/api/debugSessions/{name}/reject",
            body={"reason": "not during the freeze"},
            decodes=TS_DEBUG_SESSION,
        ),
        Call("joinSession", "POST", "/api/debugSessions/{name}/join"),
        Call("leaveSession", "POST", "/api/debugSessions/{name}/leave"),
        Call("renewSession", "POST", "/api/debugSessions/{name}/renew", body={"extendBy": "30m"}),
        Call("terminateSession", "POST", "/api/debugSessions/{name}/terminate"),
    ]
}

# frontend/src/main.ts -> services/config.ts, identityProvider.ts, multiIDP.ts (plain axios, no token)
UI_START: dict[str, Call] = {
    c.what: c
    for c in [
        Call(
            "getIdentityProvider",
            "GET",
            "/api/identity-provider",
            reads=("type", "authority", "clientId"),
            decodes=TS_IDENTITY_PROVIDER,
        ),
        Call(
            "getConfig",
            "GET",
            "/api/config",
            reads=("frontend.oidcAuthority", "frontend.oidcClientID"),
            decodes=TS_CONFIG,
        ),
        Call(
            "getMultiIDPConfig",
            "GET",
            "/api/config/idps",
            reads=(
                "identityProviders",
                "escalationIDPMapping",
                "identityProviders[].name",
                "identityProviders[].displayName",
                "identityProviders[].issuer",
                "identityProviders[].enabled",
            ),
            decodes=TS_IDPS,
        ),
    ]
}

# --- checking answers -----------------------------------------------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
KINDS: dict[str, Callable[[Any], bool]] = {
    STR: lambda v: isinstance(v, str),
    BOOL: lambda v: isinstance(v, bool),
    INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    TIME: lambda v: isinstance(v, str) and bool(RFC3339.match(v)),
    ANY: lambda v: True,
}


def type_problems(value: Any, spec: Spec, where: str = "") -> list[str]:
    """Where `value` would not decode as `spec` (nulls always do: Go and the UI treat them as absent)."""
    if value is None or spec == ANY:
        return []
    if isinstance(spec, str):
        return [] if KINDS[spec](value) else [f"{where or '.'}: expected {spec}, got {json.dumps(value)[:60]}"]
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {json.dumps(value)[:60]}"]
        return [p for i, item in enumerate(value) for p in type_problems(item, spec.item, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where or '.'}: expected an object, got {json.dumps(value)[:60]}"]
    if isinstance(spec, MapOf):
        return [p for k, v in value.items() for p in type_problems(v, spec.value, f"{where}.{k}")]
    return [p for k, sub in spec.items() if k in value for p in type_problems(value[k], sub, f"{where}.{k}")]


def missing(value: Any, path: str) -> list[str]:
    """The places where `path` ("a.b", "a[].b") is absent or null in `value`."""

    def walk(node: Any, parts: list[str], where: str) -> list[str]:
        if not parts:
            return []
        head, rest = parts[0], parts[1:]
        key = head.removesuffix("[]")
        found = node.get(key) if isinstance(node, dict) else None
        if found is None:
            return [f"{where}{key}: missing"]
        if head.endswith("[]"):
            if not isinstance(found, list):
                return [f"{where}{key}: expected a list"]
            return [p for i, item in enumerate(found) for p in walk(item, rest, f"{where}{key}[{i}].")]
        return walk(found, rest, f"{where}{key}.")

    return walk(value, path.split("."), "")


@dataclass
class Replay:
    """Sends calls the way one client does and collects what its client would not accept."""

    api: httpx.AsyncClient
    client: Literal["bgctl", "frontend"]
    problems: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def headers(self, user: str | None, call: Call) -> dict[str, str]:
        if self.client == "bgctl":  # pkg/bgctl/client/client.go: on every request, body or not
            headers = {
                "Accept": "application/json",
                "Content-Type": "application/json",
                "X-Correlation-ID": str(uuid.uuid4()),
                "User-Agent": "bgctl",
            }
        else:  # axios: JSON content type only with a body
            headers = {"Accept": "application/json, text/plain, */*"}
            if call.body is not NO_BODY:
                headers["Content-Type"] = "application/json"
        return headers | (auth(user) if user else {})

    async def send(self, call: Call, user: str | None, /, **values: str) -> httpx.Response:
        url = call.path.format(**values) + ("?" + call.query.format(**values) if call.query else "")
        # Go's json.Marshal and JSON.stringify: compact, keys in declaration order
        content = None if call.body is NO_BODY else json.dumps(call.body, separators=(",", ":")).encode()
        return await self.api.request(call.method, url, content=content, headers=self.headers(user, call))

    async def __call__(self, call: Call, user: str | None, /, **values: str) -> Any:
        """Send `call`; record every way its answer falls short of what the client reads."""
        self.seen.append(call.what)
        resp = await self.send(call, user, **values)
        prefix = f"{self.client} `{call.what}` ({call.method} {resp.request.url.raw_path.decode()})"
        if resp.status_code != call.status:
            self.problems.append(f"{prefix}: status {resp.status_code}, expected {call.status}: {resp.text[:200]}")
            return None
        body = resp.json()
        self.problems += [f"{prefix}: {p}" for path in call.reads for p in missing(body, path)]
        self.problems += [f"{prefix}: {p}" for p in type_problems(body, call.decodes)]
        return body

    async def until(
        self, call: Call, user: str | None, ok: Callable[[Any], bool], /, within: float = 15, **values: str
    ) -> Any:
        """Repeat a read (lists come from visibility, which lags) until `ok`, then check it once."""
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            resp = await self.send(call, user, **values)
            if resp.status_code == call.status and ok(resp.json()):
                break
            await asyncio.sleep(0.1)
        else:
            self.problems.append(f"{self.client} `{call.what}`: never showed what was expected within {within}s")
        return await self(call, user, **values)

    def assert_clean(self) -> None:
        problems = list(dict.fromkeys(self.problems))  # one line per gap, however many reads it breaks
        assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def has_row(name: str, state: str) -> Callable[[Any], bool]:
    return lambda body: any(s.get("name") == name and s.get("state") == state for s in body.get("sessions") or [])


# --- the replays ----------------------------------------------------------------------------------------


async def test_bgctl_calls(api: httpx.AsyncClient) -> None:
    """Every debug-session command of `bgctl`, in the order an SRE and an approver would run them."""
    bgctl = Replay(api, "bgctl")
    tpl = {"template": "network-debug"}
    await bgctl(BGCTL["debug template list"], "sam")
    await bgctl(BGCTL["debug template list --all"], "sam")
    await bgctl(BGCTL["debug template get"], "sam", **tpl)
    await bgctl(BGCTL["debug template clusters -o wide"], "sam", **tpl)
    narrowed = await bgctl(
        BGCTL["debug template clusters --environment --location --binding"],
        "sam",
        **tpl,
        binding="sre-production-access",
        environment="production",
        location="eu-central",
    )
    if narrowed is not None and [c["name"] for c in narrowed["clusters"]] != ["prod-eu"]:
        bgctl.problems.append(f"template clusters filters: expected only prod-eu, got {narrowed['clusters']}")
    await bgctl(BGCTL["debug template bindings"], "sam", **tpl)
    await bgctl(BGCTL["debug pod-template list"], "sam")
    await bgctl(BGCTL["debug pod-template get"], "sam", pod_template="network-debug-pod")

    created = await bgctl(
        BGCTL["debug session create --template --cluster --binding --duration --reason --invite"], "sam"
    )
    assert created is not None, bgctl.problems
    name, namespace = created["metadata"]["name"], created["metadata"]["namespace"]
    await wait_for(api, name, "sam", "PendingApproval")
    await bgctl.until(BGCTL["debug session list --state PendingApproval"], "lena", has_row(name, "PendingApproval"))
    await bgctl(BGCTL["debug session approve"], "lena", name=name)
    await wait_for(api, name, "sam", "Active")
    await bgctl(BGCTL["debug session get"], "sam", name=name)
    await bgctl(BGCTL["debug session get --namespace"], "sam", name=name, namespace=namespace)
    await bgctl.until(BGCTL["debug session list --state pendingapproval,active"], "sam", has_row(name, "Active"))
    await bgctl.until(
        BGCTL["debug session list -o wide --cluster --state Active --user --mine"],
        "sam",
        has_row(name, "Active"),
        cluster="prod-eu",
        user="sam@example.com",  # --user takes a username or an e-mail address
    )
    await bgctl.until(BGCTL["debug session watch --mine"], "sam", has_row(name, "Active"))
    await bgctl(BGCTL["debug session join"], "dave", name=name)
    await bgctl(BGCTL["debug session leave"], "dave", name=name)
    await bgctl(BGCTL["debug session renew --extend-by 30m"], "sam", name=name)
    await bgctl(BGCTL["debug session terminate -y"], "sam", name=name)
    await wait_for(api, name, "sam", "Terminated")

    second = await bgctl(BGCTL["debug session create --template --cluster --reason"], "sam")
    assert second is not None, bgctl.problems
    await wait_for(api, second["metadata"]["name"], "sam", "PendingApproval")
    await bgctl(BGCTL["debug session reject --reason"], "lena", name=second["metadata"]["name"])
    await wait_for(api, second["metadata"]["name"], "sam", "Failed")

    assert sorted(set(bgctl.seen)) == sorted(BGCTL), "every recorded bgctl call is replayed"
    bgctl.assert_clean()


async def test_frontend_calls(api: httpx.AsyncClient) -> None:
    """The UI's debug-session pages: create (two steps), browse, details, and the card/detail actions."""
    ui = Replay(api, "frontend")
    await ui(FRONTEND["DebugSessionCreate: listTemplates"], "sam")
    await ui(FRONTEND["DebugSessionCreate: getTemplateClusters"], "sam", template="network-debug")
    created = await ui(FRONTEND["DebugSessionCreate: createSession"], "sam")
    assert created is not None, ui.problems
    name = created["metadata"]["name"]
    await wait_for(api, name, "sam", "PendingApproval")
    await ui.until(FRONTEND["DebugSessionBrowser: listSessions (My Sessions)"], "sam", has_row(name, "PendingApproval"))
    # the approver unticks "My Sessions"; the card offers Approve when canApprove
    listed = await ui.until(
        FRONTEND["DebugSessionBrowser: listSessions (all)"], "lena", has_row(name, "PendingApproval")
    )
    row: dict[str, Any] = next((s for s in (listed or {}).get("sessions", []) if s.get("name") == name), {})
    if row.get("canApprove") is not True or row.get("canReject") is not True:
        ui.problems.append(f"the approver's card shows no Approve/Reject: {row}")
    details = await ui(FRONTEND["DebugSessionDetails: getSession"], "lena", name=name)
    if details is not None and details.get("canApprove") is not True:
        ui.problems.append("the approver's details page shows no Approve button (canApprove)")
    await ui(FRONTEND["approveSession"], "lena", name=name)
    await wait_for(api, name, "sam", "Active")
    active = await ui(FRONTEND["DebugSessionDetails: getSession (active)"], "sam", name=name)
    if active is not None and active["spec"]["requestedBy"] != "sam":
        ui.problems.append(f"spec.requestedBy is {active['spec']['requestedBy']!r}, the UI compares it to the user")
    # setup, not a UI call: the reference's UI cannot invite (only `bgctl --invite` can)
    invited = await api.post(
        f"/api/v1/debug-sessions/{name}/invite", json={"users": ["dave@example.com"]}, headers=auth("sam")
    )
    assert invited.status_code == 200, invited.text
    await ui(FRONTEND["joinSession"], "dave", name=name)
    joined = await ui(FRONTEND["DebugSessionBrowser: listSessions (all)"], "dave")
    mine: dict[str, Any] = next((s for s in (joined or {}).get("sessions", []) if s.get("name") == name), {})
    if mine.get("isParticipant") is not True:
        ui.problems.append(f"after joining, the card still offers Join (isParticipant): {mine}")
    await ui(FRONTEND["leaveSession"], "dave", name=name)
    await ui(FRONTEND["renewSession"], "sam", name=name)
    await ui(FRONTEND["terminateSession"], "sam", name=name)
    await wait_for(api, name, "sam", "Terminated")

    rejected = await ui(FRONTEND["DebugSessionCreate: createSession (no reason typed)"], "sam")
    assert rejected is not None, ui.problems
    await wait_for(api, rejected["metadata"]["name"], "sam", "PendingApproval")
    await ui(FRONTEND["rejectSession"], "lena", name=rejected["metadata"]["name"])
    await wait_for(api, rejected["metadata"]["name"], "sam", "Failed")

    assert sorted(set(ui.seen)) == sorted(FRONTEND), "every recorded UI call is replayed"
    ui.assert_clean()


@pytest_asyncio.fixture
async def oidc_api(stack: Stack, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An API with OIDC on, as a deployment serving the UI has it (nothing here fetches the JWKS)."""
    settings = ApiSettings(
        catalog_dir=REPO / "deploy" / "demo-catalog",
        task_queue=stack.task_queue,
        oidc_issuer="https://idp.example.test/realms/ops",
        oidc_jwks_url="https://idp.example.test/realms/ops/protocol/openid-connect/certs",
        oidc_client_id="debug-sessions-ui",
    )
    app = create_app(settings, client=stack.client)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client,
    ):
        yield client


async def test_frontend_start_up_calls(oidc_api: httpx.AsyncClient) -> None:
    """What the UI fetches, without a token, before it can offer a login (main.ts -> getConfig)."""
    ui = Replay(oidc_api, "frontend")
    idp = await ui(UI_START["getIdentityProvider"], None)
    config = await ui(UI_START["getConfig"], None)
    idps = await ui(UI_START["getMultiIDPConfig"], None)
    if config is not None and config.get("frontend", {}).get("oidcClientID") != "debug-sessions-ui":
        ui.problems.append(f"/api/config names another client than the configured one: {config}")
    if idp is not None and idp.get("clientId") != "debug-sessions-ui":
        ui.problems.append(f"/api/identity-provider names another client than the configured one: {idp}")
    if idps is not None and len(idps.get("identityProviders") or []) != 1:
        ui.problems.append(f"/api/config/idps: expected the one configured provider, got {idps}")
    ui.assert_clean()


async def test_frontend_start_up_calls_without_oidc(api: httpx.AsyncClient) -> None:
    """With OIDC off the UI cannot log anyone in, but it must still load: /api/config answers (the UI retries
    it three times and then shows an error), /api/config/idps lists nobody, /api/identity-provider may fail
    (the UI ignores its errors, as the reference answers 404 there)."""
    ui = Replay(api, "frontend")
    await ui(UI_START["getConfig"], None)
    idps = await ui(UI_START["getMultiIDPConfig"], None)
    if idps is not None and idps.get("identityProviders") != []:
        ui.problems.append(f"/api/config/idps without OIDC: expected no provider, got {idps}")
    await ui(Call("getIdentityProvider (not configured)", "GET", "/api/identity-provider", status=404), None)
    ui.assert_clean()
