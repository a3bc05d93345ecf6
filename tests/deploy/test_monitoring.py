"""deploy/monitoring: the Grafana dashboard and the Prometheus alert rules are well-formed, and every metric
they use is one that the API (api/metrics.py) or the worker (activities/metrics.py) exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest
import yaml
from prometheus_client import CollectorRegistry

from activities.metrics import WorkerMetrics
from api.metrics import ApiMetrics

if TYPE_CHECKING:
    from api.pod_tracker import PodTracker
    from api.session_counts import SessionCounts
    from api.session_index import SessionIndex
    from domain.catalog.watch import CatalogSource

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana-dashboard.json"
RULES = MONITORING / "alert-rules.yaml"
README = MONITORING / "README.md"

PROMETHEUS_OWN = frozenset({"up"})
"""Series that Prometheus itself writes for every target."""
REQUIRED_ALERTS = frozenset(
    {
        "DebugSessionsWebhookDown",
        "DebugSessionsWebhookIndexStale",
        "DebugSessionsNotificationsFailing",
        "DebugSessionsStuckPending",
        "DebugSessionsCleanupPending",
        "DebugSessionsWorkerDown",
        "DebugSessionsHighWebhookLatency",
    }
)
SEVERITIES = frozenset({"critical", "warning", "info"})
DURATION = re.compile(r"^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$")

# --- which metric names a PromQL expression uses ---------------------------------------------------------

OURS = re.compile(r"(?<![\w:])(?:breakglass|debug_sessions)_[\w:]*")
"""Our prefixes, found anywhere outside string literals (whatever the rest of the extraction does)."""
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
GRAFANA_VARIABLE = re.compile(r"\$(?:\{[^}]*\}|\w+)")
MATCHERS = re.compile(r"\{[^{}]*\}")
RANGE = re.compile(r"\[[^\[\]]*\]")
LABEL_LIST = re.compile(r"(?<![\w:])(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
IDENTIFIER = re.compile(r"(?<![\w:.])[A-Za-z_:][\w:]*(?![\w:])(?!\s*\()")
"""An identifier that is not called (functions and aggregations are followed by `(`)."""
KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "by", "without", "on", "ignoring", "group_left", "group_right", "offset"}
    | {"inf", "nan", "Inf", "NaN"}
)
LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.*?)\s*,\s*\w+\s*\)\s*$")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: every identifier left once strings, Grafana variables,
    label matchers, ranges, label lists (`by (...)`, `on (...)`), calls and keywords are taken out."""
    text = GRAFANA_VARIABLE.sub("", STRING.sub('""', expr))
    found = set(OURS.findall(text))
    text = LABEL_LIST.sub(" ", RANGE.sub("[]", MATCHERS.sub("{}", text)))
    return found | {name for name in IDENTIFIER.findall(text) if name not in KEYWORDS}


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'histogram_quantile(0.99, sum by (route, le) (rate(debug_sessions_x_bucket{route=~".*/a/.*",'
            ' cluster=~"$cluster"}[$__rate_interval])))',
            {"debug_sessions_x_bucket"},
        ),
        (
            'sum by (job) (rate(a_total{result="failure"}[15m])) > 0 unless on (job, channel) b offset 5m > bool 1e-3',
            {"a_total", "b"},
        ),
        ('up{job="debug-sessions-api"} == 0 or absent(up{job="debug-sessions-api"})', {"up"}),
        ('label_replace(rate(c[5m:1m]), "class", "${1}xx", "status", "([0-9])..") / on () group_left d', {"c", "d"}),
        ("max without (instance) (breakglass_y) > Inf and topk(3, node_load1)", {"breakglass_y", "node_load1"}),
    ],
)
def test_metric_names_finds_every_selected_metric(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


# --- what our processes expose -------------------------------------------------------------------------

SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
    "info": ("_info",),
}


def sample_names(registry: CollectorRegistry) -> set[str]:
    """The sample names a registry can expose, from its families (a family with labels and no children has
    no samples yet: its names come from its type), checked against the samples it does have."""
    names: set[str] = set()
    for family in registry.collect():
        assert family.type in SAMPLE_SUFFIXES, f"{family.name}: teach this test the type {family.type}"
        own = {family.name + suffix for suffix in SAMPLE_SUFFIXES[family.type]}
        for sample in family.samples:
            assert sample.name in own or sample.name == family.name + "_created", (family.name, sample.name)
        names |= own
    return names


def exposed() -> set[str]:
    api = ApiMetrics()
    api.watch_sessions(
        cast("SessionIndex", SimpleNamespace(by_name={})),
        cast("PodTracker", SimpleNamespace(watches={})),
        cast("SessionCounts", SimpleNamespace(pending_approval=0, stuck_pending=0)),
    )
    api.watch_catalog(cast("CatalogSource", SimpleNamespace(catalog=None, last_result=None)))
    return sample_names(api.registry) | sample_names(WorkerMetrics().registry)


def test_exposed_names_come_from_the_api_its_live_sessions_and_the_worker() -> None:
    names = exposed()
    assert len(names) > 15, sorted(names)
    # the API's registry, the LiveSessions collector (empty, it still yields its families), the worker's
    assert {
        "breakglass_debug_sessions_created_total",
        "debug_sessions_webhook_decision_duration_seconds_bucket",
        "breakglass_debug_sessions_active",
        "breakglass_debug_session_pod_restarts_total",
        "debug_sessions_stuck_pending",
        "breakglass_debug_session_duration_seconds_bucket",
        "debug_sessions_cleanup_pending_oldest_seconds",
    } <= names
    assert not {n for n in names if not OURS.fullmatch(n)}, "a name outside our prefixes: the test cannot check it"


# --- the files -----------------------------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    data = json.loads(DASHBOARD.read_text())
    assert isinstance(data, dict)
    return data


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))  # a collapsed row holds its panels


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text())
    assert isinstance(data, dict)
    assert set(data) == {"groups"}
    groups = data["groups"]
    assert isinstance(groups, list)
    assert groups
    found: list[dict[str, Any]] = []
    for group in groups:
        assert group["name"]
        assert group["rules"], group["name"]
        found += group["rules"]
    return found


def balanced(expr: str) -> bool:
    stack: list[str] = []
    for char in STRING.sub('""', expr):
        if char in "([{":
            stack.append({"(": ")", "[": "]", "{": "}"}[char])
        elif char in ")]}" and (not stack or stack.pop() != char):
            return False
    return not stack


def dashboard_expressions() -> list[str]:
    exprs = [t["expr"] for p in all_panels(dashboard()["panels"]) for t in p.get("targets", [])]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            query = query["query"] if isinstance(query, dict) else query
            match = LABEL_VALUES.match(query)
            assert match, f"variable {variable['name']}: expected label_values(<selector>, <label>), got {query}"
            exprs.append(match.group(1))
    return exprs


def test_dashboard_panels_have_unique_ids_titles_and_queries() -> None:
    board = dashboard()
    assert board["uid"]
    assert board["title"]
    assert isinstance(board["schemaVersion"], int)
    assert board["schemaVersion"] >= 36
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["cluster"]["type"] == "query"
    panels = list(all_panels(board["panels"]))
    assert len(panels) > 20
    ids = Counter(p.get("id") for p in panels)
    assert None not in ids
    assert [i for i, n in ids.items() if n > 1] == []
    for panel in panels:
        assert str(panel.get("title", "")).strip(), panel["id"]
        grid = panel["gridPos"]
        assert grid["x"] >= 0
        assert grid["w"] > 0
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        targets = panel.get("targets", [])
        assert targets, panel["title"]
        for target in targets:
            expr = target.get("expr", "")
            assert expr.strip(), panel["title"]
            assert balanced(expr), (panel["title"], expr)
            # $cluster is multi-valued with All: only a regex matcher selects it
            assert not re.search(r'(?<![=!])=\s*"\$\{?cluster', expr), (panel["title"], expr)
        ref_ids = [t["refId"] for t in targets]
        assert len(set(ref_ids)) == len(ref_ids), panel["title"]


def test_rules_are_complete_alerts() -> None:
    found = rules()
    names = [r.get("alert") for r in found]
    assert len(set(names)) == len(names), names
    assert set(names) >= REQUIRED_ALERTS
    for rule in found:
        name = rule.get("alert")
        assert name, rule
        assert isinstance(rule.get("expr"), str), name
        assert rule["expr"].strip(), name
        assert balanced(rule["expr"]), name
        assert DURATION.match(str(rule.get("for", ""))), name
        assert rule.get("labels", {}).get("severity") in SEVERITIES, name
        annotations = rule.get("annotations", {})
        assert str(annotations.get("summary", "")).strip(), name
        assert str(annotations.get("description", "")).strip(), name
        assert str(annotations.get("runbook_url", "")).strip(), name


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_has_a_runbook_section() -> None:
    anchors = {slug(m) for m in re.findall(r"^#{1,6}\s+(.+)$", README.read_text(), re.MULTILINE)}
    for rule in rules():
        path, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert path == "deploy/monitoring/README.md", rule["alert"]
        assert anchor == slug(rule["alert"]), rule["alert"]
        assert anchor in anchors, f"{rule['alert']}: no section '{anchor}' in {README.name}"


def test_every_metric_used_is_exposed() -> None:
    names = exposed()
    exprs = dashboard_expressions() + [r["expr"] for r in rules()]
    used: dict[str, set[str]] = {}
    for expr in exprs:
        for name in metric_names(expr):
            used.setdefault(name, set()).add(expr)
    assert len(used) > 15, sorted(used)  # a broken extraction does not pass quietly
    unknown = {name: sorted(where) for name, where in used.items() if name not in names | PROMETHEUS_OWN}
    assert unknown == {}


def promtool() -> str | None:
    """promtool from PATH, else extracted from Debian's `prometheus` package (downloaded, never installed: no
    service, no postinst) into .venv/promtool/; None when apt cannot get it."""
    found = shutil.which("promtool")
    if found:
        return found
    cache = MONITORING.parents[1] / ".venv" / "promtool"
    binary = cache / "usr" / "bin" / "promtool"
    if binary.exists():
        return str(binary)
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    for attempt in range(2):
        got = subprocess.run(
            ["apt-get", "download", "prometheus"], cwd=cache, capture_output=True, timeout=300, check=False
        )
        if got.returncode == 0:
            break
        if attempt == 0:  # a fresh machine has no package lists yet
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=300, check=False)
    debs = sorted(cache.glob("prometheus_*.deb"))
    if not debs:
        return None
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(cache)], capture_output=True, timeout=120, check=True)
    return str(binary) if binary.exists() else None


def test_promtool_accepts_the_rules() -> None:
    promtool_path = promtool()
    if promtool_path is None:
        pytest.skip("promtool is not on PATH and apt-get could not download Debian's prometheus package")
    result = subprocess.run(
        [promtool_path, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
