"""DebugSessionWorkflow: one durable workflow per session (workflow ID = session name).

Pending → PendingApproval → Active → Expired | Terminated, and Failed. The workflow waits for approval
(with a timeout), deploys through activities, keeps the expiry deadline (renewals move it), warns before
expiry, and always cleans up before it returns. Every user action is an Update with a validator
(synchronous answer, nothing written on refusal); approve/reject/renew/terminate are also Signals so an
operator can act from the Temporal CLI or UI (Temporal access is operator access).

An Active session costs nothing while it waits: it sleeps until its next deadline (grace warning, expiry,
hard cap, a pod copy's TTL, the rare safety check) or until an action wakes it. Live pods are tracked by
the API's watches (api/pod_tracker.py), not by this workflow.

Replay safety: no decision compares `workflow.now()` with a deadline. `workflow.now()` can be stale on a
live worker (a query answered without the workflow in cache applies newer events with the previous task's
time, and the worker keeps that state), so deadlines are decided on a `TimerClock` that moves only to a
fired timer's deadline, an update's task time, or a recorded time; a past deadline still gets a (1 ms)
timer; continue-as-new counts the workflow's own steps, not the history length it is told.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import debug_operations as ops
    from domain.durations import format_duration, parse_duration
    from domain.refusal import Refusal
    from domain.resolution.resolved import ResolvedSession
    from domain.session import AllowedPod, DeployedResource, KubectlDebugStatus
    from workflows import policy, refusals
    from workflows import search_attributes as sa
    from workflows import status as deadlines
    from workflows.models import (
        CLEANUP_ACTIVITY,
        CREATE_NODE_DEBUG_POD_ACTIVITY,
        CREATE_POD_COPY_ACTIVITY,
        DELETE_DEBUG_PODS_ACTIVITY,
        DELIVER_ACTIVITY,
        DEPLOY_ACTIVITY,
        INJECT_EPHEMERAL_ACTIVITY,
        NOTIFY_ACTIVITY,
        REFRESH_PODS_ACTIVITY,
        TERMINAL_STATES,
        ActionResult,
        Actor,
        ApprovalRecord,
        ApproveInput,
        CleanupInput,
        CleanupResult,
        DeleteDebugPodsInput,
        DeliverInput,
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
        NotifyPlan,
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
    from workflows.status import MIN_TIMER, TimerClock

_NOTIFY_RETRY = RetryPolicy(maximum_attempts=3)
_DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0, maximum_interval=timedelta(seconds=60)
)
"""A mail server or chat endpoint that is down delays a delivery, never loses it (until the give-up time)."""
_CLEANUP_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
_REFRESH_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1))
_DEBUG_OP_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(milliseconds=500))
"""kubectl-debug operations answer a waiting HTTP request: a few quick retries, then a clear 502."""


def _deny(denied: Refusal | None) -> None:
    """Refuse an update (the API answers with the refusal's status and message)."""
    if denied is not None:
        raise refusals.to_error(denied)


def _recorded_time(status: SessionStatus) -> datetime:
    """The latest time the status records: where a run's timer clock starts (continue-as-new included)."""
    return max([status.created_at, *(e.at for e in status.events), *filter(None, [status.starts_at])])


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
        self._attributes = {p.key.name: p.value for p in sa.tracked(self._session, self._status)}
        """The tracked search attributes as this run last set them: what the API started the workflow with
        (`sa.initial`) or continue-as-new carried over, then every upsert. Kept here rather than read back
        from `workflow.info()`, whose values the server may normalise (an empty list can come back unset),
        which made the same history upsert live and not in replay."""
        self._published: SessionStatus | None = None
        """The status as last written to the memo (the first change writes it)."""
        self._clock = TimerClock(_recorded_time(self._status))
        """The time deadlines are decided by (see the module docstring)."""
        self._steps = 0
        """Wake-ups, actions and activities of this run: continue-as-new is decided on this count."""
        self._notifications: list[asyncio.Task[Any]] = []
        """Notification activities in flight: never awaited on the critical path, drained before returning."""
        self._holding = False
        self._held: list[NotifyInput] = []
        """Announcements held back until the deploy has answered (see `_decide`)."""

    # --- state helpers ---------------------------------------------------------------------------

    def _update(self, **changes: Any) -> None:
        """Apply status changes in one step; the search attributes follow (only what changed is sent)."""
        self._status = self._status.model_copy(update=changes)
        self._wake = True
        self._publish()

    def _record(
        self, kind: str, text: str, /, actor: str = "", resources: tuple[DeployedResource, ...] = (), **changes: Any
    ) -> SessionEvent:
        """Add a line to the session's history, with the status changes it stands for, and announce it
        (`resources`: what the event put on the cluster or removed from it, for the audit trail)."""
        event = SessionEvent(at=workflow.now(), type=kind, message=text, actor=actor)
        self._update(events=(*self._status.events, event), **changes)
        announcement = self._notify_input(event, resources)
        if self._holding:
            self._held.append(announcement)
        else:
            self._notifications.append(asyncio.ensure_future(self._announce(announcement)))
        return event

    def _release_held(self) -> None:
        """Announce what was held back while the deploy was being scheduled (see `_decide`)."""
        self._holding = False
        held, self._held = self._held, []
        for announcement in held:
            self._notifications.append(asyncio.ensure_future(self._announce(announcement)))

    def _transition(
        self,
        state: SessionState,
        text: str,
        kind: str,
        /,
        actor: str = "",
        resources: tuple[DeployedResource, ...] = (),
        **changes: Any,
    ) -> SessionEvent:
        return self._record(kind, text, actor=actor, resources=resources, state=state, message=text, **changes)

    def _terminal(self) -> bool:
        return self._status.state in TERMINAL_STATES

    def _action_time(self) -> datetime:
        """An update's time: updates arrive only with real workflow tasks (never in a query's replay), so
        their task time is the same live and in replay, and the timer clock may move to it."""
        self._steps += 1
        return self._clock.reached(workflow.now())

    def _publish(self) -> None:
        """Make the status readable without running workflow code: the status memo (what the API reads,
        through describe) and the search attributes (what lists and the webhook's index read)."""
        if not self._settings.upsert_search_attributes:
            return
        if self._status != self._published:
            workflow.upsert_memo({sa.STATUS_MEMO: self._status})
            self._published = self._status
        # Every upsert is a visibility write on the server: send only what changed, and nothing at all
        # when nothing did.
        changed = [p for p in sa.tracked(self._session, self._status) if self._attributes.get(p.key.name) != p.value]
        if changed:
            workflow.upsert_search_attributes([p.key.value_set(p.value) for p in changed])
            self._attributes.update({p.key.name: p.value for p in changed})

    def _notify_input(self, event: SessionEvent, resources: tuple[DeployedResource, ...] = ()) -> NotifyInput:
        s = self._status
        return NotifyInput(
            session=self._session,
            event=event,
            state=s.state,
            starts_at=s.starts_at,
            expires_at=s.expires_at,
            approval=s.approval,
            resources=resources,
        )

    async def _announce(self, input: NotifyInput) -> None:
        """Audit and count the event (a local activity: no network), then make each delivery it needs (mail,
        chat, audit sinks) an activity of its own, retried until it succeeds: one that fails never resends
        another. Runs beside the lifecycle; nothing waits for it but the end of the run."""
        self._steps += 1
        try:
            plan: NotifyPlan = await workflow.execute_local_activity(
                NOTIFY_ACTIVITY,
                input,
                result_type=NotifyPlan,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_NOTIFY_RETRY,
            )
        except ActivityError as exc:
            workflow.logger.warning("event %s was not announced: %s", input.event.type, exc.cause or exc)
            return
        self._steps += len(plan.deliveries)
        deliveries = [
            workflow.execute_activity(
                DELIVER_ACTIVITY,
                DeliverInput(notify=input, key=key),
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=self._settings.notification_give_up_after,
                retry_policy=_DELIVERY_RETRY,
            )
            for key in plan.deliveries
        ]
        for key, outcome in zip(
            plan.deliveries, await asyncio.gather(*deliveries, return_exceptions=True), strict=True
        ):
            if isinstance(outcome, BaseException):
                workflow.logger.warning("delivery %s of event %s given up: %s", key, input.event.type, outcome)

    def _delivering(self) -> bool:
        """Announcements or deliveries still running (continue-as-new would abandon them)."""
        return any(not task.done() for task in self._notifications)

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
                self._transition(SessionState.PENDING_APPROVAL, "Waiting for approval", "approval-requested")
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
        self._steps += 1
        try:
            await workflow.wait_condition(
                lambda: self._status.approval.approved_at is not None or self._terminal(),
                timeout=max(deadline - workflow.now(), MIN_TIMER),
            )
        except TimeoutError:
            self._clock.reached(deadline)
            message = f"Approval timed out after {format_duration(self._settings.approval_timeout)}"
            self._transition(SessionState.FAILED, message, "approval-timeout")

    async def _activate(self) -> None:
        self._update(deploy_attempted=self._session.mode != "kubectl-debug")
        self._steps += 1
        try:
            result: DeployResult = await workflow.execute_activity(
                DEPLOY_ACTIVITY,
                DeployInput(session=self._session, approved_by=self._status.approval.approved_by),
                result_type=DeployResult,
                start_to_close_timeout=self._settings.activity_timeout,
                schedule_to_close_timeout=self._settings.deploy_give_up_after,
                heartbeat_timeout=self._settings.heartbeat_timeout,
            )
        except ActivityError as exc:
            self._release_held()
            cause = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc.cause or exc)
            details = exc.cause.details if isinstance(exc.cause, ApplicationError) else ()
            partial = DeployResult.model_validate(details[0]) if details and isinstance(details[0], dict) else None
            adopted: dict[str, Any] = (
                {
                    "deployed_resources": partial.deployed_resources,
                    "auxiliary_resource_statuses": partial.auxiliary_resource_statuses,
                    "pod_template_resource_statuses": partial.pod_template_resource_statuses,
                }
                if partial is not None  # what a failed deployment created, so cleanup removes exactly that
                else {}
            )
            if not self._terminal():
                message = f"failed to deploy resources: {cause}"
                created = adopted.get("deployed_resources", ())
                self._transition(SessionState.FAILED, message, "deploy-failed", resources=created, **adopted)
            elif adopted:
                self._update(**adopted)
            return
        self._release_held()
        deployed: dict[str, Any] = {
            "deployed_resources": result.deployed_resources,
            "allowed_pods": result.allowed_pods,
            "auxiliary_resource_statuses": result.auxiliary_resource_statuses,
            "pod_template_resource_statuses": result.pod_template_resource_statuses,
            "terminal_sharing": result.terminal_sharing,
            "warnings": (*self._status.warnings, *result.warnings),
        }
        if self._terminal():
            self._update(**deployed)  # withdrawn or terminated while deploying: cleanup removes what was created
            return
        now = workflow.now()
        self._clock.reached(now)
        requester = self._session.requester
        owner = ParticipantRecord(
            user=requester.username,
            email=requester.email,
            display_name=requester.display_name,
            role="owner",
            joined_at=now,
        )
        opened = self._status.model_copy(update=deployed)
        check_at, streak = deadlines.next_check(self._settings, opened, now)
        self._transition(
            SessionState.ACTIVE,
            "Debug session active",
            "activated",
            resources=result.deployed_resources,
            starts_at=now,
            expires_at=now + self._session.duration,
            participants=(owner,),
            next_check_at=check_at,
            check_streak=streak,
            **deployed,
        )

    async def _active(self) -> None:
        """Sleep until the next deadline or action; act on what is due; repeat while Active."""
        while self._status.state is SessionState.ACTIVE:
            due = deadlines.due(self._session, self._status, self._clock.at)
            if due.expire:
                self._transition(SessionState.EXPIRED, "Session expired", "expired")
                return
            expires = self._status.expires_at
            if due.notify_only_expired:
                message = "Session expired (notify-only)"
                self._record("expired-notify-only", message, notify_only_expired_for=expires, message=message)
            if due.grace_warning:
                self._record("expiring-soon", "Session expiring soon", grace_warned_for=expires)
            if due.copies:
                await self._expire_copies(due.copies)
            if due.check:
                await self._check()
            if (
                self._steps >= self._settings.continue_as_new_after_steps
                and self._status.state is SessionState.ACTIVE
                # A delivery waiting for a mail server that is down must not hold the session: continue as
                # new at a later wake instead, once nothing is in flight.
                and not self._delivering()
            ):
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self._drain_notifications()
                workflow.continue_as_new(
                    SessionWorkflowInput(session=self._session, settings=self._settings, carried=self._status)
                )
            if self._status.state is SessionState.ACTIVE:
                await self._sleep_until(deadlines.next_wake(self._session, self._status, self._clock.at))

    async def _sleep_until(self, deadline: datetime) -> None:
        """Wait for the deadline's timer or for an action. Always a timer, even for a deadline already past:
        whether one is started must not depend on `workflow.now()`."""
        self._wake = False
        self._steps += 1
        try:
            await workflow.wait_condition(lambda: self._wake, timeout=max(deadline - workflow.now(), MIN_TIMER))
        except TimeoutError:
            self._clock.reached(deadline)

    async def _check(self) -> None:
        """The rare look at the cluster: auxiliary readiness and the recorded pod snapshot
        (docs/behaviour/lifecycle.md#maintenance-check)."""
        known = self._status.allowed_pods
        self._steps += 1
        result: RefreshPodsResult | None = None
        try:
            result = await workflow.execute_activity(
                REFRESH_PODS_ACTIVITY,
                RefreshPodsInput(
                    session=self._session, known=known, auxiliary=self._status.auxiliary_resource_statuses
                ),
                result_type=RefreshPodsResult,
                start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=self._settings.heartbeat_timeout,
                retry_policy=_REFRESH_RETRY,
            )
        except ActivityError:
            workflow.logger.warning("cluster check failed; keeping the last known pods and readiness")
        if self._status.state is not SessionState.ACTIVE:
            return
        changes: dict[str, Any] = {}
        if result is not None:
            # Pods a kubectl-debug operation added while the check ran are not in its answer: keep them.
            before = {(p.namespace, p.name) for p in known}
            seen = {(p.namespace, p.name) for p in result.allowed_pods}
            added = tuple(p for p in self._status.allowed_pods if (p.namespace, p.name) not in before | seen)
            pods = (*result.allowed_pods, *added)
            if pods != self._status.allowed_pods:
                changes["allowed_pods"] = pods
            if result.auxiliary_resource_statuses is not None:
                changes["auxiliary_resource_statuses"] = result.auxiliary_resource_statuses
        checked = self._status.model_copy(update=changes)
        check_at, streak = deadlines.next_check(self._settings, checked, self._clock.at)
        self._update(next_check_at=check_at, check_streak=streak, **changes)

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
            self._steps += 1
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
                heartbeat_timeout=self._settings.heartbeat_timeout,
                retry_policy=_CLEANUP_RETRY,
            )
            left = {(r.kind, r.namespace, r.name) for r in result.remaining}
            self._record(
                "cleaned-up",
                "Session resources removed",
                resources=tuple(r for r in s.deployed_resources if (r.kind, r.namespace, r.name) not in left),
                deployed_resources=result.remaining,
                cleaned_up=True,
                allowed_pods=(),
            )
        else:
            self._update(cleaned_up=True, allowed_pods=())

    # --- actions: updates (synchronous answers) --------------------------------------------------

    @workflow.update
    async def approve(self, input: ApproveInput) -> SessionStatus:
        """Record the approval; the session activates as soon as its resources are deployed."""
        self._action_time()
        self._decide(input.actor.username, input.reason, rejecting=False)
        return self._status

    @approve.validator
    def _validate_approve(self, input: ApproveInput) -> None:
        _deny(self._check_decision(input.actor, input.reason, rejecting=False))

    @workflow.update
    async def reject(self, input: RejectInput) -> SessionStatus:
        """Reject: the session ends Failed with `Rejected by <user>: <reason>` (DESIGN decision 2)."""
        self._action_time()
        self._decide(input.actor.username, input.reason, rejecting=True)
        return self._status

    @reject.validator
    def _validate_reject(self, input: RejectInput) -> None:
        _deny(self._check_decision(input.actor, input.reason, rejecting=True))

    @workflow.update
    async def renew(self, input: RenewInput) -> RenewResult:
        """Move the expiry by `extendBy` (never beyond startsAt + maxDuration)."""
        self._action_time()
        self._renew(input.extend_by, input.actor.username)
        assert self._status.expires_at is not None
        return RenewResult(new_expires_at=self._status.expires_at, renewal_count=self._status.renewal_count)

    @renew.validator
    def _validate_renew(self, input: RenewInput) -> None:
        _deny(policy.check_renew(self._session, self._status, input.actor, input.extend_by, workflow.now()))

    @workflow.update
    async def terminate(self, input: TerminateInput) -> SessionStatus:
        """End the session now (owner, admin, or the requester withdrawing a pending request)."""
        self._action_time()
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
            user=a.username, email=a.email, display_name=a.display_name, role=input.role, joined_at=self._action_time()
        )
        self._record(
            "joined",
            f"{a.username} joined as {input.role}",
            actor=a.username,
            participants=(*self._status.participants, entry),
        )
        return ActionResult(message="successfully joined session", role=input.role, status=self._status)

    @join.validator
    def _validate_join(self, input: JoinInput) -> None:
        _deny(policy.check_join(self._session, self._status, input.actor, workflow.now()))

    @workflow.update
    async def leave(self, input: LeaveInput) -> ActionResult:
        """Leave: access is revoked at once (the entry stays, with leftAt)."""
        now = self._action_time()
        participants = tuple(
            p.model_copy(update={"left_at": now}) if p.user == input.actor.username else p
            for p in self._status.participants
        )
        self._record("left", f"{input.actor.username} left", actor=input.actor.username, participants=participants)
        return ActionResult(message="successfully left session", status=self._status)

    @leave.validator
    def _validate_leave(self, input: LeaveInput) -> None:
        _deny(policy.check_leave(self._session, self._status, input.actor, workflow.now()))

    @workflow.update
    async def invite(self, input: InviteInput) -> ActionResult:
        """The owner invites more users (they may then join as participant or viewer)."""
        self._action_time()
        known = {i.lower() for i in self._status.invited}
        added: list[str] = []
        for user in (u.strip() for u in input.users):
            if user.lower() not in known:
                known.add(user.lower())
                added.append(user)
        who = ", ".join(added) or "nobody new"
        self._record(
            "invited",
            f"{input.actor.username} invited {who}",
            actor=input.actor.username,
            invited=(*self._status.invited, *added),
        )
        return ActionResult(message="invited", status=self._status)

    @invite.validator
    def _validate_invite(self, input: InviteInput) -> None:
        _deny(policy.check_invite(self._status, self._session, input.actor, input.users))

    # --- kubectl-debug operations (mode kubectl-debug or hybrid; docs/behaviour/access.md) ----------

    @workflow.update
    async def inject_ephemeral_container(self, input: InjectEphemeralInput) -> InjectEphemeralResult:
        """Add an ephemeral container to a running pod; the pod joins allowedPods for the session."""
        now = self._action_time()
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
            input.actor.username,
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
        assert not isinstance(cfg, Refusal)  # the validator refused otherwise
        now = self._action_time()
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
            input.actor.username,
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
        now = self._action_time()
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
            input.actor.username,
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

    def _validate_debug(self, actor: Actor, config: Any) -> None:
        _deny(policy.check_debug_operation(self._session, self._status, actor, workflow.now()))
        if isinstance(config, Refusal):
            _deny(config)

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
                heartbeat_timeout=self._settings.heartbeat_timeout,
                retry_policy=_DEBUG_OP_RETRY,
            )
        except ActivityError as exc:
            refused = refusals.from_error(exc)
            if refused is not None:
                raise refusals.to_error(refused) from None
            cause = exc.cause
            detail = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
            raise refusals.refuse(502, f"{failure}: {detail}") from None

    def _record_debug(
        self, actor: str, debug: KubectlDebugStatus, pod: AllowedPod, kind: str, message: str, resource: Any = None
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
        self._record(kind, message, actor=actor, **changes)

    async def _expire_copies(self, due: tuple[tuple[str, str], ...]) -> None:
        """Delete pod copies whose TTL has passed (ours: the reference records the TTL but never enforces it)."""
        gone = set(due)
        pods = tuple(r for r in self._status.deployed_resources if r.kind == "Pod" and (r.namespace, r.name) in gone)
        self._steps += 1
        try:
            await workflow.execute_activity(
                DELETE_DEBUG_PODS_ACTIVITY,
                DeleteDebugPodsInput(session=self._session, pods=pods),
                start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=self._settings.heartbeat_timeout,
                retry_policy=_REFRESH_RETRY,
            )
        except ActivityError:
            workflow.logger.warning("pod copies past their TTL could not be deleted yet; retrying at the next wake")
            return
        now = workflow.now()
        debug = self._debug_status()
        copies = [
            c.model_copy(update={"deleted_at": now}) if (c.copy_namespace, c.copy_name) in gone else c
            for c in debug.copied_pods
        ]
        self._update(
            kubectl_debug_status=debug.model_copy(update={"copied_pods": copies}),
            deployed_resources=tuple(r for r in self._status.deployed_resources if r not in pods),
            allowed_pods=tuple(p for p in self._status.allowed_pods if (p.namespace, p.name) not in gone),
        )
        for ns, name in due:
            self._record("pod-copy-expired", f"pod copy {ns}/{name} deleted: its TTL passed")

    # --- the same actions as signals (operator access through Temporal) --------------------------

    @workflow.signal(name="approve")
    def approve_signal(self, input: ApproveInput) -> None:
        """Operator approval; identity rules do not apply (Temporal access is operator access)."""
        self._steps += 1
        if self._refused("approve", self._check_decision(input.actor, input.reason, rejecting=False, operator=True)):
            return
        self._decide(input.actor.username, input.reason, rejecting=False)

    @workflow.signal(name="reject")
    def reject_signal(self, input: RejectInput) -> None:
        """Operator rejection."""
        self._steps += 1
        if self._refused("reject", self._check_decision(input.actor, input.reason, rejecting=True, operator=True)):
            return
        self._decide(input.actor.username, input.reason, rejecting=True)

    @workflow.signal(name="renew")
    def renew_signal(self, input: RenewInput) -> None:
        """Operator renewal (limits still apply)."""
        self._steps += 1
        denied = policy.check_renew(self._session, self._status, input.actor, input.extend_by, self._clock.at, True)
        if not self._refused("renew", denied):
            self._renew(input.extend_by, input.actor.username)

    @workflow.signal(name="terminate")
    def terminate_signal(self, input: TerminateInput) -> None:
        """Operator termination."""
        self._steps += 1
        denied = policy.check_terminate(self._session, self._status, input.actor, self._clock.at, operator=True)
        if not self._refused("terminate", denied):
            self._terminate(input.actor, operator=True)

    def _refused(self, action: str, denied: Refusal | None) -> bool:
        if denied is None:
            return False
        self._record("signal-refused", f"{action} signal refused: {denied.message}")
        return True

    # --- action bodies ---------------------------------------------------------------------------

    def _check_decision(self, actor: Actor, reason: str, *, rejecting: bool, operator: bool = False) -> Refusal | None:
        # A validator runs only live (never in replay): it may read the task time. A signal is replayed, and
        # may be applied in a query's replay with a stale task time: it decides on the timer clock.
        return policy.check_decision(
            self._session,
            self._status,
            actor,
            reason,
            self._clock.at if operator else workflow.now(),
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
            message = f"Rejected by {user}: {clean}"
            self._transition(SessionState.FAILED, message, "rejected", actor=user, approval=approval)
        else:
            approval = self._status.approval.model_copy(
                update={"approved_by": user, "approved_at": now, "reason": clean}
            )
            # An announcement is a local activity: started now, it would hold this workflow task, and with it
            # the deploy the approval lets the lifecycle schedule, until it returns. Announce it once the
            # deploy has answered instead (approve→Active latency, bench/lifecycle.py).
            self._holding = True
            self._record("approved", f"Approved by {user}", actor=user, approval=approval)

    def _renew(self, extend_by: timedelta, actor: str) -> None:
        assert self._status.expires_at is not None
        new_expiry: datetime = self._status.expires_at + extend_by
        self._record(
            "renewed",
            f"Renewed until {new_expiry.strftime('%Y-%m-%dT%H:%M:%SZ')}",
            actor=actor,
            expires_at=new_expiry,
            renewal_count=self._status.renewal_count + 1,
            message="Debug session active",
        )

    def _terminate(self, actor: Actor, *, operator: bool) -> None:
        message = policy.termination_message(self._session, self._status, actor, operator)
        self._transition(SessionState.TERMINATED, message, "terminated", actor=actor.username)  # DESIGN 8

    # --- query -----------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> SessionStatus:
        """The full status of the session."""
        return self._status

    @workflow.query
    def session(self) -> ResolvedSession:
        """The resolved snapshot the session runs on (what was requested, as admitted)."""
        return self._session
