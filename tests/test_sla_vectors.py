"""The SLA engine against the test vectors of SPEC §4, on hand-made histories.

The histories here are built directly as the replay would produce them, so each
vector isolates the engine; tests/test_sla_cli.py runs the same semantics through
real Git repositories and the command line.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentctl.history.model import (
    CustomerUpdate,
    History,
    IncidentState,
    RcaState,
    Stamp,
    Timeline,
)
from incidentctl.model import Calendar, SLAPolicy
from incidentctl.sla.calendar import build_calendar
from incidentctl.sla.clock import Phase, Rules, measure
from incidentctl.sla.engine import MetricResult, evaluate

POLICY = SLAPolicy.model_validate(
    {
        "apiVersion": "incidentctl/v1",
        "kind": "SLAPolicy",
        "name": "vectors",
        "warn_at": ["50%"],
        "targets": {
            "SEV1": {
                "acknowledge": "5m",
                "update_every": "15m",
                "resolve": "4h",
                "postmortem": "48h",
                "rca": "72h",
            },
            "SEV2": {"update_every": "30m", "resolve": "8h"},
            "SEV3": {"calendar": "berlin", "resolve": "24h"},
        },
    }
)
BERLIN = Calendar.model_validate(
    {
        "apiVersion": "incidentctl/v1",
        "kind": "Calendar",
        "name": "berlin",
        "timezone": "Europe/Berlin",
        "hours": {"mon-fri": ["09:00-17:00"]},
    }
)
DAY = "2026-11-16"  # a Monday


def at(text: str) -> datetime:
    if "T" not in text:
        text = f"{DAY}T{text}"
    if not text.endswith("Z") and "+" not in text[10:]:
        text += "Z"
    return datetime.fromisoformat(text).astimezone(UTC)


BASE = IncidentState(
    id="INC-2026-0001",
    title="Checkout fails",
    status="open",
    severity="SEV1",
    environment="production",
    customer=None,
    services=("checkout",),
    detection_source="monitoring",
    reported_at=None,
    impact_started_at=None,
    commander=None,
    milestones=(),
    customer_updates=(),
    defect_keys=(),
)


def history(
    *versions: tuple[str, dict[str, object]],
    policy: SLAPolicy = POLICY,
    rca: list[tuple[str, RcaState]] | None = None,
) -> History:
    """Versions of INC-2026-0001 landed at the given times, each changing some fields."""
    timeline = Timeline(id=BASE.id)
    state = BASE
    policy_stamp = Stamp(
        0, "p" * 40, at("00:00"), at("00:00"), "Ops <ops@example.com>", at("00:00")
    )
    for seq, (when, changes) in enumerate(versions, start=1):
        stamp = Stamp(seq, f"{seq:040x}", at(when), at(when), "Dana <dana@example.com>", at(when))
        state = replace(state, **changes)  # type: ignore[arg-type]
        timeline.states.append((stamp, state))
    result = History(ref="main", head=f"{len(versions):040x}", commit_count=len(versions) + 1)
    result.incidents[BASE.id] = timeline
    result.policies[("SLAPolicy", policy.name)] = [(policy_stamp, policy)]
    result.policies[("Calendar", "berlin")] = [(policy_stamp, BERLIN)]
    if rca:
        result.rcas[BASE.id] = [
            (Stamp(100 + i, f"{100 + i:040x}", at(w), at(w), "Ada <ada@example.com>", at(w)), s)
            for i, (w, s) in enumerate(rca)
        ]
    return result


def metric(h: History, name: str, as_of: str) -> MetricResult:
    board = evaluate(h, at(as_of))
    (incident,) = board.incidents
    return next(m for m in incident.metrics if m.metric == name)


def test_1_acknowledged_on_the_dot_is_met() -> None:
    m = metric(
        history(("10:00:00", {}), ("10:05:00", {"status": "acknowledged"})), "acknowledge", "11:00"
    )
    assert (m.state, m.remaining, m.breached_at) == ("met", timedelta(0), None)


def test_2_one_second_late_is_missed_at_the_due_instant() -> None:
    m = metric(
        history(("10:00:00", {}), ("10:05:01", {"status": "acknowledged"})), "acknowledge", "11:00"
    )
    assert (m.state, m.breached_at) == ("missed", at("10:05:00"))


def test_3_not_acknowledged_is_breached_with_negative_remaining() -> None:
    m = metric(history(("10:00:00", {})), "acknowledge", "10:07")
    assert (m.state, m.remaining, m.due_at, m.breached_at) == (
        "breached",
        timedelta(minutes=-2),
        at("10:05"),
        at("10:05"),
    )
    assert m.elapsed == timedelta(minutes=7)


def test_4_opened_and_acknowledged_in_one_commit() -> None:
    m = metric(history(("10:00:00", {"status": "acknowledged"})), "acknowledge", "11:00")
    assert (m.state, m.elapsed) == ("met", timedelta(0))


def test_5_open_to_resolved_in_one_commit_meets_earlier_milestones() -> None:
    h = history(("10:00:00", {}), ("10:04:00", {"status": "resolved"}))
    for name in ("acknowledge", "resolve"):
        m = metric(h, name, "11:00")
        assert m.state == "met"
        assert m.cycles[0].stopped_at == at("10:04")


def test_6_upgrade_past_the_new_target_breaches_at_the_upgrade() -> None:
    h = history(("08:00", {"severity": "SEV2"}), ("13:00", {"severity": "SEV1"}))
    m = metric(h, "resolve", "13:30")
    assert (m.state, m.breached_at) == ("breached", at("13:00"))


def test_7_downgrade_after_a_breach_keeps_it() -> None:
    h = history(("08:00", {}), ("13:00", {"severity": "SEV2"}))
    m = metric(h, "resolve", "13:30")
    assert (m.state, m.breached_at) == ("breached", at("12:00"))
    assert m.target == timedelta(hours=8)  # the due time moved out, the breach stayed


def test_8_resolving_commit_is_judged_against_the_target_before_it() -> None:
    h = history(("08:00", {}), ("13:00", {"status": "resolved", "severity": "SEV2"}))
    m = metric(h, "resolve", "14:00")
    assert (m.state, m.breached_at) == ("missed", at("12:00"))


def test_9_waiting_pauses_the_clock() -> None:
    h = history(
        ("08:00", {"severity": "SEV2"}),
        ("10:00", {"status": "waiting"}),
        ("14:00", {"status": "acknowledged"}),
    )
    m = metric(h, "resolve", "15:00")
    assert (m.state, m.elapsed, m.remaining, m.due_at) == (
        "running",
        timedelta(hours=3),
        timedelta(hours=5),
        at("20:00"),
    )


def test_10_paused_after_a_breach_has_no_due_time() -> None:
    h = history(("08:00", {}), ("13:00", {"status": "waiting"}))
    m = metric(h, "resolve", "14:00")
    assert (m.state, m.remaining, m.due_at) == ("paused", timedelta(hours=-1), None)
    assert m.breached_at == at("12:00")
    assert [e.event for e in m.evidence] == ["start", "pause"]


def test_11_reopen_starts_a_second_resolve_cycle() -> None:
    h = history(
        ("10:00", {}),
        ("12:00", {"status": "resolved"}),
        ("14:00", {"status": "open"}),
        ("15:00", {"status": "resolved"}),
    )
    m = metric(h, "resolve", "16:00")
    assert [(c.started_at, c.stopped_at, c.state) for c in m.cycles] == [
        (at("10:00"), at("12:00"), "met"),
        (at("14:00"), at("15:00"), "met"),
    ]
    assert [e.event for e in m.evidence] == ["start", "stop", "start", "stop"]


def test_12_business_hours_over_a_weekend_and_dst() -> None:
    h = history(("2026-03-27T16:30:00+01:00", {"severity": "SEV3"}))
    m = metric(h, "resolve", "2026-03-30T10:30:00+02:00")
    assert m.elapsed == timedelta(hours=2)
    assert m.state == "running"


def test_13_24x7_due_time_crosses_the_dst_jump() -> None:
    h = history(("2026-03-29T00:30:00+01:00", {}))
    m = metric(h, "resolve", "2026-03-29T01:00:00+01:00")
    assert m.due_at == at("2026-03-29T05:30:00+02:00")


def test_reported_at_starts_the_clock_earlier_never_later() -> None:
    earlier = history(("10:03", {"reported_at": at("10:00")}))
    m = metric(earlier, "acknowledge", "10:04")
    assert m.elapsed == timedelta(minutes=4)
    assert m.evidence[0].evidence.source == "declared"
    later = history(("10:03", {"reported_at": at("10:30")}))
    assert metric(later, "acknowledge", "10:04").elapsed == timedelta(minutes=1)


def test_imported_record_uses_declared_milestones_of_its_first_version() -> None:
    milestones = (("acknowledged_at", at("08:04")), ("resolved_at", at("11:00")))
    h = history(
        (
            "2026-11-20T09:00",
            {"status": "closed", "reported_at": at("08:00"), "milestones": milestones},
        )
    )
    ack = metric(h, "acknowledge", "2026-11-21T00:00")
    resolve = metric(h, "resolve", "2026-11-21T00:00")
    assert (ack.state, ack.elapsed) == ("met", timedelta(minutes=4))
    assert (resolve.state, resolve.elapsed) == ("met", timedelta(hours=3))
    assert resolve.evidence[-1].evidence.field == "milestones.resolved_at"


def test_milestones_added_later_never_stop_a_clock() -> None:
    h = history(("10:00", {}), ("10:30", {"milestones": (("acknowledged_at", at("10:01")),)}))
    assert metric(h, "acknowledge", "10:40").state == "breached"


def test_update_cadence_counts_one_cycle_per_gap() -> None:
    first = (CustomerUpdate(at("10:10"), "Investigating"),)
    second = (*first, CustomerUpdate(at("10:40"), "Fix deploying"))
    h = history(
        ("10:00", {}),
        ("10:10", {"customer_updates": first}),
        ("10:40", {"customer_updates": second}),
        ("10:50", {"status": "resolved"}),
    )
    m = metric(h, "update_every", "11:00")
    assert [(c.elapsed, c.state) for c in m.cycles] == [
        (timedelta(minutes=10), "met"),
        (timedelta(minutes=30), "missed"),
        (timedelta(minutes=10), "met"),
    ]
    assert m.state == "missed"


def test_postmortem_and_rca_run_from_the_last_resolve() -> None:
    h = history(
        ("10:00", {}),
        ("11:00", {"status": "resolved"}),
        rca=[
            ("2026-11-17T09:00", RcaState((BASE.id,), "draft", at("2026-11-17T08:00"))),
            ("2026-11-20T12:00", RcaState((BASE.id,), "published", at("2026-11-17T08:00"))),
        ],
    )
    post = metric(h, "postmortem", "2026-11-21T00:00")
    rca = metric(h, "rca", "2026-11-21T00:00")
    assert (post.state, post.elapsed) == ("met", timedelta(hours=22))  # at its commit
    assert (rca.state, rca.breached_at) == ("missed", at("2026-11-19T11:00"))


def test_non_production_and_untargeted_metrics_are_not_applicable() -> None:
    h = history(("10:00", {"severity": "NONPROD", "environment": "non-production"}))
    board = evaluate(h, at("11:00"))
    assert {m.state for m in board.incidents[0].metrics} == {"not_applicable"}
    sev2 = history(("10:00", {"severity": "SEV2"}))
    assert metric(sev2, "acknowledge", "11:00").state == "not_applicable"


@pytest.mark.parametrize("as_of, state", [("10:02", "running"), ("10:03", "at_risk")])
def test_warn_at_marks_at_risk(as_of: str, state: str) -> None:
    assert metric(history(("10:00", {})), "acknowledge", as_of).state == state


# -- properties of a clock -------------------------------------------------------------

_BASE = datetime(2026, 3, 23, 6, 0, tzinfo=UTC)  # a Monday before the spring DST change
_minutes = st.integers(min_value=0, max_value=14 * 24 * 60)


def _rules(calendar: str) -> Rules:
    built = build_calendar(calendar, {"berlin": BERLIN})
    return Rules(
        target=lambda phase: timedelta(hours=4),
        calendar=lambda phase: built,
        paused=lambda phase: phase.status == "waiting",
        warn_at=lambda phase: None,
    )


@settings(max_examples=150, deadline=None)
@given(
    calendar=st.sampled_from(["24x7", "berlin"]),
    as_of=_minutes,
    pause=st.tuples(_minutes, _minutes).map(sorted),
)
def test_a_pause_never_increases_elapsed_time(calendar: str, as_of: int, pause: list[int]) -> None:
    rules = _rules(calendar)
    end = _BASE + timedelta(minutes=as_of)
    running = [Phase(_BASE, "open", "SEV1")]
    paused = [
        *running,
        Phase(_BASE + timedelta(minutes=pause[0]), "waiting", "SEV1"),
        Phase(_BASE + timedelta(minutes=pause[1]), "acknowledged", "SEV1"),
    ]
    plain = measure(_BASE, None, end, running, rules)
    with_pause = measure(_BASE, None, end, paused, rules)
    assert with_pause.elapsed <= plain.elapsed
    assert plain.elapsed <= end - _BASE  # never more than wall-clock time


@settings(max_examples=150, deadline=None)
@given(calendar=st.sampled_from(["24x7", "berlin"]), split=_minutes, rest=_minutes)
def test_elapsed_time_is_additive_over_a_split(calendar: str, split: int, rest: int) -> None:
    rules = _rules(calendar)
    middle = _BASE + timedelta(minutes=split)
    end = middle + timedelta(minutes=rest)
    phases = [Phase(_BASE, "open", "SEV1")]
    whole = measure(_BASE, end, end, phases, rules).elapsed
    parts = (
        measure(_BASE, middle, end, phases, rules).elapsed
        + measure(middle, end, end, phases, rules).elapsed
    )
    assert whole == parts


def test_a_cancelled_incident_needs_no_postmortem_or_rca() -> None:
    h = history(("10:00", {}), ("10:03", {"status": "cancelled"}))
    for name in ("postmortem", "rca"):
        assert metric(h, name, "2026-11-20T00:00").state == "not_applicable"
