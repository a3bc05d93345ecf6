"""A session's page (`/debug-sessions/<name>`), its live part (polled by app.js), and its actions.

Every action is a form POST (with the CSRF token) that calls the API's action with the user's token; on
success it redirects back (303) with a message, on a refusal it shows the page again with the API's words
next to the form and the API's status (a 403 from the API is a 403 here).
"""

from __future__ import annotations

import hashlib
import re
import shlex
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.ui.context import (
    ApiFailure,
    Form,
    Login,
    UiError,
    api_settings,
    call,
    caller,
    check_csrf,
    current_login,
    finish,
    flash,
    is_admin,
    read_form,
    redirect,
    render,
    take_flash,
    ui,
)
from api.views import MODE_LABEL
from domain.identity import Identity, identity_match
from domain.session import SessionState
from workflows.models import TERMINAL_STATES

router = APIRouter()
NAME = r"[A-Za-z0-9._@:+-]{1,253}"
EXTEND_OPTIONS = ("15m", "30m", "1h", "2h", "4h")
TIME_WORDS = re.compile(rb"(<time[^>]*>)[^<]*(</time>)")
ACTIONS = ("approve", "reject", "renew", "terminate", "join", "leave", "invite", "inject", "copy", "node-debug")


def _path(name: str) -> str:
    return f"/api/v1/debug-sessions/{name}"


def _check_name(name: str) -> None:
    if not re.fullmatch(NAME, name):
        raise UiError(404, "debug session not found")


def permissions(session: dict[str, Any], who: Identity, admin: bool) -> dict[str, bool]:
    """Which controls the page offers (a hint only: the API decides every action)."""
    spec, status = session.get("spec") or {}, session.get("status") or {}
    state = status.get("state", "")
    owner = identity_match(str(spec.get("requestedBy", "")), who) or identity_match(
        str(spec.get("requestedByEmail", "")), who
    )
    active = [p for p in status.get("participants") or [] if not p.get("leftAt")]
    mine = [
        p for p in active if identity_match(str(p.get("user", "")), who) or identity_match(str(p.get("email", "")), who)
    ]
    user_role = next((p.get("role") for p in mine), None)
    is_active = state == SessionState.ACTIVE.value
    open_ = state not in {s.value for s in TERMINAL_STATES}
    mode = (session.get("metadata") or {}).get("labels", {}).get(MODE_LABEL, "")
    return {
        "decide": bool(session.get("canApprove") or session.get("canReject")),
        "approve": bool(session.get("canApprove")),
        "reject": bool(session.get("canReject")),
        "renew": is_active and (owner or user_role in ("owner", "participant")),
        "terminate": open_ and (spec.get("requestedBy") == who.username or admin),
        "invite": open_ and owner,
        "join": is_active and not owner and user_role is None,
        "leave": is_active and user_role in ("participant", "viewer"),
        "debug": is_active and mode in ("kubectl-debug", "hybrid") and (owner or user_role in ("owner", "participant")),
        "owner": owner,
        "admin": admin,
    }


def commands(session: dict[str, Any]) -> list[dict[str, str]]:
    """Per allowed pod: the kubectl and dsctl commands that open a shell in it."""
    name = (session.get("metadata") or {}).get("name", "")
    out = []
    for pod in (session.get("status") or {}).get("allowedPods") or []:
        ns, pod_name = str(pod.get("namespace", "")), str(pod.get("name", ""))
        out.append(
            {
                "kubectl": f"kubectl exec -it -n {shlex.quote(ns)} {shlex.quote(pod_name)} -- sh",
                "dsctl": f"dsctl session exec {shlex.quote(name)} {shlex.quote(pod_name)} -- sh",
            }
        )
    return out


def temporal_link(request: Request, name: str, admin: bool) -> str:
    """The session's workflow in the Temporal UI, for admins (DEBUG_SESSION_TEMPORAL_UI_URL); else empty."""
    base = ui(request).settings.temporal_ui_url.rstrip("/")
    if not admin or not base:
        return ""
    return f"{base}/namespaces/{api_settings(request).temporal.namespace}/workflows/{name}"


async def _page(
    request: Request,
    login: Login,
    name: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    who = await caller(request, login)
    try:
        session = await call(request, login, "GET", _path(name), next_path=f"/debug-sessions/{name}")
    except ApiFailure as exc:
        if errors:  # the action's refusal says more than the page's
            raise UiError(status, next(iter(errors.values()))) from exc
        raise UiError(exc.status, exc.text) from exc
    return render(
        request,
        "details.html",
        status=status,
        **_shown(request, session, name, who),
        errors=errors or {},
        values=values or {},
        flash=take_flash(request),
        focus=request.query_params.get("action", ""),
    )


def _shown(request: Request, session: dict[str, Any], name: str, who: Identity) -> dict[str, Any]:
    """What the page and its live part show of `session` to `who`."""
    admin = is_admin(request, who)
    return {
        "s": session,
        "name": name,
        "mode": ((session.get("metadata") or {}).get("labels") or {}).get(MODE_LABEL, ""),
        "can": permissions(session, who, admin),
        "commands": commands(session),
        "temporal_url": temporal_link(request, name, admin),
        "extend_options": EXTEND_OPTIONS,
    }


@router.get("/debug-sessions/{name}")
async def session_page(request: Request, name: str) -> Response:
    """The session: state, expiry, operations, pods, participants, actions, timeline."""
    _check_name(name)
    login = await current_login(request)
    return await _page(request, login, name)


@router.get("/debug-sessions/{name}/live")
async def session_live(request: Request, name: str) -> Response:
    """The page's changing parts (polled by app.js; 304 while nothing changed)."""
    _check_name(name)
    login = await current_login(request)
    who = await caller(request, login)
    try:
        session = await call(request, login, "GET", _path(name))
    except ApiFailure as exc:
        raise UiError(exc.status, exc.text) from exc
    response = render(request, "_live.html", **_shown(request, session, name, who), errors={}, values={})
    # times are words relative to now: they change every second, and app.js writes them anyway
    tag = '"' + hashlib.sha256(TIME_WORDS.sub(rb"\1\2", bytes(response.body))).hexdigest()[:20] + '"'
    if request.headers.get("if-none-match") == tag:
        return finish(request, Response(status_code=304, headers={"ETag": tag}))
    response.headers["ETag"] = tag
    return response


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", value) if w]


def action_request(action: str, form: Form) -> tuple[str, Any]:
    """The API path suffix and JSON body of an action form."""
    if action in ("approve", "reject"):
        return action, {"reason": form.get("reason").strip()}
    if action == "renew":
        return "renew", {"extendBy": form.get("extendBy").strip()}
    if action in ("terminate", "leave"):
        return action, None
    if action == "join":
        return "join", {"role": "participant" if form.get("role") == "participant" else "viewer"}
    if action == "invite":
        return "invite", {"users": _words(form.get("users"))}
    if action == "inject":
        body: dict[str, Any] = {
            "namespace": form.get("namespace").strip(),
            "podName": form.get("podName").strip(),
            "containerName": form.get("containerName").strip(),
            "image": form.get("image").strip(),
        }
        command = form.get("command").strip()
        if command:
            try:
                body["command"] = shlex.split(command)
            except ValueError:
                body["command"] = command.split()
        run_as = form.get("runAsUser").strip()
        if run_as:
            body["securityContext"] = {
                "runAsNonRoot": run_as != "0",
                "runAsUser": int(run_as) if run_as.isdigit() else run_as,
            }
        return "injectEphemeralContainer", body
    if action == "copy":
        copy = {"namespace": form.get("namespace").strip(), "podName": form.get("podName").strip()}
        if form.get("debugImage").strip():
            copy["debugImage"] = form.get("debugImage").strip()
        return "createPodCopy", copy
    if action == "node-debug":
        node = {"nodeName": form.get("nodeName").strip()}
        if form.get("image").strip():
            node["image"] = form.get("image").strip()
        return "createNodeDebugPod", node
    raise UiError(404, "no such action")


def done_message(action: str, name: str, answer: Any) -> str:
    """What the page says after an action went through."""
    answer = answer if isinstance(answer, dict) else {}
    if action == "approve":
        return f"Approved {name}."
    if action == "reject":
        return f"Rejected {name}."
    if action == "renew":
        return f"Renewed: it now expires at {answer.get('newExpiresAt', '?')}."
    if action == "terminate":
        return f"Terminated {name}."
    if action == "invite":
        return "Invited: " + ", ".join(answer.get("invitedParticipants") or []) + "."
    if action == "inject":
        return f"{answer.get('message', 'Injected')}; it stops at {answer.get('stopsAt', '?')}."
    if action == "copy":
        return f"Pod copy {answer.get('copyNamespace', '')}/{answer.get('copyName', '')} created."
    if action == "node-debug":
        return f"Node debug pod {answer.get('namespace', '')}/{answer.get('podName', '')} created."
    return str(answer.get("message") or "Done.").rstrip(".") + "."


@router.post("/debug-sessions/{name}/{action}")
async def session_action(request: Request, name: str, action: str) -> Response:
    """An action form: the API's action with the user's token; back to the page, or its refusal."""
    _check_name(name)
    if action not in ACTIONS:
        raise UiError(404, "no such action")
    login = await current_login(request, next_path=f"/debug-sessions/{name}")
    form = await read_form(request)
    check_csrf(request, form, login.sid)
    suffix, body = action_request(action, form)
    try:
        answer = await call(
            request, login, "POST", f"{_path(name)}/{suffix}", json=body, next_path=f"/debug-sessions/{name}"
        )
    except ApiFailure as exc:
        values = {k: v[0] for k, v in form.fields.items() if k != "csrf_token" and v}
        key = "decide" if action in ("approve", "reject") else action
        return await _page(request, login, name, status=exc.status, errors={key: exc.text}, values=values)
    flash(request, done_message(action, name, answer))
    return redirect(request, f"/debug-sessions/{name}")
