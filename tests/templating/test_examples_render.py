"""Every templateString of the spec examples renders to exactly what Go's text/template would print.

The fixed context: session "debug-alice-1709622489" in "breakglass-system" on cluster "prod-eu-1", requested
by alice@example.com, target namespace "debug-ns"; no vars unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from templating.context import RenderInputs, build_context
from templating.engine import render
from tests.conftest import EXAMPLES
from tests.templating.support import template_strings

NOW = datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)


def context(auxiliary: bool, variables: dict[str, str] | None = None) -> dict[str, Any]:
    """The fixed render context."""
    return build_context(
        RenderInputs(
            session_name="debug-alice-1709622489",
            session_namespace="breakglass-system",
            cluster="prod-eu-1",
            requested_by="alice@example.com",
            reason="Investigating crash",
            target_namespace="debug-ns",
            template_name="standard",
            now=NOW,
            vars=variables or {},
            auxiliary=auxiliary,
        )
    )


def example(file_prefix: str) -> tuple[str, str]:
    """The one templateString of the example file starting with file_prefix."""
    (path,) = EXAMPLES.glob(f"{file_prefix}-*.yaml")
    found = [t for doc in yaml.safe_load_all(path.read_text()) for t in template_strings(doc)]
    assert len(found) == 1
    return found[0]


EXPECTED: dict[str, str] = {
    # trunc 15 keeps "debug-alice-170"; default fills the absent vars; quote is Go's %q; with no vars the
    # key .vars is absent, so .vars.hostNetwork is <no value>, eq with it is false (Go compares a missing
    # value as nil, no error), and "{{-" removes the newline before the if: the text ends with the block
    # scalar's final newline that follows "{{- end }}".
    "05": (
        "containers:\n"
        "  - name: debug-debug-alice-170\n"
        "    image: alpine:latest\n"
        '    command: ["sleep", "infinity"]\n'
        "    env:\n"
        "      - name: SESSION_NAME\n"
        '        value: "debug-alice-1709622489"\n'
        "      - name: CLUSTER\n"
        '        value: "prod-eu-1"\n'
        "      - name: REQUESTED_BY\n"
        '        value: "alice@example.com"\n'
        "    resources:\n"
        "      limits:\n"
        "        cpu: 500m\n"
        "        memory: 256Mi\n"
    ),
    # trunc 20 of the session name is "debug-alice-17096224"; the "---" separator is plain text.
    "06": (
        "# First document: PodSpec\n"
        "containers:\n"
        "  - name: fio\n"
        "    image: wallnerryan/fiotools:latest\n"
        '    command: ["sleep", "infinity"]\n'
        "    volumeMounts:\n"
        "      - name: test-volume\n"
        "        mountPath: /data\n"
        "volumes:\n"
        "  - name: test-volume\n"
        "    persistentVolumeClaim:\n"
        "      claimName: pvc-debug-alice-17096224\n"
        "---\n"
        "# Second document: PVC (created before pod starts)\n"
        "apiVersion: v1\n"
        "kind: PersistentVolumeClaim\n"
        "metadata:\n"
        "  name: pvc-debug-alice-17096224\n"
        "spec:\n"
        "  accessModes:\n"
        "    - ReadWriteOnce\n"
        "  storageClassName: standard\n"
        "  resources:\n"
        "    requests:\n"
        "      storage: 10Gi\n"
    ),
    # Plain substitutions; the vars default applies.
    "07": (
        "containers:\n"
        "  - name: debug\n"
        "    image: alpine:latest\n"
        '    command: ["sleep", "infinity"]\n'
        "    envFrom:\n"
        "      - configMapRef:\n"
        "          name: debug-config-debug-alice-1709622489\n"
        "      - secretRef:\n"
        "          name: debug-creds-debug-alice-1709622489\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: debug-config-debug-alice-1709622489\n"
        "data:\n"
        "  CLUSTER: prod-eu-1\n"
        '  DEBUG_MODE: "true"\n'
        "---\n"
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        "  name: debug-creds-debug-alice-1709622489\n"
        "type: Opaque\n"
        "stringData:\n"
        "  api-token: default-token\n"
    ),
    # The if is false without vars; "{{-" eats the newline after "alpine:latest", and the newline after
    # "{{- end }}" remains.
    "08": "containers:\n  - name: debug\n    image: alpine:latest\n",
    # The capitalised context of the seed's auxiliary examples (DESIGN decision 9).
    "28": (
        "apiVersion: v1\n"
        "kind: ServiceAccount\n"
        "metadata:\n"
        "  name: debug-debug-alice-1709622489-sa\n"
        "  namespace: debug-ns\n"
        "---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\n"
        "kind: Role\n"
        "metadata:\n"
        "  name: debug-debug-alice-1709622489-role\n"
        "  namespace: debug-ns\n"
        "rules:\n"
        '  - apiGroups: [""]\n'
        '    resources: ["pods", "pods/log"]\n'
        '    verbs: ["get", "list"]\n'
        "---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\n"
        "kind: RoleBinding\n"
        "metadata:\n"
        "  name: debug-debug-alice-1709622489-binding\n"
        "  namespace: debug-ns\n"
        "subjects:\n"
        "  - kind: ServiceAccount\n"
        "    name: debug-debug-alice-1709622489-sa\n"
        "    namespace: debug-ns\n"
        "roleRef:\n"
        "  kind: Role\n"
        "  name: debug-debug-alice-1709622489-role\n"
        "  apiGroup: rbac.authorization.k8s.io\n"
    ),
}


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_example_renders_exactly(prefix: str) -> None:
    path, text = example(prefix)
    assert (
        render(f"example-{prefix}", text, context(auxiliary="auxiliaryResources" in path), now=NOW) == EXPECTED[prefix]
    )


def test_every_example_template_string_is_covered() -> None:
    prefixes = {
        p.name[:2]
        for p in EXAMPLES.glob("*.yaml")
        for doc in yaml.safe_load_all(p.read_text())
        if any(True for _ in template_strings(doc))
    }
    assert prefixes == set(EXPECTED)


def test_example_05_with_vars() -> None:
    # The vars replace the defaults, and the if adds "hostNetwork: true" after a newline ("{{-" removed the
    # newline before the if, the text inside the if starts with one).
    _, text = example("05")
    variables = {"image": "busybox:1.36", "cpuLimit": "1", "memoryLimit": "1Gi", "hostNetwork": "true"}
    out = render("example-05", text, context(False, variables), now=NOW)
    assert out == EXPECTED["05"].replace("alpine:latest", "busybox:1.36").replace("cpu: 500m", "cpu: 1").replace(
        "memory: 256Mi\n", "memory: 1Gi\nhostNetwork: true\n"
    )


def test_example_08_with_pvc() -> None:
    _, text = example("08")
    out = render("example-08", text, context(False, {"createPVC": "true"}), now=NOW)
    assert out == (
        "containers:\n"
        "  - name: debug\n"
        "    image: alpine:latest\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: PersistentVolumeClaim\n"
        "metadata:\n"
        "  name: optional-pvc-debug-alice-1709622489\n"
        "spec:\n"
        "  accessModes:\n"
        "    - ReadWriteOnce\n"
        "  resources:\n"
        "    requests:\n"
        "      storage: 10Gi\n"
    )


def test_sanitised_var_cannot_start_a_document() -> None:
    # A value that would start a new YAML document is shifted by one space.
    _, text = example("06")
    out = render("example-06", text, context(False, {"storageClass": "---\nkind: Secret"}), now=NOW)
    assert "storageClassName:  --- kind: Secret\n" in out
