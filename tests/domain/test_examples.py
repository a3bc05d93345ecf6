"""Every YAML example of the spec loads and validates (acceptance data).

Whole manifests go through the loader together (they refer to each other); fragments are laid into a
minimal parent of the kind their header names. The few examples that are invalid as written are
asserted with their exact error, and shown to validate once the defect is fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from domain.base import API_VERSION
from domain.catalog.catalog import load_catalog
from domain.catalog.parse import parse_resource
from domain.catalog.rules import session_rules
from domain.session import DebugSession
from tests.conftest import EXAMPLE_COPY, EXAMPLES, SHARED_EXAMPLES, WriteFiles
from tests.domain.examples_support import dump_all, shape_of, support_documents, wrap_fragment

ALL = sorted(EXAMPLES.glob("*.yaml"))
MANIFESTS = [p for p in ALL if shape_of(p).startswith("manifest")]
FRAGMENTS = [p for p in ALL if shape_of(p).startswith("fragment")]
NO_API_VERSION = {"12-podtemplate-coredump-collector.yaml", "14-podtemplate-storage-tester.yaml"}
NOT_CATALOG = {"19-debugsession.yaml"}  # a DebugSession is not an admin resource; checked on its own below

QUOTA_WARNING = (
    "warning: resourceQuota requires requests.ephemeral-storage and limits.ephemeral-storage on every container; "
    'pod template "standard-debug-pod" container "debug" has none: every session of template "standard-debug" '
    "will fail to deploy"
)
_LIST_ALIAS = "warning: a plain list of patterns is a deprecated form of {key}: {{patterns: [...]}}; read as patterns"
EXPECTED_MANIFEST_FINDINGS = {
    "09-debugsessiontemplate-standard.yaml": [
        # The seed puts terminal-sharing's `method` inside podDisruptionBudget by mistake.
        '1:spec.podDisruptionBudget.method: warning: unknown field "method"; it is ignored',
        # Its resourceQuota caps storage, so the renderer wants ephemeral-storage on the containers of 04.
        "1:spec.resourceQuota: " + QUOTA_WARNING,
    ],
    "26-impersonator-clusterrole.yaml": [
        "1:-: warning: ClusterRole (rbac.authorization.k8s.io/v1) is not a catalog resource; ignored",
    ],
    "30-binding-required-aux-categories.yaml": [
        '1:spec.clusters[0]: warning: ClusterConfig "production-eu" does not exist'
    ],
    "31-binding-basic.yaml": [
        '1:spec.clusters[0]: warning: ClusterConfig "production-eu" does not exist',
        '1:spec.clusters[1]: warning: ClusterConfig "production-us" does not exist',
    ],
    "44-sample-network-debug.yaml": [
        '2:spec.terminalSharing.method: warning: "method" is a deprecated spelling of "provider"; read as provider',
    ],
    "45-sample-ephemeral-debug.yaml": [
        "1:spec.kubectlDebug.ephemeralContainers.allowedNamespaces: " + _LIST_ALIAS.format(key="allowedNamespaces"),
        "1:spec.kubectlDebug.ephemeralContainers.deniedNamespaces: " + _LIST_ALIAS.format(key="deniedNamespaces"),
    ],
    "46-sample-hybrid-debug.yaml": [
        "2:spec.kubectlDebug.ephemeralContainers.allowedNamespaces: " + _LIST_ALIAS.format(key="allowedNamespaces"),
        "2:spec.kubectlDebug.ephemeralContainers.deniedNamespaces: " + _LIST_ALIAS.format(key="deniedNamespaces"),
    ],
}


def _findings_by_file(root: Path, diagnostics: list[object]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in diagnostics:
        rel, _, rest = str(d).removeprefix(str(root) + "/").partition(":")
        out.setdefault(rel, []).append(rest)
    return out


def test_whole_manifests_load_together_as_one_catalog(write_files: WriteFiles) -> None:
    root = write_files({p.name: p.read_text() for p in MANIFESTS if p.name not in NO_API_VERSION | NOT_CATALOG})
    result = load_catalog([root])
    assert result.errors == []
    assert _findings_by_file(root, list(result.diagnostics)) == EXPECTED_MANIFEST_FINDINGS
    assert result.catalog is not None
    assert sorted(result.catalog.session_templates) == [
        "ephemeral-debug", "hybrid-debug", "minimal-debug", "network-debug", "standard-debug",
    ]  # fmt: skip
    # the seed aliases mean what their authors intended
    network = result.catalog.session_templates["network-debug"].spec
    assert network.terminal_sharing is not None
    assert network.terminal_sharing.provider == "tmux"
    ephemeral = result.catalog.session_templates["ephemeral-debug"].spec.kubectl_debug
    assert ephemeral is not None
    assert ephemeral.ephemeral_containers is not None
    assert ephemeral.ephemeral_containers.allowed_namespaces is not None
    assert ephemeral.ephemeral_containers.allowed_namespaces.patterns == ["app-*", "services-*"]
    assert result.catalog.bindings["breakglass/sre-production-access"].spec.clusters == [
        "production-eu",
        "production-us",
    ]
    assert "default/team-production" in result.catalog.bindings  # no metadata.namespace: `default`


@pytest.mark.parametrize("name", sorted(NO_API_VERSION))
def test_manifests_without_api_version_are_rejected_then_valid_once_fixed(write_files: WriteFiles, name: str) -> None:
    text = (EXAMPLES / name).read_text()
    root = write_files({name: text})
    result = load_catalog([root])
    assert [str(d) for d in result.diagnostics] == [
        f"{root / name}:1:apiVersion: required field is missing (expected {API_VERSION})"
    ]
    assert not result.ok
    fixed = write_files({name: f"apiVersion: {API_VERSION}\n{text}"})
    result = load_catalog([fixed])
    assert result.diagnostics == []
    assert result.ok


def test_debugsession_example_is_a_valid_debugsession() -> None:
    data = yaml.safe_load((EXAMPLES / "19-debugsession.yaml").read_text())
    obj, findings = parse_resource(data, kinds=("DebugSession",))
    assert findings == []
    assert isinstance(obj, DebugSession)
    assert session_rules(obj) == []
    assert obj.status is not None
    assert obj.status.state == "Active"
    assert obj.status.allowed_pods[0].name == "debug-session-abc123-ds-xyz"
    assert obj.spec.requested_duration == "2h"


EXPECTED_FRAGMENT_FINDINGS: dict[str, list[str]] = {
    "22-namespace-constraints.yaml": [
        "spec.namespaceConstraints.namespaceLabels: warning: namespaceLabels only apply when createIfNotExists is true"
    ],
    # `template: ...` is the page's placeholder: YAML reads it as the string "...", not an object.
    "29-auxiliary-failure-policy.yaml": [
        "spec.auxiliaryResources[0].template: must be a Kubernetes object (a mapping with apiVersion and kind), "
        "got a string; use templateString for template text"
    ],
    "32-binding-constraint-overrides.yaml": [
        'spec.namespaceConstraints.allowedPatterns: warning: "allowedPatterns" is a deprecated spelling of '
        '"allowedNamespaces.patterns"; read as allowedNamespaces.patterns',
        'spec.namespaceConstraints.deniedPatterns: warning: "deniedPatterns" is a deprecated spelling of '
        '"deniedNamespaces.patterns"; read as deniedNamespaces.patterns',
    ],
    "33-binding-approval-overrides.yaml": [
        'spec.autoApprove: warning: autoApprove is deprecated; "autoApprove: false" is read as spec.approvers '
        "without autoApproveFor (this binding's approvers must approve)"
    ],
    "34-kubectldebug-ephemeral-containers.yaml": [
        "spec.kubectlDebug.ephemeralContainers.allowedNamespaces: " + _LIST_ALIAS.format(key="allowedNamespaces"),
        "spec.kubectlDebug.ephemeralContainers.deniedNamespaces: " + _LIST_ALIAS.format(key="deniedNamespaces"),
    ],
}


@pytest.mark.parametrize("path", FRAGMENTS, ids=[p.name for p in FRAGMENTS])
def test_fragment_validates_inside_a_minimal_parent(write_files: WriteFiles, tmp_path: Path, path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    doc = wrap_fragment(shape_of(path), yaml.safe_load(path.read_text()), "example")
    root = write_files({"support.yaml": dump_all(support_documents(kubeconfig)), path.name: dump_all([doc])})
    result = load_catalog([root])
    prefix = f"{root / path.name}:1:"
    got = [str(d).removeprefix(prefix) for d in result.diagnostics]
    assert got == EXPECTED_FRAGMENT_FINDINGS.get(path.name, [])
    assert result.ok is (path.name != "29-auxiliary-failure-policy.yaml")


def test_fragment_29_validates_with_a_real_object(write_files: WriteFiles) -> None:
    fragment = yaml.safe_load((EXAMPLES / "29-auxiliary-failure-policy.yaml").read_text())
    fragment["auxiliaryResources"][0]["template"] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "m"},
    }
    doc = wrap_fragment("fragment of DebugSessionTemplate.spec", fragment, "example")
    obj, findings = parse_resource(doc)
    assert findings == []
    assert obj is not None


def test_every_example_file_is_covered() -> None:
    assert len(ALL) == 46
    assert len(MANIFESTS) + len(FRAGMENTS) == len(ALL)


def test_the_repository_copy_of_the_examples_matches_the_spec() -> None:
    """tests/spec-examples stands in for ../shared/spec/examples in a clone without it: it must not drift."""
    if not SHARED_EXAMPLES.is_dir():
        pytest.skip("../shared is not beside this clone: nothing to compare the copy with")
    shared = {p.relative_to(SHARED_EXAMPLES): p.read_bytes() for p in SHARED_EXAMPLES.rglob("*") if p.is_file()}
    copy = {p.relative_to(EXAMPLE_COPY): p.read_bytes() for p in EXAMPLE_COPY.rglob("*") if p.is_file()}
    assert copy == shared, "tests/spec-examples differs from ../shared/spec/examples: copy it again"
