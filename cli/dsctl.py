"""dsctl: the Debug Sessions command line: `session`, `template`, `pod-template`, `kubectl` (against the API),
`validate`, `preview` (both offline) and `dev` (the local stack)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import yaml

from cli import completion, remote
from domain.catalog.catalog import LoadResult, Source, load_catalog, template_diagnostics
from domain.catalog.requests import request_findings
from domain.diagnostics import Diagnostic
from domain.identity import Identity
from domain.resolution.errors import AdmissionError
from domain.resolution.request import CreateSessionRequest
from domain.resolution.resolve import resolve_session
from domain.session import DebugSession
from rendering.errors import RenderingError
from rendering.plan import build_plan

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dsctl", description="Debug Sessions command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = sub.add_parser(
        "validate",
        help="validate catalog manifests offline",
        description=(
            "Validate DebugPodTemplate, DebugSessionTemplate, DebugSessionClusterBinding and ClusterConfig "
            "manifests (files, or directories searched recursively for *.yaml/*.yml) with the same rules as "
            "the running service; DebugSession manifests are checked as requests (fields, durations and, with "
            "--catalog, that their template, cluster and binding exist). Prints one finding per line as "
            "file:doc:path: message (doc is the 1-based document number in the file). "
            "Exit status: 0 valid, 1 invalid, 2 usage error."
        ),
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.add_argument(
        "--strict",
        action="store_true",
        help="treat unknown fields, deprecated spellings and duplicate keys as errors",
    )
    validate.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings")
    validate.add_argument(
        "--catalog",
        type=Path,
        metavar="DIR",
        help="check DebugSession documents' template, cluster and binding against this catalog",
    )
    validate.add_argument(
        "--settings",
        action="store_true",
        help=(
            "also check the notification settings of this environment (DEBUG_SESSION_SMTP_*, "
            "DEBUG_SESSION_GROUP_DIRECTORY, ...): the group directory loads and lists every approver group "
            "of the catalog (a warning per group whose members would get no e-mail)"
        ),
    )
    preview = sub.add_parser(
        "preview",
        help="print every object a session would create, without touching any cluster",
        description=(
            "Resolve a session request against a catalog exactly as the API would (same admission errors) and "
            "print, as multi-document YAML in creation order, every object the session would create. "
            "The catalog's warnings about the template, its pod template and its bindings go to stderr first, "
            "one per line as dsctl validate prints them. "
            "Exit status: 0 printed, 1 refused or failed to render, 2 usage error."
        ),
    )
    preview.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="catalog directory or file")
    preview.add_argument("--template", required=True, metavar="NAME", help="DebugSessionTemplate name")
    preview.add_argument("--cluster", required=True, metavar="NAME", help="ClusterConfig name or tenant alias")
    preview.add_argument("--user", default=os.environ.get("USER") or "preview-user", help="requesting user")
    preview.add_argument("--email", default="", help="requesting user's e-mail")
    preview.add_argument("--groups", default="", metavar="A,B", help="comma-separated groups of the user")
    preview.add_argument("--namespace", default="", metavar="NS", help="target namespace")
    preview.add_argument("--option", default="", metavar="NAME", help="scheduling option")
    preview.add_argument(
        "--binding", default="", metavar="NS/NAME", help="binding to use (default: the first covering one)"
    )
    preview.add_argument("--duration", default="", metavar="D", help="requested duration, e.g. 2h")
    preview.add_argument("--reason", default="", help="request reason")
    preview.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="an extraDeployValues entry (repeatable)"
    )
    remote.add_commands(sub)
    completion_cmd = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print the completion script for bash, zsh or fish (session and template names are "
        "completed from the API).",
        epilog="example: source <(dsctl completion bash)",
    )
    completion_cmd.add_argument("shell", choices=("bash", "zsh", "fish"))
    dev = sub.add_parser(
        "dev",
        help="run the whole stack locally (Temporal dev server, worker, API, optional simulated clusters)",
        description="Start the development stack in the foreground; Ctrl-C stops everything it started.",
    )
    dev.add_argument("--catalog", type=Path, default=Path("deploy/demo-catalog"), metavar="DIR")
    dev.add_argument("--tokens", type=Path, default=Path("deploy/demo-tokens.yaml"), metavar="FILE")
    dev.add_argument(
        "--group-directory",
        type=Path,
        default=Path("deploy/demo-group-directory.yaml"),
        metavar="FILE",
        help="approver groups -> e-mail addresses (DEBUG_SESSION_GROUP_DIRECTORY, when that is not set)",
    )
    dev.add_argument("--api-port", type=int, default=8080)
    dev.add_argument("--temporal-port", type=int, default=7233)
    dev.add_argument("--ui-port", type=int, default=8233)
    dev.add_argument("--state-dir", type=Path, default=Path(".run"), metavar="DIR")
    dev.add_argument(
        "--simulate",
        action="store_true",
        help="start a kubesim for every cluster whose kubeconfig lies in the state dir or does not exist yet",
    )
    return parser


def print_diagnostics(diagnostics: Iterable[Diagnostic], quiet: bool = False, file: TextIO | None = None) -> None:
    """One finding per line (`file:doc:path: [warning: ]message`), by file and document, errors first."""
    for d in sorted(diagnostics, key=lambda d: (d.file, d.doc, not d.is_error, d.path)):
        if quiet and not d.is_error:
            continue
        print(d, file=file or sys.stdout)


def validate(paths: Sequence[Path], strict: bool, quiet: bool, catalog_dir: Path | None = None) -> int:
    """Run the catalog validation (and check DebugSession documents as requests) and print findings;
    return the exit status."""
    requests: list[tuple[DebugSession, Source]] = []
    result = load_catalog(paths, strict=strict, requests=requests)
    refs = result.catalog if catalog_dir is None else load_catalog([catalog_dir]).catalog
    if catalog_dir is not None and refs is None:
        print(f"invalid catalog {catalog_dir}: run dsctl validate {catalog_dir}", file=sys.stderr)
        return EXIT_INVALID
    if refs is not None and not refs.session_templates and catalog_dir is None:
        refs = None  # only session manifests given: nothing to check their references against
    diagnostics = list(result.diagnostics)
    for session, src in requests:
        diagnostics += [f.located(src.file, src.doc) for f in request_findings(session, refs)]
    result = LoadResult(result.catalog if not any(d.is_error for d in diagnostics) else None, diagnostics)
    print_diagnostics(result.diagnostics, quiet)
    errors, warnings = len(result.errors), len(result.warnings)
    if result.catalog is not None:
        sessions = f", {len(requests)} session request(s)" if requests else ""
        print(f"valid: {result.catalog.summary()}{sessions}; {warnings} warning(s)", file=sys.stderr)
        return EXIT_VALID
    print(f"invalid: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_INVALID


def check_settings(paths: Sequence[Path], quiet: bool) -> int:
    """`validate --settings`: the notification settings from the environment, against the catalog."""
    from pydantic import ValidationError

    from notifications.directory import DirectoryError, GroupDirectory, unexpanded_approver_groups
    from notifications.settings import NotificationSettings

    try:
        settings = NotificationSettings()
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            print(f"settings: DEBUG_SESSION_{field.upper()}: {error['msg']}", file=sys.stderr)
        return EXIT_INVALID
    try:
        directory = GroupDirectory.load(settings.group_directory) if settings.group_directory else GroupDirectory()
    except DirectoryError as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return EXIT_INVALID
    warnings: list[str] = []
    if not settings.smtp_host:
        warnings.append("DEBUG_SESSION_SMTP_HOST is not set: no e-mail is sent")
    catalog = load_catalog(paths).catalog
    if catalog is not None:
        warnings += unexpanded_approver_groups(catalog, directory)
    if not quiet:
        for warning in warnings:
            print(f"settings: warning: {warning}", file=sys.stderr)
    print(f"settings: valid; {len(warnings)} warning(s)", file=sys.stderr)
    return EXIT_VALID


def _values(pairs: list[str]) -> dict[str, Any]:
    """`key=value` pairs; a value in brackets is a YAML list (`tools=[a,b]`), anything else a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set needs KEY=VALUE, got {pair!r}")
        out[key] = yaml.safe_load(value) if value.startswith("[") else value
    return out


def preview(args: argparse.Namespace) -> int:
    """Resolve and render one request; print the objects as YAML."""
    result = load_catalog([args.catalog])
    if result.catalog is None:
        print_diagnostics(result.errors, file=sys.stderr)
        print(f"invalid catalog: {len(result.errors)} error(s); run dsctl validate {args.catalog}", file=sys.stderr)
        return EXIT_INVALID
    # The catalog's warnings about what this session is made of, printed first so they show on refusal too.
    print_diagnostics(template_diagnostics(result.catalog, result.warnings, args.template.strip()), file=sys.stderr)
    who = Identity(
        username=args.user, email=args.email, groups=tuple(g.strip() for g in args.groups.split(",") if g.strip())
    )
    try:
        request = CreateSessionRequest(
            template_ref=args.template,
            cluster=args.cluster,
            binding_ref=args.binding,
            requested_duration=args.duration,
            target_namespace=args.namespace,
            reason=args.reason,
            selected_scheduling_option=args.option,
            extra_deploy_values=_values(args.set),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    now = datetime.now(UTC)
    try:
        resolution = resolve_session(result.catalog, who, request, now)
        plan = build_plan(resolution.session, now)
    except AdmissionError as exc:
        print(f"refused: {exc.status} {exc.message}" + (f" ({exc.details})" if exc.details else ""), file=sys.stderr)
        return EXIT_INVALID
    except RenderingError as exc:
        print(f"the session would fail: {exc}", file=sys.stderr)
        return EXIT_INVALID
    for warning in resolution.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    s = resolution.session
    print(f"# session {s.name} on {s.cluster.name}, namespace {plan.namespace}, mode {s.mode}")
    if not plan.objects:
        print("# nothing is deployed in this mode (kubectl-debug operations only)")
    for obj in plan.objects:
        print(f"---\n# step: {obj.step}, source: {obj.source}")
        print(yaml.safe_dump(obj.manifest, sort_keys=False).rstrip())
    return EXIT_VALID


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dsctl` console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    # `dsctl session exec NAME -- CMD ARGS...`: what follows `--` is the command, never dsctl's options
    after_dashes = words[words.index("--") + 1 :] if "--" in words else []
    args = _parser().parse_args(words[: words.index("--")] if "--" in words else words)
    args.after_dashes = after_dashes
    if hasattr(args, "run"):
        return remote.run(args)
    if args.command == "completion":
        print(completion.script(args.shell, _parser()), end="")
        return EXIT_VALID
    if args.command == "validate":
        status = validate(args.paths, args.strict, args.quiet, args.catalog)
        if args.settings:
            status = max(status, check_settings(args.paths, args.quiet))
        return status
    if args.command == "preview":
        return preview(args)
    if args.command == "dev":
        from cli import dev

        return dev.run(
            args.catalog.resolve(),
            args.tokens.resolve(),
            args.group_directory.resolve(),
            args.state_dir.resolve(),
            args.api_port,
            args.temporal_port,
            args.ui_port,
            args.simulate,
        )
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
