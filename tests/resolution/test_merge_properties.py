"""Property-based tests of the merge functions: associative, never loosening, only our errors."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.identity import Identity
from domain.policy import AllowedPodOperations
from domain.resolution.errors import AdmissionError
from domain.resolution.pod_operations import OPERATIONS, merge_pod_operations
from domain.resolution.scheduling import MergeConflict, merge, resolve_scheduling
from domain.scheduling import SchedulingConstraints, SchedulingOption, SchedulingOptions

KEYS = st.sampled_from(["a", "b", "c"])
VALUES = st.sampled_from(["1", "2"])
EXPR = st.builds(lambda k: {"key": k, "operator": "Exists"}, KEYS)
TERM = st.builds(lambda exprs: {"matchExpressions": exprs}, st.lists(EXPR, max_size=2))
AFFINITY = st.one_of(
    st.none(), st.builds(lambda terms: {"nodeSelectorTerms": terms}, st.lists(TERM, min_size=1, max_size=3))
)
TOLERATION = st.builds(lambda k: {"key": k, "operator": "Exists"}, KEYS)


@st.composite
def constraints(draw: Any) -> SchedulingConstraints:
    return SchedulingConstraints(
        node_selector=draw(st.dictionaries(KEYS, VALUES, max_size=2)),
        denied_node_labels=draw(st.dictionaries(KEYS, st.sampled_from(["*", "x", "y"]), max_size=2)),
        denied_nodes=draw(st.lists(st.sampled_from(["n1", "n2", "cp-*"]), max_size=2, unique=True)),
        tolerations=draw(st.lists(TOLERATION, max_size=2)),
        required_node_affinity=draw(AFFINITY),
    )


def _merge_or_conflict(
    a: SchedulingConstraints | None, b: SchedulingConstraints | None
) -> SchedulingConstraints | str | None:
    try:
        return merge(a, b)
    except MergeConflict:
        return "conflict"


def _canonical(c: SchedulingConstraints | str | None) -> Any:
    if isinstance(c, str) or c is None:
        return c
    d = c.model_dump(by_alias=False)
    d["denied_nodes"] = sorted(d["denied_nodes"])
    return d


@settings(max_examples=300, deadline=None)
@given(constraints(), constraints(), constraints())
def test_merge_is_associative(a: SchedulingConstraints, b: SchedulingConstraints, c: SchedulingConstraints) -> None:
    """Associative, with the one exception the reference's rule implies.

    deniedNodeLabels: two different exact values for one key conflict, but a `*` for that key absorbs any
    value. With a=`*`, b=`x`, c=`y`: (a+b)+c is `*`, while a+(b+c) conflicts inside b+c. Every other field
    merges associatively, and whenever both groupings succeed their results are identical.
    """
    left_inner = _merge_or_conflict(a, b)
    right_inner = _merge_or_conflict(b, c)
    left = "conflict" if left_inner == "conflict" else _merge_or_conflict(left_inner, c)  # type: ignore[arg-type]
    right = "conflict" if right_inner == "conflict" else _merge_or_conflict(a, right_inner)  # type: ignore[arg-type]
    if (left == "conflict") != (right == "conflict"):
        labels = [a.denied_node_labels, b.denied_node_labels, c.denied_node_labels]
        starred = {k for d in labels for k, v in d.items() if v == "*"}
        exact = [(k, v) for d in labels for k, v in d.items() if v != "*"]
        assert any(k in starred for k, _ in exact), "only a `*`-absorbed deniedNodeLabels clash may differ"
        return
    assert _canonical(left) == _canonical(right)


@settings(max_examples=300, deadline=None)
@given(constraints(), constraints())
def test_merge_never_loosens(a: SchedulingConstraints, b: SchedulingConstraints) -> None:
    try:
        m = merge(a, b)
    except MergeConflict:
        return
    assert m is not None
    for side in (a, b):
        assert side.node_selector.items() <= m.node_selector.items()
        for key, value in side.denied_node_labels.items():
            assert m.denied_node_labels[key] in ("*", value)
        assert set(side.denied_nodes) <= set(m.denied_nodes)
        assert all(t in m.tolerations for t in side.tolerations)
    a_terms = (a.required_node_affinity or {}).get("nodeSelectorTerms") or []
    b_terms = (b.required_node_affinity or {}).get("nodeSelectorTerms") or []
    m_terms = (m.required_node_affinity or {}).get("nodeSelectorTerms") or []
    if a_terms and b_terms:
        assert len(m_terms) == len(a_terms) * len(b_terms)
        for i, x in enumerate(a_terms):
            for j, y in enumerate(b_terms):
                got = m_terms[i * len(b_terms) + j].get("matchExpressions", [])
                assert got == x.get("matchExpressions", []) + y.get("matchExpressions", [])
    else:
        assert m_terms == (a_terms or b_terms)


@settings(max_examples=200, deadline=None)
@given(
    constraints(),
    st.one_of(st.none(), constraints()),
    st.lists(constraints(), min_size=1, max_size=3),
    st.booleans(),
    st.sampled_from(["", "o0", "o1", "o2", "missing"]),
    st.lists(st.sampled_from(["g1", "g2"]), max_size=2),
)
def test_resolve_scheduling_raises_only_admission_errors(
    base: SchedulingConstraints,
    binding: SchedulingConstraints | None,
    option_constraints: list[SchedulingConstraints],
    required: bool,
    selected: str,
    groups: list[str],
) -> None:
    options = SchedulingOptions(
        required=required,
        options=[
            SchedulingOption(
                name=f"o{i}",
                display_name="x",
                scheduling_constraints=c,
                allowed_groups=["g1"] if i == 1 else [],
                default=i == 0,
            )
            for i, c in enumerate(option_constraints)
        ],
    )
    try:
        result = resolve_scheduling(
            base, binding, options, None, selected, Identity(username="u", groups=tuple(groups))
        )
    except AdmissionError as exc:
        status = exc.status
        assert status in (400, 403)
        return
    assert result.constraints is not None
    assert base.node_selector.items() <= result.constraints.node_selector.items()


OPS = st.one_of(
    st.none(), st.fixed_dictionaries({}, optional={k: st.booleans() for k in ("exec", "attach", "logs", "portForward")})
)


@settings(max_examples=200, deadline=None)
@given(OPS, OPS)
def test_pod_operations_binding_never_widens(template: dict[str, bool] | None, binding: dict[str, bool] | None) -> None:
    t = AllowedPodOperations.model_validate(template) if template is not None else None
    b = AllowedPodOperations.model_validate(binding) if binding is not None else None
    merged = merge_pod_operations(t, b)
    base = merge_pod_operations(t, None)
    for op in OPERATIONS:
        assert not getattr(merged, op) or getattr(base, op)
