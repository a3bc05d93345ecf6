"""`dsctl preview`: resolve and render as the API and worker would, print YAML, touch no cluster."""

from __future__ import annotations

import subprocess

import yaml

from tests.cli.test_dsctl_validate import DSCTL, spec_catalog
from tests.conftest import REPO, WriteFiles
from tests.domain.test_examples import QUOTA_WARNING

CATALOG = str(REPO / "deploy" / "demo-catalog")


def run(*args: str, catalog: str = CATALOG) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DSCTL, "preview", "--catalog", catalog, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_preview_prints_the_objects_in_creation_order() -> None:
    proc = run(
        "--template",
        "dynamic-debug",
        "--cluster",
        "dev",
        "--user",
        "bob",
        "--groups",
        "sre-team",
        "--set",
        "image=busybox:latest",
        "--set",
        "hostNetwork=true",
    )
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    assert [d["kind"] for d in docs] == ["Deployment"]
    pod = docs[0]["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    assert pod["containers"][0]["image"] == "busybox:latest"
    assert pod["containers"][0]["env"][2] == {"name": "REQUESTED_BY", "value": "bob"}
    assert docs[0]["metadata"]["labels"]["breakglass.telekom.com/debug-cluster"] == "dev-1"  # tenant alias resolved
    assert "# step: workload, source: debug-pod" in proc.stdout
    assert proc.stderr == "warning: Target namespace defaulted to 'breakglass-debug'\n"


def test_kubectl_debug_template_deploys_nothing() -> None:
    proc = run("--template", "ephemeral-debug", "--cluster", "dev-1", "--groups", "developers")
    assert proc.returncode == 0, proc.stderr
    assert "# nothing is deployed in this mode (kubectl-debug operations only)" in proc.stdout


def test_refusal_is_the_admission_error() -> None:
    proc = run("--template", "network-debug", "--cluster", "prod-eu", "--groups", "nobody")
    assert proc.returncode == 1
    assert proc.stderr == "refused: 403 user is not allowed to request this debug session\n"
    assert proc.stdout == ""


def test_extra_value_errors_are_listed() -> None:
    proc = run("--template", "dynamic-debug", "--cluster", "dev-1", "--groups", "sre-team", "--set", "image=nope")
    assert proc.returncode == 1
    assert proc.stderr == (
        'refused: 400 extraDeployValues validation failed (extraDeployValues[image]: Unsupported value: "nope": '
        'supported values: "alpine:latest", "busybox:latest", "nicolaka/netshoot:latest")\n'
    )


def test_bad_set_is_a_usage_error() -> None:
    proc = run("--template", "dynamic-debug", "--cluster", "dev-1", "--set", "novalue")
    assert proc.returncode == 2
    assert proc.stderr == "error: --set needs KEY=VALUE, got 'novalue'\n"


PRODUCTION_EU = """
apiVersion: breakglass.t-caas.telekom.com/v1alpha1
kind: ClusterConfig
metadata:
  name: production-eu
spec:
  kubeconfig:
    path: production-eu.kubeconfig
"""


def test_catalog_warnings_about_the_template_come_first(write_files: WriteFiles) -> None:
    """Only the warnings of the template, its pod template and its bindings: not those of other templates."""
    files = spec_catalog()
    pod = "04-debugpodtemplate-structured.yaml"
    files[pod] = files[pod].replace("  name: standard-debug-pod\n", "  name: standard-debug-pod\n  colour: red\n")
    root = write_files({**files, "production-eu.yaml": PRODUCTION_EU})
    proc = run("--template", "standard-debug", "--cluster", "production-eu", "--groups", "sre-team", catalog=str(root))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f'{root}/04-debugpodtemplate-structured.yaml:1:metadata.colour: warning: unknown field "colour"; it is ignored',
        f'{root}/09-debugsessiontemplate-standard.yaml:1:spec.podDisruptionBudget.method: warning: unknown field "method"; it is ignored',
        f"{root}/09-debugsessiontemplate-standard.yaml:1:spec.resourceQuota: {QUOTA_WARNING}",
        "the session would fail: container debug is missing request for ephemeral-storage",
    ]
    # network-debug (44) is bound by 31, which names a cluster that does not exist
    proc = run("--template", "network-debug", "--cluster", "production-eu", "--groups", "sre-team", catalog=str(root))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        f'{root}/31-binding-basic.yaml:1:spec.clusters[1]: warning: ClusterConfig "production-us" does not exist',
        f'{root}/44-sample-network-debug.yaml:2:spec.terminalSharing.method: warning: "method" is a deprecated spelling of "provider"; read as provider',
        "warning: Target namespace defaulted to 'breakglass-debug'",
    ]
