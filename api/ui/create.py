"""Requesting a session (`/debug-sessions/create`): template → cluster (with its bindings, approval and
health from the template clusters API) → scheduling option, namespace, extra variables, duration, reason,
invitees; "Preview" shows what would be created (`POST /api/v1/debug-sessions/preview`), "Request session"
creates it.

Without JavaScript the steps are one form posted back to itself ("Choose" buttons); app.js swaps the steps
in place as the selects change (`?fragment=steps`). A refusal is shown next to the field it is about.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.ui.context import (
    ApiFailure,
    Form,
    Login,
    UiError,
    call,
    caller,
    check_csrf,
    current_login,
    flash,
    read_form,
    redirect,
    render,
    wants_fragment,
)
from api.ui.format import create_field_errors

router = APIRouter()
FIELDS = (
    "templateRef",
    "cluster",
    "bindingRef",
    "selectedSchedulingOption",
    "targetNamespace",
    "requestedDuration",
    "reason",
    "invitedParticipants",
)
VAR_PREFIX = "var."


async def _choices(request: Request, login: Login, template: str, cluster: str) -> dict[str, Any]:
    """Templates, the chosen template, its clusters, the chosen cluster: what the form offers."""
    listing_call = call(request, login, "GET", "/api/v1/debug-session-templates")
    clusters_call = (
        call(request, login, "GET", f"/api/v1/debug-session-templates/{quote(template, safe='')}/clusters")
        if template
        else None
    )
    errors: dict[str, str] = {}
    listing: dict[str, Any] = {}
    clusters: dict[str, Any] = {}
    if clusters_call is None:
        listing = await listing_call
    else:
        results = await asyncio.gather(listing_call, clusters_call, return_exceptions=True)
        for result in results:
            if isinstance(result, ApiFailure):
                errors["templateRef"] = result.text
            elif isinstance(result, BaseException):
                raise result
        listing = results[0] if isinstance(results[0], dict) else {}
        clusters = results[1] if isinstance(results[1], dict) else {}
    templates = listing.get("templates") or []
    chosen = next((t for t in templates if t.get("name") == template), None)
    if template and chosen is None and not errors:
        try:
            chosen = await call(request, login, "GET", f"/api/v1/debug-session-templates/{quote(template, safe='')}")
        except ApiFailure as exc:
            errors["templateRef"] = exc.text
    cluster_views = clusters.get("clusters") or []
    chosen_cluster = next((c for c in cluster_views if c.get("name") == cluster), None)
    if cluster and chosen_cluster is None and template and not errors:
        errors["cluster"] = f"cluster '{cluster}' is not offered for this template"
    return {
        "templates": templates,
        "template": chosen,
        "clusters": cluster_views,
        "cluster": chosen_cluster,
        "load_errors": errors,
    }


def _binding_option(cluster: dict[str, Any] | None, binding: str) -> dict[str, Any] | None:
    """The cluster's binding option named `binding` (`namespace/name` or `name`), if any."""
    for option in (cluster or {}).get("bindingOptions") or []:
        ref = option.get("bindingRef") or {}
        if binding and binding in (f"{ref.get('namespace')}/{ref.get('name')}", ref.get("name")):
            return dict(option)
    return None


def offer(cluster: dict[str, Any] | None, binding: str) -> dict[str, Any]:
    """The settings a session through the chosen binding gets (the cluster's default binding otherwise)."""
    return _binding_option(cluster, binding) or dict(cluster or {})


def _binding_key(cluster: dict[str, Any] | None, binding: str) -> str:
    option = _binding_option(cluster, binding)
    ref = (option or {}).get("bindingRef") or {}
    return f"{ref.get('namespace')}/{ref.get('name')}" if option else ""


def request_body(form: Form, template: dict[str, Any] | None) -> dict[str, Any]:
    """The create request of a posted form; extra variables typed by their inputType."""
    body: dict[str, Any] = {}
    for name in FIELDS:
        value = form.get(name).strip()
        if name == "invitedParticipants":
            users = [u for u in value.replace(",", " ").split() if u]
            if users:
                body[name] = users
        elif value:
            body[name] = value
    values: dict[str, Any] = {}
    for var in (template or {}).get("extraDeployVariables") or []:
        key = VAR_PREFIX + str(var.get("name"))
        kind = var.get("inputType", "text")
        if kind == "boolean":
            values[var["name"]] = form.get(key) == "true"
            continue
        if kind == "multiSelect":
            chosen = [v for v in form.getall(key) if v]
            if chosen:
                values[var["name"]] = chosen
            continue
        raw = form.get(key).strip()
        if not raw:
            continue
        if kind == "number":
            try:
                number = float(raw)
                values[var["name"]] = int(number) if number.is_integer() and "." not in raw else number
            except ValueError:
                values[var["name"]] = raw  # the API says what is wrong with it
        else:
            values[var["name"]] = raw
    if values:
        body["extraDeployValues"] = values
    return body


def preview_yaml(preview: dict[str, Any]) -> list[dict[str, str]]:
    """Each object of a preview as YAML, with its step and source."""
    return [
        {
            "step": str(o.get("step", "")),
            "source": str(o.get("source", "")),
            "kind": str((o.get("manifest") or {}).get("kind", "")),
            "name": str(((o.get("manifest") or {}).get("metadata") or {}).get("name", "")),
            "yaml": yaml.safe_dump(o.get("manifest") or {}, sort_keys=False).rstrip(),
        }
        for o in preview.get("objects") or []
    ]


async def _form_page(
    request: Request,
    login: Login,
    values: dict[str, Any],
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    steps_only: bool = False,
    choices: dict[str, Any] | None = None,
) -> Response:
    await caller(request, login)
    template, cluster = str(values.get("templateRef", "")), str(values.get("cluster", ""))
    choices = choices or await _choices(request, login, template, cluster)
    chosen_cluster = choices["cluster"]
    settings = offer(chosen_cluster, str(values.get("bindingRef", "")))
    context = {
        **choices,
        "v": values,
        "offer": settings,
        "binding_key": _binding_key(chosen_cluster, str(values.get("bindingRef", ""))),
        "errors": {**choices["load_errors"], **(errors or {})},
        "preview": preview,
        "preview_objects": preview_yaml(preview) if preview else [],
    }
    return render(request, "_create_steps.html" if steps_only else "create.html", status=status, **context)


def _values(form: Form) -> dict[str, Any]:
    values: dict[str, Any] = {k: v[0] for k, v in form.fields.items() if k != "csrf_token" and v}
    values["_lists"] = {k: v for k, v in form.fields.items() if k.startswith(VAR_PREFIX)}
    return values


@router.get("/debug-sessions/create")
async def create_page(request: Request) -> Response:
    """The request form; `?template=&cluster=&binding=` preselect (`&fragment=steps`: only the steps)."""
    login = await current_login(request)
    p = request.query_params
    values = {"templateRef": p.get("template", ""), "cluster": p.get("cluster", ""), "bindingRef": p.get("binding", "")}
    return await _form_page(request, login, values, steps_only=p.get("fragment") == "steps")


@router.post("/debug-sessions/create")
async def create_submit(request: Request) -> Response:
    """`action=choose` shows the next step, `action=preview` the preview, otherwise the session is
    requested and the browser goes to its page."""
    login = await current_login(request, next_path="/debug-sessions/create")
    form = await read_form(request)
    check_csrf(request, form, login.sid)
    values = _values(form)
    action = form.get("action", "create")
    fragment = wants_fragment(request)
    if action == "choose":
        return await _form_page(request, login, values, steps_only=fragment)
    if action not in ("preview", "create"):
        raise UiError(400, f"unknown action {action!r}")
    choices = await _choices(request, login, str(values.get("templateRef", "")), str(values.get("cluster", "")))
    body = request_body(form, choices["template"])
    path = "/api/v1/debug-sessions/preview" if action == "preview" else "/api/v1/debug-sessions"
    try:
        answer = await call(request, login, "POST", path, json=body)
    except ApiFailure as exc:
        errors = create_field_errors(exc.error, exc.details)
        return await _form_page(
            request, login, values, status=exc.status, errors=errors, steps_only=fragment, choices=choices
        )
    if action == "preview":
        return await _form_page(request, login, values, preview=answer, steps_only=fragment, choices=choices)
    created = answer
    name = str((created.get("metadata") or {}).get("name", ""))
    warnings = created.get("warnings") or []
    flash(request, f"Requested {name}." + "".join(f" Note: {w}" for w in warnings))
    return redirect(request, f"/debug-sessions/{name}")
