"""Loading catalog directories: files, documents, syntax errors, unknown fields, strict mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.base import API_VERSION
from domain.catalog.catalog import load_catalog
from tests.conftest import WriteFiles

POD = f"""
apiVersion: {API_VERSION}
kind: DebugPodTemplate
metadata:
  name: pod
spec:
  template:
    spec:
      containers:
        - name: debug
          image: busybox
"""


def lines(root: Path, result_diagnostics: list[object]) -> list[str]:
    return [str(d).removeprefix(str(root) + "/") for d in result_diagnostics]


def test_directories_are_walked_recursively_with_both_suffixes(write_files: WriteFiles) -> None:
    root = write_files(
        {
            "a.yaml": POD,
            "nested/deeper/b.yml": POD.replace("name: pod", "name: pod-b"),
            "notes.txt": "not yaml at all: [",
            ".hidden.yaml": "broken: [",
            "..data/c.yaml": "broken: [",
        }
    )
    result = load_catalog([root])
    assert result.diagnostics == []
    assert result.catalog is not None
    assert sorted(result.catalog.pod_templates) == ["pod", "pod-b"]
    assert str(result.catalog.sources["DebugPodTemplate/pod-b"]) == f"{root}/nested/deeper/b.yml:1"


def test_yaml_syntax_error_names_file_document_line_and_column(write_files: WriteFiles) -> None:
    root = write_files({"x.yaml": POD + "---\nkind: [unclosed\n"})
    result = load_catalog([root])
    assert lines(root, list(result.diagnostics)) == [
        "x.yaml:2:-: YAML syntax error at line 13, column 1: while parsing a flow sequence expected ',' or ']', "
        "but got '<stream end>'"
    ]
    assert not result.ok


def test_tab_indentation_error_is_readable(write_files: WriteFiles) -> None:
    root = write_files({"x.yaml": "kind: DebugPodTemplate\nspec:\n\tbad: 1\n"})
    (message,) = lines(root, list(load_catalog([root]).diagnostics))
    assert message.startswith("x.yaml:1:-: YAML syntax error at line 3, column 1:")
    assert "found character '\\t' that cannot start any token" in message


def test_multi_document_files_number_documents_from_one(write_files: WriteFiles) -> None:
    second = POD.replace("name: pod", "name: pod-2").replace("name: debug", "name: debug\n          imagee: x")
    root = write_files({"x.yaml": POD + "---\n---\n" + second})
    assert lines(root, list(load_catalog([root]).diagnostics)) == [
        # the empty document between the separators counts as document 2
        'x.yaml:3:spec.template.spec.containers[0].imagee: warning: unknown field "imagee" (not part of '
        'Container) (did you mean "image"?); it is ignored'
    ]


def test_unknown_fields_are_dropped_not_kept(write_files: WriteFiles) -> None:
    root = write_files({"x.yaml": POD.replace("spec:\n  template:", "spec:\n  colour: blue\n  template:")})
    result = load_catalog([root])
    assert lines(root, list(result.diagnostics)) == [
        'x.yaml:1:spec.colour: warning: unknown field "colour"; it is ignored'
    ]
    assert result.catalog is not None
    dumped = result.catalog.pod_templates["pod"].model_dump(by_alias=True)
    assert "colour" not in dumped["spec"]


def test_strict_mode_turns_spelling_warnings_into_errors(write_files: WriteFiles) -> None:
    root = write_files({"x.yaml": POD.replace("spec:\n  template:", "spec:\n  colour: blue\n  template:")})
    result = load_catalog([root], strict=True)
    assert lines(root, list(result.diagnostics)) == [
        'x.yaml:1:spec.colour: unknown field "colour"; it is ignored (strict mode)'
    ]
    assert not result.ok


def test_strict_mode_keeps_semantic_warnings_as_warnings(write_files: WriteFiles) -> None:
    tpl = f"apiVersion: {API_VERSION}\nkind: DebugSessionTemplate\nmetadata: {{name: t}}\nspec:\n  podTemplateRef: {{name: pod}}\n  deprecated: true\n"
    root = write_files({"x.yaml": POD + "---\n" + tpl})
    result = load_catalog([root], strict=True)
    assert lines(root, list(result.diagnostics)) == ["x.yaml:2:spec.deprecated: warning: This template is deprecated"]
    assert result.ok


def test_duplicate_yaml_keys_warn_and_fail_in_strict_mode(write_files: WriteFiles) -> None:
    root = write_files(
        {"x.yaml": POD.replace("kind: DebugPodTemplate", "kind: DebugPodTemplate\nkind: DebugPodTemplate")}
    )
    assert lines(root, list(load_catalog([root]).diagnostics)) == [
        'x.yaml:1:-: warning: duplicate key "kind" at line 3; the last value wins'
    ]
    assert not load_catalog([root], strict=True).ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "x.yaml:1:-: a manifest must be a mapping with apiVersion and kind, got a list"),
        (f"apiVersion: {API_VERSION}\nmetadata: {{name: x}}\n", "x.yaml:1:kind: required field is missing"),
        (
            f"apiVersion: {API_VERSION}\nkind: DebugPodTemplat\n",
            'x.yaml:1:kind: unknown kind "DebugPodTemplat" (expected one of: DebugPodTemplate, DebugSessionTemplate, DebugSessionClusterBinding, ClusterConfig)',
        ),
        (
            "apiVersion: breakglass.t-caas.telekom.com/v2\nkind: DebugPodTemplate\n",
            'x.yaml:1:apiVersion: unsupported version "breakglass.t-caas.telekom.com/v2" (expected breakglass.t-caas.telekom.com/v1alpha1)',
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\n",
            "x.yaml:1:-: warning: ConfigMap (v1) is not a catalog resource; ignored",
        ),
        (
            f"apiVersion: {API_VERSION}\nkind: DebugPodTemplate\nspec: {{}}\n",
            "x.yaml:1:metadata: required field is missing",
        ),
        (
            f"apiVersion: {API_VERSION}\nkind: DebugPodTemplate\nmetadata: {{name: p}}\nspec: []\n",
            "x.yaml:1:spec: must be a mapping, got a list",
        ),
    ],
)
def test_document_level_errors(write_files: WriteFiles, text: str, expected: str) -> None:
    root = write_files({"x.yaml": text})
    assert lines(root, list(load_catalog([root]).diagnostics)) == [expected]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    result = load_catalog([tmp_path / "nope"])
    assert [str(d) for d in result.diagnostics] == [f"{tmp_path / 'nope'}:0:-: no such file or directory"]
    assert not result.ok


def test_non_utf8_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_bytes(b"kind: \xff\xfe\n")
    (d,) = load_catalog([bad]).diagnostics
    assert str(d) == f"{bad}:0:-: not UTF-8 text: invalid start byte at byte 6"


def test_empty_directory_is_a_valid_empty_catalog(tmp_path: Path) -> None:
    result = load_catalog([tmp_path])
    assert result.ok
    assert result.catalog is not None
    assert result.catalog.summary() == "0 pod templates, 0 session templates, 0 bindings, 0 clusters"


def test_cluster_kubeconfig_relative_path_resolves_against_the_manifest(write_files: WriteFiles) -> None:
    cluster = f"apiVersion: {API_VERSION}\nkind: ClusterConfig\nmetadata:\n  name: c1\n  labels: {{environment: dev}}\nspec:\n  kubeconfig: {{path: ../secrets/c1.kubeconfig, context: kind-c1}}\n  tenant: t1\n"
    root = write_files({"clusters/c1.yaml": cluster})
    result = load_catalog([root])
    assert result.diagnostics == []
    assert result.catalog is not None
    c1 = result.catalog.clusters["c1"]
    assert c1.spec.kubeconfig.path == str(root / "secrets" / "c1.kubeconfig")
    assert c1.spec.kubeconfig.context == "kind-c1"
    assert c1.metadata.labels == {"environment": "dev"}


def test_any_error_rejects_the_whole_catalog(write_files: WriteFiles) -> None:
    root = write_files({"good.yaml": POD, "bad.yaml": POD.replace("name: pod", "name: Bad")})
    result = load_catalog([root])
    assert result.catalog is None
    assert len(result.errors) == 1
