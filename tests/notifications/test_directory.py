"""The group directory: loading (every error names the file and the entry), expansion, start-up warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.catalog.catalog import load_catalog
from notifications.directory import DirectoryError, GroupDirectory, unexpanded_approver_groups
from tests.conftest import REPO, WriteFiles


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "groups.yaml"
    path.write_text(text)
    return path


def test_load_and_expand(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sre-leads: [lead@example.com, ' sre-leads@example.com ']\n"
        "security-leads:\n  - LEAD@example.com\n  - sec@example.com\n"
        "db-admins: [dba@example.com]\n"
        "empty: []\n",
    )
    directory = GroupDirectory.load(path)
    assert directory.path == path
    assert directory.groups["sre-leads"] == ("lead@example.com", "sre-leads@example.com")
    assert directory.expand(["sre-leads", "security-leads", "ghosts", "empty"]) == (
        ("lead@example.com", "sre-leads@example.com", "sec@example.com"),
        ("ghosts",),
    )
    # a glob approver group (approver matching treats it as one) reaches every listed group it matches
    assert directory.expand(["*-admins", "nothing-*"]) == (("dba@example.com",), ("nothing-*",))


def test_an_empty_file_is_an_empty_directory(tmp_path: Path) -> None:
    assert GroupDirectory.load(write(tmp_path, "# nobody yet\n")).expand(["x"]) == ((), ("x",))


def test_the_demo_directory_loads() -> None:
    directory = GroupDirectory.load(REPO / "deploy" / "demo-group-directory.yaml")
    assert directory.expand(["security-leads"])[0] == ("lena@example.com",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: [x@example.com\n", "not valid YAML"),
        ("- a@example.com\n", "must be a mapping of group to a list of addresses, got list"),
        ("sre-leads: lead@example.com\n", 'group "sre-leads" must be a list of addresses (strings)'),
        ("sre-leads: [lead@example.com, 42]\n", 'group "sre-leads" must be a list of addresses (strings)'),
        ("sre-leads: [lead@example.com, lena]\n", 'group "sre-leads": entry "lena" is not an e-mail address'),
        ("1: [a@example.com]\n", "group name 1 is not a non-empty string"),
    ],
)
def test_load_errors_name_the_file_and_the_entry(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DirectoryError) as caught:
        GroupDirectory.load(path)
    assert str(caught.value).startswith(f"group directory {path}: {problem}")


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(DirectoryError, match=f"^group directory {missing}: cannot be read: "):
        GroupDirectory.load(missing)


CATALOG = {
    "templates.yaml": """
        apiVersion: breakglass.t-caas.telekom.com/v1alpha1
        kind: DebugSessionTemplate
        metadata:
          name: standard-debug
        spec:
          mode: kubectl-debug
          kubectlDebug:
            ephemeralContainers:
              enabled: true
          approvers:
            groups: [sre-leads, security-leads]
        ---
        apiVersion: breakglass.t-caas.telekom.com/v1alpha1
        kind: DebugSessionTemplate
        metadata:
          name: open-debug
        spec:
          mode: kubectl-debug
          kubectlDebug:
            ephemeralContainers:
              enabled: true
        """,
    "bindings.yaml": """
        apiVersion: breakglass.t-caas.telekom.com/v1alpha1
        kind: DebugSessionClusterBinding
        metadata:
          name: prod
          namespace: breakglass
        spec:
          templateRef:
            name: standard-debug
          clusters: ["*"]
          approvers:
            groups: [sre-leads, "db-*"]
        """,
}


def test_unexpanded_approver_groups_one_line_per_group(write_files: WriteFiles) -> None:
    catalog = load_catalog([write_files(CATALOG)]).catalog
    assert catalog is not None
    directory = GroupDirectory(groups={"security-leads": ("sec@example.com",)}, path=Path("/etc/ds/groups.yaml"))
    assert unexpanded_approver_groups(catalog, directory) == [
        'approver group "db-*" (binding "breakglass/prod") is not in the group directory /etc/ds/groups.yaml: '
        "its members get no e-mail",
        'approver group "sre-leads" (template "standard-debug", binding "breakglass/prod") is not in the group '
        "directory /etc/ds/groups.yaml: its members get no e-mail",
    ]
    everyone = GroupDirectory(
        groups={"sre-leads": ("a@x.example",), "security-leads": ("b@x.example",), "db-1": ("c@x.example",)}
    )
    assert unexpanded_approver_groups(catalog, everyone) == []
    assert len(unexpanded_approver_groups(catalog, GroupDirectory())) == 3


def test_the_demo_catalog_and_directory_agree() -> None:
    catalog = load_catalog([REPO / "deploy" / "demo-catalog"]).catalog
    assert catalog is not None
    directory = GroupDirectory.load(REPO / "deploy" / "demo-group-directory.yaml")
    assert unexpanded_approver_groups(catalog, directory) == []
