"""DebugSessionWorkflow: one durable workflow per session (workflow ID = session name).

Pending → PendingApproval → Active → Expired | Terminated, and Failed. The workflow waits for approval
(with a timeout), deploys through activities, keeps the expiry deadline (renewals move it), warns before
expiry, refreshes the session's pods, and always cleans up before it returns. Every user action is an
Update with a validator (synchronous answer, nothing written on refusal); approve/reject/renew/terminate
are also Signals so an operator can act from the Temporal CLI or UI (Temporal access is operator access).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import debug_operations as ops
    from domain.durations import format_duration, parse_duration
    from domain.resolution.resolved import ResolvedSession
    from domain.session import AllowedPod, KubectlDebugStatus
    from workflows import policy
    from workflows import search_attributes as sa
    from workflows.models import (
        CLEANUP_ACTIVITY,
        CREATE_NODE_DEBUG_POD_ACTIVITY,
        CREATE_POD_COPY_ACTIVITY,
        DELETE_DEBUG_PODS_ACTIVITY,
        DEPLOY_ACTIVITY,
        INJECT_EPHEMERAL_ACTIVITY,
        NOTIFY_ACTIVITY,
        REFRESH_PODS_ACTIVITY,
        TERMINAL_STATES,
        ActionResult,
        ApprovalRecord,
        ApproveInput,
        CleanupInput,
        CleanupResult,
        DeleteDebugPodsInput,
        DeployInput,
        DeployResult,
        InjectEphemeralActivityInput,
        InjectEphemeralInput,
        InjectEphemeralResult,
        InviteInput,
        JoinInput,
        LeaveInput,
        NodeDebugPodActivityInput,
        NodeDebugPodInput,
        NodeDebugPodResult,
        NotifyInput,
        ParticipantRecord,
        PodCopyActivityInput,
        PodCopyInput,
        PodCopyResult,
        RefreshPodsInput,
        RefreshPodsResult,
        RejectInput,
        RenewInput,
        RenewResult,
        SessionEvent,
        SessionState,
        SessionStatus,
        SessionWorkflowInput,
        TerminateInput,
        WorkflowSettings,
    )

_NOTIFY_RETRY = RetryPolicy(maximum_attempts=3)
_CLEANUP_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
_REFRESH_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1))
_DEBUG_OP_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(milliseconds=500))
"""kubectl-debug operations answer a waiting HTTP request: a few quick retries, then a clear 502."""


def _deny(denied: policy.ActionDenied | None) -> None:
    """Refuse an update: the API maps the type `HTTP_<status>` back to that status and message."""
    if denied is not None:
        raise ApplicationError(denied.message, type=f"HTTP_{denied.status}", non_retryable=True)


@workflow.defn(name="DebugSessionWorkflow")
class DebugSessionWorkflow:
    """The lifecycle of one debug session."""

    @workflow.init
    def __init__(self, input: SessionWorkflowInput) -> None:
        self._session: ResolvedSession = input.session
        self._settings: WorkflowSettings = input.settings
        self._status: SessionStatus = input.carried or SessionStatus(
            name=input.session.name,
            created_at=input.session.created_at,
            invited=input.session.invited_participants,
            approval=ApprovalRecord(required=input.session.approval.required),
            allowed_pod_operations=input.session.allowed_pod_operations,
        )
        self._wake = False
        self._notifications: list[asyncio.Task[Any]] = []
        self._held: list[SessionEvent] = []
        """Notifications held back until the deploy has answered (see `_decide`)."""
        """Notification activities in flight: never awaited on the critical path, drained before returning."""

    # --- state helpers ---------------------------------------------------------------------------

    def _update(self, **changes: Any) -> None:
        self._status = self._status.model_copy(update=changes)
        self._wake = True

    def _record(self, kind: str, message: str) -> SessionEvent:
        event = SessionEvent(at=workflow.now(), type=kind, message=message)
        self._update(events=(*self._status.events, event))
        return event

    def _transition(self, state: SessionState, message: str, kind: str) -> SessionEvent:
        self._update(state=state, message=message)
        self._search_attributes()
        return self._record(kind, message)

    def _terminal(self) -> bool:
        return self._status.state in TERMINAL_STATES

    def _search_attributes(self) -> None:
        if not self._settings.upsert_search_attributes:
            return
        # Every upsert is a visibility write on the server: send only what changed, and nothing at all
        # when nothing did (e.g. after cleanup, whose pods were already withdrawn at the terminal state).
        current = workflow.info().typed_search_attributes
        updates = [
            p.key.value_set(p.value) for p in sa.tracked(self._session, self._status) if current.get(p.key) != p.value
        ]
        if updates:
            workflow.upsert_search_attributes(updates)

    def _notify(self, event: SessionEvent) -> None:
        """Start the notifier for an event without waiting for it (a slow mail server never delays a session)."""
        # A local activity: notifications are short and need no cluster, so they skip the task queue.
        handle = workflow.start_local_activity(
            NOTIFY_ACTIVITY,
            NotifyInput(session=self._session, event=event, state=self._status.state),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_NOTIFY_RETRY,
        )
        self._notifications.append(asyncio.ensure_future(handle))

    async def _drain_notifications(self) -> None:
        """Wait for the notifications in flight; a failed notification never changes the session."""
        self._release_held()  # e.g. approved, then withdrawn before the deploy answered
        while self._notifications:
            pending, self._notifications = self._notifications, []
            for outcome in await asyncio.gather(*pending, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    workflow.logger.warning("a notification failed: %s", outcome)

    # --- the lifecycle ---------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: SessionWorkflowInput) -> SessionStatus:
        """Drive the session to a terminal state, clean up, and return the final status."""
        try:
            await self._lifecycle()
        except asyncio.CancelledError:
            if not self._terminal():
                self._transition(SessionState.TERMINATED, "Session cancelled", "cancelled")
            await workflow.wait_condition(workflow.all_handlers_finished)
            await self._cleanup()
            await self._drain_notifications()
            raise
        # A kubectl-debug operation still running may create a pod: let it finish and record it, so
        # that cleanup removes it too (no new operation is admitted once the state is terminal).
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._cleanup()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain_notifications()
        return self._status

    async def _lifecycle(self) -> None:
        if self._status.state is SessionState.PENDING:
            if self._session.approval.required:
                event = self._transition(SessionState.PENDING_APPROVAL, "Waiting for approval", "approval-requested")
                self._notify(event)
            else:
                self._update(
                    approval=self._status.approval.model_copy(update={"reason": self._session.approval.reason})
                )
        if self._status.state is SessionState.PENDING_APPROVAL:
            await self._await_decision()
        if self._status.state in (SessionState.PENDING, SessionState.PENDING_APPROVAL):
            await self._activate()
        if self._status.state is SessionState.ACTIVE:
            await self._active()

    async def _await_decision(self) -> None:
        deadline = self._status.created_at + self._settings.approval_timeout
        remaining = deadline - workflow.now()
        try:
            await workflow.wait_condition(
                lambda: self._status.approval.approved_at is not None or self._terminal(),
                timeout=max(remaining, timedelta(0)),
            )
        except TimeoutError:
            message = f"Approval timed out after {format_duration(self._settings.approval_timeout)}"
            self._notify(self._transition(SessionState.FAILED, message, "approval-timeout"))

    async def _activate(self) -> None:
        self._update(deploy_attempted=self._session.mode != "kubectl-debug")
        try:
            result: DeployResult = await workflow.execute_activity(
                DEPLOY_ACTIVITY,
                DeployInput(session=self._session, approved_by=self._status.approval.approved_by),
                result_type=DeployResult,
                start_to_close_timeout=self._settings.activity_timeout,
                schedule_to_close_timeout=self._settings.deploy_give_up_after,
                heartbeat_timeout=self._settings.deploy_heartbeat_timeout,
            )
        except ActivityError as exc:
            self._release_held()
            cause = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc.cause or exc)
            details = exc.cause.details if isinstance(exc.cause, ApplicationError) else ()
            if details and isinstance(details[0], dict):
                self._adopt_partial(details[0])
            if not self._terminal():
                message = f"failed to deploy resources: {cause}"
                self._notify(self._transition(SessionState.FAILED, message, "deploy-failed"))
            return
        self._release_held()
        self._update(
            deployed_resources=result.deployed_resources,
            allowed_pods=result.allowed_pods,
            auxiliary_resource_statuses=result.auxiliary_resource_statuses,
            pod_template_resource_statuses=result.pod_template_resource_statuses,
            terminal_sharing=result.terminal_sharing,
            warnings=(*self._status.warnings, *result.warnings),
        )
        if self._terminal():
            return  # withdrawn or terminated while deploying: cleanup removes what was created
        now = workflow.now()
        requester = self._session.requester
        owner = ParticipantRecord(
            user=requester.username,
            email=requester.email,
            display_name=requester.display_name,
            role="owner",
            joined_at=now,
        )
        self._update(starts_at=now, expires_at=now + self._session.duration, participants=(owner,))
        self._notify(self._transition(SessionState.ACTIVE, "Debug session active", "activated"))

    def _adopt_partial(self, details: dict[str, Any]) -> None:
        """A failed deployment reports what it created, so cleanup can remove exactly that."""
        partial = DeployResult.model_validate(details)
        self._update(
            deployed_resources=partial.deployed_resources,
            auxiliary_resource_statuses=partial.auxiliary_resource_statuses,
            pod_template_resource_statuses=partial.pod_template_resource_statuses,
        )

    async def _active(self) -> None:
        grace = parse_duration(self._session.template.grace_period_before_expiry)
        notify_only = self._session.template.expiration_behavior == "notify-only"
        next_refresh = workflow.now() + self._settings.pod_refresh_interval
        while self._status.state is SessionState.ACTIVE:
            now = workflow.now()
            s = self._status
            assert s.expires_at is not None
            assert s.starts_at is not None
            cap = s.starts_at + self._session.constraints.max
            if now >= s.expires_at:
                if not notify_only or now >= cap:
                    self._notify(self._transition(SessionState.EXPIRED, "Session expired", "expired"))
                    return
                if s.notify_only_expired_for != s.expires_at:
                    self._update(notify_only_expired_for=s.expires_at, message="Session expired (notify-only)")
                    self._notify(self._record("expired-notify-only", "Session expired (notify-only)"))
            elif now >= s.expires_at - grace and s.grace_warned_for != s.expires_at:
                self._update(grace_warned_for=s.expires_at)
                self._notify(self._record("expiring-soon", "Session expiring soon"))
            if now >= next_refresh:
                await self._refresh_pods()
                next_refresh = workflow.now() + self._settings.pod_refresh_interval
            if self._copies_due(workflow.now()):
                await self._expire_copies()
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self._drain_notifications()
                workflow.continue_as_new(
                    SessionWorkflowInput(session=self._session, settings=self._settings, carried=self._status)
                )
            now = workflow.now()
            s = self._status
            assert s.expires_at is not None
            wakes = [next_refresh, s.expires_at if now < s.expires_at else cap]
            if s.grace_warned_for != s.expires_at and now < s.expires_at - grace:
                wakes.append(s.expires_at - grace)
            wakes += [c.expires_at for c in self._live_copies() if c.expires_at is not None]
            wake = min(w for w in wakes if w > now) if any(w > now for w in wakes) else now
            self._wake = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._wake, timeout=max(wake - now, timedelta(milliseconds=1)))

    def _should_continue_as_new(self) -> bool:
        return workflow.info().get_current_history_length() > self._settings.continue_as_new_after_events

    async def _refresh_pods(self) -> None:
        if self._session.mode == "kubectl-debug" and not self._status.allowed_pods:
            return
        known = self._status.allowed_pods
        try:
            result: RefreshPodsResult = await workflow.execute_activity(
                REFRESH_PODS_ACTIVITY,
                RefreshPodsInput(
                    session=self._session, known=known, auxiliary=self._status.auxiliary_resource_statuses
                ),
                result_type=RefreshPodsResult,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_REFRESH_RETRY,
            )
        except ActivityError:
            workflow.logger.warning("pod refresh failed; keeping the last known pods")
            return
        # Pods a kubectl-debug operation added while the refresh ran are not in its answer: keep them.
        before = {(p.namespace, p.name) for p in known}
        seen = {(p.namespace, p.name) for p in result.allowed_pods}
        added = tuple(p for p in self._status.allowed_pods if (p.namespace, p.name) not in before | seen)
        pods = (*result.allowed_pods, *added)
        if self._status.state is not SessionState.ACTIVE:
            return
        if result.auxiliary_resource_statuses is not None:
            self._update(auxiliary_resource_statuses=result.auxiliary_resource_statuses)
        if pods != self._status.allowed_pods:
            self._update(allowed_pods=pods)
            self._search_attributes()

    async def _cleanup(self) -> None:
        s = self._status
        if s.cleaned_up:
            return
        if (
            s.deploy_attempted
            or s.debug_pods_attempted
            or s.deployed_resources
            or s.auxiliary_resource_statuses
            or s.pod_template_resource_statuses
            or (s.kubectl_debug_status and s.kubectl_debug_status.copied_pods)
        ):
            result: CleanupResult = await workflow.execute_activity(
                CLEANUP_ACTIVITY,
                CleanupInput(
                    session=self._session,
                    deployed_resources=s.deployed_resources,
                    auxiliary_resource_statuses=s.auxiliary_resource_statuses,
                    pod_template_resource_statuses=s.pod_template_resource_statuses,
                    kubectl_debug_status=s.kubectl_debug_status,
                ),
                result_type=CleanupResult,
                start_to_close_timeout=self._settings.activity_timeout,
                retry_policy=_CLEANUP_RETRY,
            )
            self._update(deployed_resources=result.remaining)
            self._record("cleaned-up", "Session resources removed")
        self._update(cleaned_up=True, allowed_pods=())
        self._search_attributes()

    # --- actions: updates (synchronous answers) --------------------------------------------------

    @workflow.update
    async def approve(self, input: ApproveInput) -> SessionStatus:
        """Record the approval; the session activates as soon as its resources are deployed."""
        self._decide(input.actor.username, input.reason, rejecting=False)
        return self._status

    @approve.validator
    def _validate_approve(self, input: ApproveInput) -> None:
        _deny(self._check_decision(input.actor, input.reason, rejecting=False))

    @workflow.update
    async def reject(self, input: RejectInput) -> SessionStatus:
        """Reject: the session ends Failed with `Rejected by <user>: <reason>` (DESIGN decision 2)."""
        self._decide(input.actor.username, input.reason, rejecting=True)
        return self._status

    @reject.validator
    def _validate_reject(self, input: RejectInput) -> None:
        _deny(self._check_decision(input.actor, input.reason, rejecting=True))

    @workflow.update
    async def renew(self, input: RenewInput) -> RenewResult:
        """Move the expiry by `extendBy` (never beyond startsAt + maxDuration)."""
        self._renew(input.extend_by)
        assert self._status.expires_at is not None
        return RenewResult(new_expires_at=self._status.expires_at, renewal_count=self._status.renewal_count)

    @renew.validator
    def _validate_renew(self, input: RenewInput) -> None:
        _deny(policy.check_renew(self._session, self._status, input.actor, input.extend_by, workflow.now()))

    @workflow.update
    async def terminate(self, input: TerminateInput) -> SessionStatus:
        """End the session now (owner, admin, or the requester withdrawing a pending request)."""
        self._terminate(input.actor, operator=False)
        return self._status

    @terminate.validator
    def _validate_terminate(self, input: TerminateInput) -> None:
        _deny(policy.check_terminate(self._session, self._status, input.actor, workflow.now()))

    @workflow.update
    async def join(self, input: JoinInput) -> ActionResult:
        """An invited user joins as participant or viewer."""
        a = input.actor
        entry = ParticipantRecord(
            user=a.username, email=a.email, display_name=a.display_name, role=input.role, joined_at=workflow.now()
        )
        self._update(participants=(*self._status.participants, entry))
        self._search_attributes()
        self._record("joined", f"{a.username} joined as {input.role}")
        return ActionResult(message="successfully joined session", role=input.role, status=self._status)

    @join.validator
    def _validate_join(self, input: JoinInput) -> None:
        _deny(policy.check_join(self._session, self._status, input.actor, workflow.now()))

    @workflow.update
    async def leave(self, input: LeaveInput) -> ActionResult:
        """Leave: access is revoked at once (the entry stays, with leftAt)."""
        now = workflow.now()
        participants = tuple(
            p.model_copy(update={"left_at": now}) if p.user == input.actor.username else p
            for p in self._status.participants
        )
        self._update(participants=participants)
        self._search_attributes()
        self._record("left", f"{input.actor.username} left")
        return ActionResult(message="successfully left session", status=self._status)

    @leave.validator
    def _validate_leave(self, input: LeaveInput) -> None:
        _deny(policy.check_leave(self._session, self._status, input.actor, workflow.now()))

    @workflow.update
    async def invite(self, input: InviteInput) -> ActionResult:
        """The owner invites more users (they may then join as participant or viewer)."""
        known = {i.lower() for i in self._status.invited}
        added: list[str] = []
        for user in (u.strip() for u in input.users):
            if user.lower() not in known:
                known.add(user.lower())
                added.append(user)
        self._update(invited=(*self._status.invited, *added))
        self._search_attributes()
        self._record("invited", f"{input.actor.username} invited {', '.join(added) or 'nobody new'}")
        return ActionResult(message="invited", status=self._status)

    @invite.validator
    def _validate_invite(self, input: InviteInput) -> None:
        _deny(policy.check_invite(self._status, self._session, input.actor, input.users))

    # --- kubectl-debug operations (mode kubectl-debug or hybrid; §1.11, §7) -----------------------

    @workflow.update
    async def inject_ephemeral_container(self, input: InjectEphemeralInput) -> InjectEphemeralResult:
        """Add an ephemeral container to a running pod; the pod joins allowedPods for the session."""
        now = workflow.now()
        result: InjectEphemeralResult = await self._debug_activity(
            INJECT_EPHEMERAL_ACTIVITY,
            InjectEphemeralActivityInput(
                session=self._session,
                request=input.request,
                injected_by=input.actor.username,
                injected_at=now,
                stops_at=self._live_until(),
            ),
            InjectEphemeralResult,
            "failed to inject ephemeral container",
        )
        debug = self._debug_status()
        e = result.entry
        entries = [
            x
            for x in debug.ephemeral_containers_injected
            if (x.namespace, x.pod_name, x.container_name) != (e.namespace, e.pod_name, e.container_name)
        ]
        self._record_debug(
            debug.model_copy(update={"ephemeral_containers_injected": [*entries, e]}),
            result.pod,
            "ephemeral-container-injected",
            f"{e.injected_by} injected {e.container_name} ({e.image}) into {e.namespace}/{e.pod_name}",
        )
        return result

    @inject_ephemeral_container.validator
    def _validate_inject(self, input: InjectEphemeralInput) -> None:
        self._validate_debug(input.actor, ops.ephemeral_config(self._session.template.kubectl_debug))

    @workflow.update
    async def create_pod_copy(self, input: PodCopyInput) -> PodCopyResult:
        """Create a debug copy of a pod; it is deleted at its TTL or at the session's end, whichever is first."""
        cfg = ops.pod_copy_config(self._session.template.kubectl_debug)
        assert not isinstance(cfg, ops.Refusal)  # the validator refused otherwise
        now = workflow.now()
        expires_at = now + parse_duration(cfg.ttl)
        self._update(debug_pods_attempted=True)
        result: PodCopyResult = await self._debug_activity(
            CREATE_POD_COPY_ACTIVITY,
            PodCopyActivityInput(
                session=self._session,
                request=input.request,
                operation=self._operation(),
                created_by=input.actor.username,
                created_at=now,
                expires_at=expires_at,
                stops_at=min(expires_at, self._live_until()),
            ),
            PodCopyResult,
            "failed to create pod copy",
        )
        debug = self._debug_status()
        c = result.copied
        self._record_debug(
            debug.model_copy(update={"copied_pods": [*debug.copied_pods, c]}),
            result.pod,
            "pod-copied",
            f"{c.created_by} copied {c.original_namespace}/{c.original_pod} to {c.copy_namespace}/{c.copy_name}",
            result.resource,
        )
        return result

    @create_pod_copy.validator
    def _validate_pod_copy(self, input: PodCopyInput) -> None:
        self._validate_debug(input.actor, ops.pod_copy_config(self._session.template.kubectl_debug))

    @workflow.update
    async def create_node_debug_pod(self, input: NodeDebugPodInput) -> NodeDebugPodResult:
        """Create a privileged debug pod pinned to a node; it is deleted at the session's end."""
        now = workflow.now()
        self._update(debug_pods_attempted=True)
        result: NodeDebugPodResult = await self._debug_activity(
            CREATE_NODE_DEBUG_POD_ACTIVITY,
            NodeDebugPodActivityInput(
                session=self._session,
                request=input.request,
                operation=self._operation(),
                created_by=input.actor.username,
                created_at=now,
                stops_at=self._live_until(),
            ),
            NodeDebugPodResult,
            "failed to create node debug pod",
        )
        debug = self._debug_status()
        n = result.entry
        pods = [p for p in debug.node_debug_pods if (p.namespace, p.pod_name) != (n.namespace, n.pod_name)]
        self._record_debug(
            debug.model_copy(update={"node_debug_pods": [*pods, n]}),
            result.pod,
            "node-debug-pod-created",
            f"{n.created_by} created {n.namespace}/{n.pod_name} on node {n.node_name}",
            result.resource,
        )
        return result

    @create_node_debug_pod.validator
    def _validate_node_debug(self, input: NodeDebugPodInput) -> None:
        self._validate_debug(input.actor, ops.node_debug_config(self._session.template.kubectl_debug))

    def _validate_debug(self, actor: Any, config: Any) -> None:
        _deny(policy.check_debug_operation(self._session, self._status, actor, workflow.now()))
        if isinstance(config, ops.Refusal):
            _deny(policy.ActionDenied(config.status, config.message))

    def _live_until(self) -> datetime:
        until = policy.live_until(self._session, self._status)
        assert until is not None  # validated: the session is Active
        return until

    @staticmethod
    def _operation() -> str:
        info = workflow.current_update_info()
        return info.id if info is not None else ""

    def _debug_status(self) -> KubectlDebugStatus:
        return self._status.kubectl_debug_status or KubectlDebugStatus()

    async def _debug_activity(self, name: str, arg: Any, result_type: type[Any], failure: str) -> Any:
        """Run an operation's activity; its refusals keep their HTTP status, anything else is a 502."""
        try:
            return await workflow.execute_activity(
                name,
                arg,
                result_type=result_type,
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=timedelta(seconds=60),
                retry_policy=_DEBUG_OP_RETRY,
            )
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and (cause.type or "").startswith("HTTP_"):
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from None
            detail = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
            raise ApplicationError(f"{failure}: {detail}", type="HTTP_502", non_retryable=True) from None

    def _record_debug(
        self, debug: KubectlDebugStatus, pod: AllowedPod, kind: str, message: str, resource: Any = None
    ) -> None:
        """Record an operation's outcome: status, the pod made exec-able, the object cleanup must remove."""
        pods = tuple(p for p in self._status.allowed_pods if (p.namespace, p.name) != (pod.namespace, pod.name))
        changes: dict[str, Any] = {"kubectl_debug_status": debug, "allowed_pods": (*pods, pod)}
        if resource is not None:
            kept = tuple(
                r
                for r in self._status.deployed_resources
                if (r.kind, r.namespace, r.name) != (resource.kind, resource.namespace, resource.name)
            )
            changes["deployed_resources"] = (*kept, resource)
        if self._terminal():
            changes["allowed_pods"] = ()  # ended meanwhile: cleanup removes what was created, nobody execs
        self._update(**changes)
        self._search_attributes()
        self._notify(self._record(kind, message))

    def _live_copies(self) -> list[Any]:
        debug = self._status.kubectl_debug_status
        return [c for c in (debug.copied_pods if debug else []) if c.deleted_at is None]

    def _copies_due(self, now: datetime) -> bool:
        return any(c.expires_at is not None and c.expires_at <= now for c in self._live_copies())

    async def _expire_copies(self) -> None:
        """Delete pod copies whose TTL has passed (ours: the reference records the TTL but never enforces it)."""
        now = workflow.now()
        due = {
            (c.copy_namespace, c.copy_name)
            for c in self._live_copies()
            if c.expires_at is not None and c.expires_at <= now
        }
        pods = tuple(r for r in self._status.deployed_resources if r.kind == "Pod" and (r.namespace, r.name) in due)
        try:
            await workflow.execute_activity(
                DELETE_DEBUG_PODS_ACTIVITY,
                DeleteDebugPodsInput(session=self._session, pods=pods),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_REFRESH_RETRY,
            )
        except ActivityError:
            workflow.logger.warning("pod copies past their TTL could not be deleted yet; retrying later")
            return
        debug = self._debug_status()
        copies = [
            c.model_copy(update={"deleted_at": now}) if (c.copy_namespace, c.copy_name) in due else c
            for c in debug.copied_pods
        ]
        self._update(
            kubectl_debug_status=debug.model_copy(update={"copied_pods": copies}),
            deployed_resources=tuple(r for r in self._status.deployed_resources if r not in pods),
            allowed_pods=tuple(p for p in self._status.allowed_pods if (p.namespace, p.name) not in due),
        )
        self._search_attributes()
        for ns, name in sorted(due):
            self._record("pod-copy-expired", f"pod copy {ns}/{name} deleted: its TTL passed")

    # --- the same actions as signals (operator access through Temporal) --------------------------

    @workflow.signal(name="approve")
    def approve_signal(self, input: ApproveInput) -> None:
        """Operator approval; identity rules do not apply (Temporal access is operator access)."""
        if self._refused("approve", self._check_decision(input.actor, input.reason, rejecting=False, operator=True)):
            return
        self._decide(input.actor.username, input.reason, rejecting=False)

    @workflow.signal(name="reject")
    def reject_signal(self, input: RejectInput) -> None:
        """Operator rejection."""
        if self._refused("reject", self._check_decision(input.actor, input.reason, rejecting=True, operator=True)):
            return
        self._decide(input.actor.username, input.reason, rejecting=True)

    @workflow.signal(name="renew")
    def renew_signal(self, input: RenewInput) -> None:
        """Operator renewal (limits still apply)."""
        denied = policy.check_renew(self._session, self._status, input.actor, input.extend_by, workflow.now(), True)
        if not self._refused("renew", denied):
            self._renew(input.extend_by)

    @workflow.signal(name="terminate")
    def terminate_signal(self, input: TerminateInput) -> None:
        """Operator termination."""
        denied = policy.check_terminate(self._session, self._status, input.actor, workflow.now(), operator=True)
        if not self._refused("terminate", denied):
            self._terminate(input.actor, operator=True)

    def _refused(self, action: str, denied: policy.ActionDenied | None) -> bool:
        if denied is None:
            return False
        self._record("signal-refused", f"{action} signal refused: {denied.message}")
        return True

    # --- action bodies ---------------------------------------------------------------------------

    def _check_decision(
        self, actor: Any, reason: str, *, rejecting: bool, operator: bool = False
    ) -> policy.ActionDenied | None:
        return policy.check_decision(
            self._session,
            self._status,
            actor,
            reason,
            workflow.now(),
            rejecting=rejecting,
            timeout=self._settings.approval_timeout,
            operator=operator,
        )

    def _decide(self, user: str, reason: str, *, rejecting: bool) -> None:
        now = workflow.now()
        clean = reason.strip()
        if rejecting:
            approval = self._status.approval.model_copy(
                update={"rejected_by": user, "rejected_at": now, "reason": clean}
            )
            self._update(approval=approval)
            self._notify(self._transition(SessionState.FAILED, f"Rejected by {user}: {clean}", "rejected"))
        else:
            approval = self._status.approval.model_copy(
                update={"approved_by": user, "approved_at": now, "reason": clean}
            )
            self._update(approval=approval)
            # A local activity started now would hold this workflow task, and with it the deploy it
            # schedules, until the notifier returns: send it when the deploy has answered instead.
            self._held.append(self._record("approved", f"Approved by {user}"))

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for event in held:
            self._notify(event)

    def _renew(self, extend_by: timedelta) -> None:
        assert self._status.expires_at is not None
        new_expiry: datetime = self._status.expires_at + extend_by
        self._update(
            expires_at=new_expiry, renewal_count=self._status.renewal_count + 1, message="Debug session active"
        )
        self._search_attributes()
        self._record("renewed", f"Renewed until {new_expiry.strftime('%Y-%m-%dT%H:%M:%SZ')}")

    def _terminate(self, actor: Any, *, operator: bool) -> None:
        message = policy.termination_message(self._session, self._status, actor, operator)
        self._notify(self._transition(SessionState.TERMINATED, message, "terminated"))  # DESIGN 8

    # --- query -----------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> SessionStatus:
        """The full status of the session."""
        return self._status

    @workflow.query
    def session(self) -> ResolvedSession:
        """The resolved snapshot the session runs on (what was requested, as admitted)."""
        return self._session
