"""Everything the session workflow takes, keeps and returns: one state model, one input per action.

Deterministic code only (pydantic models, no I/O). New fields always get defaults so that running
workflows keep replaying and continue-as-new can carry older state forward.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from domain.base import Frozen
from domain.debug_operations import EphemeralContainerRequest, NodeDebugPodRequest, PodCopyRequest
from domain.policy import AllowedPodOperations
from domain.resolution.resolved import ResolvedSession
from domain.session import (
    AllowedPod,
    AuxiliaryResourceStatus,
    CopiedPod,
    DeployedResource,
    InjectedEphemeralContainer,
    KubectlDebugStatus,
    NodeDebugPod,
    PodTemplateResourceStatus,
    TerminalSharingStatus,
)
from domain.session import (
    SessionState as SessionState,  # defined in the domain, re-exported for the workflow's modules
)

TASK_QUEUE = "debug-sessions"


TERMINAL_STATES = frozenset({SessionState.EXPIRED, SessionState.TERMINATED, SessionState.FAILED})


class Actor(Frozen):
    """Who performs an action, as the API authenticated them. `admin` is decided by the API's settings."""

    username: str
    email: str = ""
    display_name: str = ""
    groups: tuple[str, ...] = ()
    admin: bool = False


class ApprovalRecord(Frozen):
    """The approval decision as recorded."""

    required: bool = False
    approved_by: str | None = None
    approved_at: datetime | None = None
    rejected_by: str | None = None
    rejected_at: datetime | None = None
    reason: str = ""


class ParticipantRecord(Frozen):
    """A user in the session; `left_at` set means access is revoked."""

    user: str
    email: str = ""
    display_name: str = ""
    role: Literal["owner", "participant", "viewer"]
    joined_at: datetime
    left_at: datetime | None = None


class SessionEvent(Frozen):
    """A line of the session's own history, shown in the status and used for notifications."""

    at: datetime
    type: str
    message: str
    actor: str = ""
    """Who caused it (the username of an action's caller); empty for what the session did by itself."""


class SessionStatus(Frozen):
    """The full status of a session: what the `status` query returns and continue-as-new carries."""

    name: str
    state: SessionState = SessionState.PENDING
    message: str = ""
    created_at: datetime
    starts_at: datetime | None = None
    expires_at: datetime | None = None
    renewal_count: int = 0
    approval: ApprovalRecord = ApprovalRecord()
    participants: tuple[ParticipantRecord, ...] = ()
    invited: tuple[str, ...] = ()
    allowed_pods: tuple[AllowedPod, ...] = ()
    allowed_pod_operations: AllowedPodOperations = AllowedPodOperations()
    deployed_resources: tuple[DeployedResource, ...] = ()
    auxiliary_resource_statuses: tuple[AuxiliaryResourceStatus, ...] = ()
    pod_template_resource_statuses: tuple[PodTemplateResourceStatus, ...] = ()
    kubectl_debug_status: KubectlDebugStatus | None = None
    terminal_sharing: TerminalSharingStatus | None = None
    warnings: tuple[str, ...] = ()
    events: tuple[SessionEvent, ...] = ()
    grace_warned_for: datetime | None = None
    """The expiry the grace-period warning was sent for (a renewal re-arms it)."""
    notify_only_expired_for: datetime | None = None
    deploy_attempted: bool = False
    """A deploy started: cleanup must look even if no result came back (names are deterministic)."""
    debug_pods_attempted: bool = False
    """A pod copy or node debug pod was asked for: cleanup looks for labelled ones even if none was recorded."""
    cleaned_up: bool = False
    next_check_at: datetime | None = None
    """When an Active session next looks at its cluster (auxiliary readiness, pod snapshot); see
    `workflows.status.next_check`."""
    check_streak: int = 0
    """Consecutive looks that found auxiliary resources still becoming ready (the backoff's exponent)."""

    @property
    def cleanup(self) -> str:
        """`Pending` while an ended session's objects may still be on the cluster, `Done` once removed, ``
        while the session runs."""
        if self.cleaned_up:
            return "Done"
        return "Pending" if self.state in TERMINAL_STATES else ""


class WorkflowSettings(Frozen):
    """Operator settings fixed at session creation (so a session keeps the rules it started with)."""

    approval_timeout: timedelta = timedelta(hours=24)
    safety_check_interval: timedelta = timedelta(minutes=15)
    """How often an Active session looks at its cluster when nothing else wakes it (auxiliary readiness and
    the recorded pod snapshot; live pods reach the API through its watches, not through the workflow).
    Zero turns it off."""
    readiness_recheck_after: timedelta = timedelta(seconds=5)
    """First look again at auxiliary resources still becoming ready after activation; doubles each time."""
    continue_as_new_after_steps: int = 400
    """Continue as new after this many wake-ups, actions and activities (counted by the workflow itself, so
    the decision is the same in replay; a step writes at most ~11 history events)."""
    upsert_search_attributes: bool = True
    """Search attributes and the status memo are written (off only under the time-skipping test server,
    which has no custom search attributes)."""
    activity_timeout: timedelta = timedelta(minutes=5)
    deploy_give_up_after: timedelta = timedelta(minutes=10)
    notification_give_up_after: timedelta = timedelta(hours=24)
    """How long a delivery (mail, chat, audit sink) is retried before it is dropped with a warning."""
    heartbeat_timeout: timedelta = timedelta(seconds=15)
    """Every activity that acts on a cluster heartbeats: a worker that dies mid-deploy or mid-cleanup is
    noticed after this long and another worker retries at once."""


class SessionWorkflowInput(Frozen):
    """The workflow's one input: the resolved snapshot, settings, and state carried by continue-as-new."""

    session: ResolvedSession
    settings: WorkflowSettings = WorkflowSettings()
    carried: SessionStatus | None = None


class ApproveInput(Frozen):
    actor: Actor
    reason: str = ""


class RejectInput(Frozen):
    actor: Actor
    reason: str = ""


class RenewInput(Frozen):
    actor: Actor
    extend_by: timedelta


class TerminateInput(Frozen):
    actor: Actor
    reason: str = ""


class JoinInput(Frozen):
    actor: Actor
    role: Literal["participant", "viewer"] = "viewer"


class LeaveInput(Frozen):
    actor: Actor


class InviteInput(Frozen):
    actor: Actor
    users: tuple[str, ...]


class InjectEphemeralInput(Frozen):
    actor: Actor
    request: EphemeralContainerRequest


class PodCopyInput(Frozen):
    actor: Actor
    request: PodCopyRequest


class NodeDebugPodInput(Frozen):
    actor: Actor
    request: NodeDebugPodRequest


class RenewResult(Frozen):
    new_expires_at: datetime
    renewal_count: int


class ActionResult(Frozen):
    """The message an action answers with (join/leave) and the status after it."""

    message: str
    role: str = ""
    status: SessionStatus


# --- activity contracts (implemented in activities/, called by name from the workflow) -----------

DEPLOY_ACTIVITY = "deploy_session"
REFRESH_PODS_ACTIVITY = "refresh_session_pods"
CLEANUP_ACTIVITY = "cleanup_session"
NOTIFY_ACTIVITY = "notify_session_event"
"""Audit line and metrics for one session event; answers which deliveries (mail, chat, audit sinks) it needs."""
DELIVER_ACTIVITY = "deliver_notification"
"""One delivery of one event, retried on its own until it succeeds or the give-up time passes."""


class DeployInput(Frozen):
    session: ResolvedSession
    approved_by: str | None = None


class DeployResult(Frozen):
    deployed_resources: tuple[DeployedResource, ...] = ()
    allowed_pods: tuple[AllowedPod, ...] = ()
    auxiliary_resource_statuses: tuple[AuxiliaryResourceStatus, ...] = ()
    pod_template_resource_statuses: tuple[PodTemplateResourceStatus, ...] = ()
    terminal_sharing: TerminalSharingStatus | None = None
    warnings: tuple[str, ...] = ()


class RefreshPodsInput(Frozen):
    session: ResolvedSession
    known: tuple[AllowedPod, ...] = ()
    auxiliary: tuple[AuxiliaryResourceStatus, ...] = ()
    """Auxiliary resource statuses, for their readiness to be looked at again."""


class RefreshPodsResult(Frozen):
    allowed_pods: tuple[AllowedPod, ...] = ()
    auxiliary_resource_statuses: tuple[AuxiliaryResourceStatus, ...] | None = None
    """None: unchanged."""


class CleanupInput(Frozen):
    session: ResolvedSession
    deployed_resources: tuple[DeployedResource, ...] = ()
    auxiliary_resource_statuses: tuple[AuxiliaryResourceStatus, ...] = ()
    pod_template_resource_statuses: tuple[PodTemplateResourceStatus, ...] = ()
    kubectl_debug_status: KubectlDebugStatus | None = None


class CleanupResult(Frozen):
    remaining: tuple[DeployedResource, ...] = ()
    """Objects that could not be removed (the activity raises to retry while any remain)."""


# --- kubectl-debug operations (activities/kubectl_debug.py) ------------------------------------------

INJECT_EPHEMERAL_ACTIVITY = "inject_ephemeral_container"
CREATE_POD_COPY_ACTIVITY = "create_pod_copy"
CREATE_NODE_DEBUG_POD_ACTIVITY = "create_node_debug_pod"
DELETE_DEBUG_PODS_ACTIVITY = "delete_debug_pods"

POD_COPY_SOURCE = "pod-copy"
NODE_DEBUG_SOURCE = "node-debug"
"""`deployedResources[].source` of the pods kubectl-debug operations create (cleanup removes them)."""


class InjectEphemeralActivityInput(Frozen):
    session: ResolvedSession
    request: EphemeralContainerRequest
    injected_by: str
    injected_at: datetime
    stops_at: datetime
    """The command runs under `timeout` until then (the session's end, DESIGN decision 10)."""


class InjectEphemeralResult(Frozen):
    entry: InjectedEphemeralContainer
    pod: AllowedPod


class PodCopyActivityInput(Frozen):
    session: ResolvedSession
    request: PodCopyRequest
    operation: str = ""
    """The update's ID: a retried activity adopts the pod its own operation made, never another's."""
    created_by: str
    created_at: datetime
    expires_at: datetime
    """The copy's TTL; the workflow deletes it then, even while the session is still active."""
    stops_at: datetime
    """The sooner of the TTL and the session's end: the pod's activeDeadlineSeconds."""


class PodCopyResult(Frozen):
    copied: CopiedPod
    resource: DeployedResource
    pod: AllowedPod


class NodeDebugPodActivityInput(Frozen):
    session: ResolvedSession
    request: NodeDebugPodRequest
    operation: str = ""
    created_by: str
    created_at: datetime
    stops_at: datetime


class NodeDebugPodResult(Frozen):
    entry: NodeDebugPod
    resource: DeployedResource
    pod: AllowedPod


class DeleteDebugPodsInput(Frozen):
    session: ResolvedSession
    pods: tuple[DeployedResource, ...]


class NotifyInput(Frozen):
    """One event of a session for the people and systems that follow it: e-mail, chat, the audit trail."""

    session: ResolvedSession
    event: SessionEvent
    state: SessionState
    starts_at: datetime | None = None
    expires_at: datetime | None = None
    approval: ApprovalRecord | None = None
    resources: tuple[DeployedResource, ...] = ()
    """What the event put on the cluster (activated, deploy-failed) or removed from it (cleaned-up)."""


class NotifyPlan(Frozen):
    """What an event needs delivered, by stable key (`mail:approvers:approval-requested`, `chat:0`, ...)."""

    deliveries: tuple[str, ...] = ()


class DeliverInput(Frozen):
    notify: NotifyInput
    key: str


# --- session limits across API replicas (workflows/admission.py) ----------------------------------


class RecentStart(Frozen):
    """A session started under the admission lock, as the limit counter needs it."""

    name: str
    binding: str
    requester: str


class AdmissionLockState(Frozen):
    """What `acquire` answers (and continue-as-new carries): the starts made under the lock lately."""

    recent: tuple[RecentStart, ...] = ()
    granted: bool = True
    """False when the holder withdrew (`release`) before its turn came."""


class ReleaseInput(Frozen):
    holder: str
    started: RecentStart | None = None


# --- the orphan sweeper -----------------------------------------------------------------------------

SWEEP_ACTIVITY = "sweep_orphans"


class SweepInput(Frozen):
    """Objects younger than `min_age` are left alone (their session may be starting right now)."""

    min_age: timedelta = timedelta(minutes=5)


class SweptObject(Frozen):
    cluster: str
    kind: str
    namespace: str
    name: str
    session: str


class SweepResult(Frozen):
    deleted: tuple[SweptObject, ...] = ()
    errors: tuple[str, ...] = ()
