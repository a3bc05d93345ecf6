"""READERS entries and the list's row rules: what visibility finds and what each caller may see/decide there."""

from __future__ import annotations

import pytest

from domain.identity import Identity
from domain.resolution.approval import ApprovalPolicy
from domain.resolution.resolved import ResolvedSession
from tests.workflows.test_session_workflow import approval_session
from workflows import search_attributes as sa


def with_approvers(users: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> ResolvedSession:
    """network-debug requested by sam (sam@example.com), with the approvers given."""
    policy = ApprovalPolicy(required=True, approver_users=users, approver_groups=groups)
    return approval_session(approval=policy)


def test_readers_label_each_kind_of_entry() -> None:
    session = with_approvers(users=("Lena", "*@Example.com"), groups=("sre-leads",))
    assert sa.readers(session, ("Peer@Example.com",)) == [
        "approver-glob",
        "approver:*@Example.com",  # a glob keeps its case: glob matching is case-sensitive
        "approver:lena",
        "group:sre-leads",
        "peer@example.com",
        "requester:sam",
        "requester:sam@example.com",
        "sam",
        "sam@example.com",
    ]


@pytest.mark.parametrize(
    ("users", "groups", "marked"),
    [
        pytest.param(("lena",), ("sre-leads",), False, id="plain names"),
        pytest.param(("lena?",), (), True, id="user glob"),
        pytest.param((), ("sre-*",), True, id="group glob"),
        pytest.param(("[ab]ob",), (), True, id="bracket glob"),
    ],
)
def test_the_glob_marker_is_set_only_for_glob_approvers(
    users: tuple[str, ...], groups: tuple[str, ...], marked: bool
) -> None:
    assert ("approver-glob" in sa.readers(with_approvers(users, groups), ())) is marked


def test_reader_terms_name_the_caller_and_the_marker() -> None:
    who = Identity(username="Lena", email="Lena@Example.com", groups=("security-leads",))
    assert sa.reader_terms(who) == [
        "approver-glob",
        "approver:lena",
        "approver:lena@example.com",
        "group:security-leads",
        "lena",
        "lena@example.com",
    ]


def row(session: ResolvedSession, who: Identity, state: str = "PendingApproval", **kw: object) -> tuple[bool, bool]:
    """(readable, canApprove) of a list row, as list_sessions computes them from the search attributes."""
    participants = kw.get("participants", ())
    assert isinstance(participants, tuple)
    access = sa.row_access(
        sa.readers(session, session.invited_participants),
        session.requester.username,
        participants,
        state,
        who,
        bool(kw.get("admin", False)),
    )
    return access.readable, access.can_decide


LENA = Identity(username="lena", email="lena@example.com", groups=("security-leads",))
EVE = Identity(username="eve", email="eve@elsewhere.org", groups=("nobody",))

ROWS = [
    # (id, approver users, approver groups, caller, state, admin, participants, expected (readable, canApprove))
    ("plain approver user, other case", ("LENA",), (), LENA, "PendingApproval", False, (), (True, True)),
    ("approver by e-mail", ("lena@example.com",), (), LENA, "PendingApproval", False, (), (True, True)),
    ("glob approver user", ("*@example.com",), (), LENA, "PendingApproval", False, (), (True, True)),
    ("glob is case-sensitive", ("*@EXAMPLE.com",), (), LENA, "PendingApproval", False, (), (False, False)),
    ("glob not matching", ("*@example.com",), (), EVE, "PendingApproval", False, (), (False, False)),
    ("glob approver group", (), ("security-*",), LENA, "PendingApproval", False, (), (True, True)),
    ("approver, not pending", ("*@example.com",), (), LENA, "Active", False, (), (True, False)),
    (
        "requester blocked though a glob approver",
        ("*@example.com",),
        (),
        Identity(username="sam", email="sam@example.com"),
        "PendingApproval",
        False,
        (),
        (True, False),
    ),
    (
        "requester by e-mail blocked",
        ("*",),
        (),
        Identity(username="samuel", email="SAM@example.com"),
        "PendingApproval",
        False,
        (),
        (True, False),
    ),
    ("admin reads, does not approve", ("lena",), (), EVE, "PendingApproval", True, (), (True, False)),
    ("active participant reads", ("lena",), (), EVE, "Active", False, ("eve",), (True, False)),
    ("stranger", ("lena",), ("security-leads",), EVE, "PendingApproval", False, (), (False, False)),
]


@pytest.mark.parametrize(
    ("users", "groups", "who", "state", "admin", "participants", "expected"),
    [pytest.param(*r[1:], id=r[0]) for r in ROWS],
)
def test_row_access(
    users: tuple[str, ...],
    groups: tuple[str, ...],
    who: Identity,
    state: str,
    admin: bool,
    participants: tuple[str, ...],
    expected: tuple[bool, bool],
) -> None:
    assert row(with_approvers(users, groups), who, state, admin=admin, participants=participants) == expected


def test_invitees_read_by_username_or_email() -> None:
    session = with_approvers(users=("lena",)).model_copy(update={"invited_participants": ("Eve@Elsewhere.org",)})
    assert row(session, EVE) == (True, False)
    assert row(session, Identity(username="eve2")) == (False, False)


def test_a_session_starts_with_the_tracked_attributes_of_a_pending_session() -> None:
    """The start carries state, participants, access and readers as the workflow would upsert them for a new
    session, so its first upsert holds only what really changed."""
    session = approval_session(invited_participants=("peer@example.com",))
    start = sa.initial(session)
    assert start.get(sa.STATE) == "Pending"
    assert start.get(sa.PARTICIPANTS) == []
    assert start.get(sa.ACCESS) == ["op:exec", "op:attach", "op:portforward"]  # no pods, no operators yet
    assert start.get(sa.READERS) == sa.readers(session, ("peer@example.com",))
    assert start.get(sa.EXPIRES_AT) is None
    assert start.get(sa.LIVE_UNTIL) is None
    assert (start.get(sa.CLUSTER), start.get(sa.TEMPLATE)) == (session.cluster.name, session.template_name)
