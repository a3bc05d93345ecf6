"""`dsctl validate`: the real console script, run as an admin would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, WriteFiles
from tests.domain.test_examples import MANIFESTS, NO_API_VERSION, NOT_CATALOG, QUOTA_WARNING
from tests.domain.test_loader import POD

DSCTL = shutil.which("dsctl", path=str(Path(sys.executable).parent)) or "dsctl"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DSCTL, *args], capture_output=True, text=True, timeout=60, check=False)


def test_broken_file_prints_precise_error_and_exits_1(write_files: WriteFiles) -> None:
    root = write_files({"ok.yaml": POD, "broken.yaml": POD.replace("image: busybox", "image: busybox\n    bogus")})
    proc = run("validate", str(root))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{root}/broken.yaml:1:-: YAML syntax error at line 12, column 1: while scanning a simple key "
        "could not find expected ':'"
    ]
    assert proc.stderr.strip() == "invalid: 1 error(s), 0 warning(s)"


def test_field_errors_and_warnings_one_per_line(write_files: WriteFiles) -> None:
    bad = POD.replace("name: pod", "name: pod\n  labels: {a: b}\n  colour: red").replace(
        "- name: debug", "- imagePullPolicy: Always"
    )
    root = write_files({"x.yaml": bad})
    proc = run("validate", str(root / "x.yaml"))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{root}/x.yaml:1:spec.template.spec.containers[0].name: required field is missing",
        f'{root}/x.yaml:1:metadata.colour: warning: unknown field "colour"; it is ignored',
    ]


def test_demo_catalog_is_valid() -> None:
    proc = run("validate", str(REPO / "deploy" / "demo-catalog"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.startswith("valid: ")


def spec_catalog() -> dict[str, str]:
    """The spec's whole manifests that load as they are, by file name (as tests/domain/test_examples.py loads them)."""
    return {p.name: p.read_text() for p in MANIFESTS if p.name not in NO_API_VERSION | NOT_CATALOG}


def test_spec_examples_warn_that_standard_debug_cannot_deploy(write_files: WriteFiles) -> None:
    root = write_files(spec_catalog())
    proc = run("validate", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        f"{root}/09-debugsessiontemplate-standard.yaml:1:spec.resourceQuota: {QUOTA_WARNING}"
        in proc.stdout.splitlines()
    )


def test_strict_flag_makes_unknown_fields_fatal(write_files: WriteFiles) -> None:
    root = write_files({"x.yaml": POD.replace("name: pod", "name: pod\n  colour: red")})
    assert run("validate", str(root)).returncode == 0
    proc = run("validate", "--strict", str(root))
    assert proc.returncode == 1
    assert (
        proc.stdout.strip() == f'{root}/x.yaml:1:metadata.colour: unknown field "colour"; it is ignored (strict mode)'
    )


def test_quiet_hides_warnings(write_files: WriteFiles) -> None:
    root = write_files({"x.yaml": POD.replace("name: pod", "name: pod\n  colour: red")})
    proc = run("validate", "-q", str(root))
    assert (proc.returncode, proc.stdout) == (0, "")


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("validate").returncode == 2
    proc = run("frobnicate")
    assert proc.returncode == 2
    assert "invalid choice: 'frobnicate'" in proc.stderr


def test_missing_path_exits_1(tmp_path: Path) -> None:
    proc = run("validate", str(tmp_path / "absent"))
    assert proc.returncode == 1
    assert proc.stdout.strip() == f"{tmp_path / 'absent'}:0:-: no such file or directory"


SESSION_EXAMPLE = REPO / "tests" / "spec-examples" / "19-debugsession.yaml"


def test_a_debugsession_manifest_is_checked_as_a_request(write_files: WriteFiles) -> None:
    """A session manifest alone: its fields and durations (no catalog to check its references against)."""
    proc = run("validate", str(SESSION_EXAMPLE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.strip().endswith("1 session request(s); 0 warning(s)")
    bad = SESSION_EXAMPLE.read_text().replace('requestedDuration: "2h"', 'requestedDuration: "2 hours"')
    root = write_files({"session.yaml": bad.replace("reason:", "colour: red\n  reason:")})
    proc = run("validate", str(root / "session.yaml"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith(f"{root}/session.yaml:1:spec.requestedDuration: invalid duration") for line in lines)
    assert any(line.startswith(f"{root}/session.yaml:1:spec.colour: warning: unknown field") for line in lines), lines


def test_a_debugsession_manifest_against_a_catalog(write_files: WriteFiles) -> None:
    """With --catalog, the template, the cluster and the binding it names must exist there."""
    proc = run("validate", "--catalog", str(REPO / "deploy" / "demo-catalog"), str(SESSION_EXAMPLE))
    assert proc.returncode == 1
    assert sorted(proc.stdout.splitlines()) == [
        f'{SESSION_EXAMPLE}:1:spec.cluster: no ClusterConfig (or tenant alias) "prod-cluster-1" in the catalog',
        f'{SESSION_EXAMPLE}:1:spec.templateRef: no DebugSessionTemplate "standard-debug" in the catalog',
    ]
    fits = SESSION_EXAMPLE.read_text().replace("prod-cluster-1", "prod-eu").replace("standard-debug", "network-debug")
    root = write_files({"session.yaml": fits})
    proc = run("validate", "--catalog", str(REPO / "deploy" / "demo-catalog"), str(root / "session.yaml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEBUG_SESSION_")}
    return subprocess.run([DSCTL, *args], capture_output=True, text=True, timeout=60, check=False, env={**clean, **env})


def test_settings_report_approver_groups_the_directory_does_not_list(tmp_path: Path) -> None:
    directory = tmp_path / "groups.yaml"
    directory.write_text("security-leads: [lena@example.com]\n")
    env = {"DEBUG_SESSION_GROUP_DIRECTORY": str(directory), "DEBUG_SESSION_SMTP_HOST": "mail.example.com"}
    proc = run_with(env, "validate", str(REPO / "deploy" / "demo-catalog"), "--settings")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("settings: warning:")]
    assert len(warnings) == 1, proc.stderr
    assert '"sre-leads"' in warnings[0]
    assert str(directory) in warnings[0]
    assert proc.stderr.rstrip().endswith("settings: valid; 1 warning(s)")


def test_settings_refuse_a_broken_directory_and_a_bad_tls_mode(tmp_path: Path) -> None:
    directory = tmp_path / "groups.yaml"
    directory.write_text("security-leads: lena@example.com\n")
    proc = run_with(
        {"DEBUG_SESSION_GROUP_DIRECTORY": str(directory)},
        "validate",
        str(REPO / "deploy" / "demo-catalog"),
        "--settings",
    )
    assert proc.returncode == 1
    assert f"settings: group directory {directory}" in proc.stderr
    assert "security-leads" in proc.stderr
    proc = run_with({"DEBUG_SESSION_SMTP_TLS": "ssl"}, "validate", str(REPO / "deploy" / "demo-catalog"), "--settings")
    assert proc.returncode == 1
    assert "settings: DEBUG_SESSION_SMTP_TLS: Input should be 'none', 'starttls' or 'tls'" in proc.stderr, proc.stderr
    # without a mail server the settings are valid, and say that no e-mail is sent
    proc = run_with({}, "validate", str(REPO / "deploy" / "demo-catalog"), "--settings")
    assert proc.returncode == 0
    assert "settings: warning: DEBUG_SESSION_SMTP_HOST is not set: no e-mail is sent" in proc.stderr
