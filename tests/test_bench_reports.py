"""The bench's log filter (scripts/bench, scripts/check-ha-release) catches what it is for.

The smoke run fails on a "Detected blocking call" warning and on a usage report that
Home Assistant's frame helper makes about the integration; these tests feed it the real
records of the Home Assistant the tests pin, and the bench's verdict with them.
"""

from __future__ import annotations

from collections.abc import Generator
import importlib.util
import json
import logging
from pathlib import Path
import sys
from types import ModuleType
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .openapi_contract import SPEC_PATH

ROOT = Path(__file__).resolve().parents[1]
ODD = "does something odd on purpose"
# The spec's limit answer (read once, outside the event loop).
LIMIT_ERROR = json.loads(SPEC_PATH.read_text(encoding="utf-8"))["components"][
    "schemas"
]["LiveActivityLimitError"]


def load_bench() -> ModuleType:
    """bench/bench.py as a module (it imports Home Assistant only when it runs)."""
    spec = importlib.util.spec_from_file_location(
        "bench_under_test", ROOT / "bench/bench.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = load_bench()


@pytest.fixture
def reports() -> Generator[Any]:
    """The bench's handler on the root logger, as bench.main attaches it."""
    handler = bench.HomeAssistantReports()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.mark.expect_usage_report
async def test_a_usage_report_about_the_integration_misses_the_target(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, reports: Any
) -> None:
    """A real frame report naming activitysmith is counted, and the run fails on it."""
    frame.report_usage(
        ODD, integration_domain="activitysmith", breaks_in_ha_version="2099.1.0"
    )
    [message] = reports.reports["usage"]
    assert "custom integration 'activitysmith' does something odd" in message
    assert "This will stop working in Home Assistant 2099.1.0" in message
    report = bench.Report()
    report.section(
        "event loop and usage reports",
        [
            bench.Figure(
                "usage_reports_about_activitysmith", len(reports.reports["usage"]), 0
            )
        ],
    )
    assert report.missed == ["usage_reports_about_activitysmith"]


async def test_a_report_about_other_code_is_listed_not_counted(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, reports: Any
) -> None:
    """Another integration's usage report does not fail the run."""
    frame.report_usage(
        ODD,
        integration_domain="webhook",
        breaks_in_ha_version="2099.1.0",
        core_behavior=frame.ReportBehavior.LOG,
        core_integration_behavior=frame.ReportBehavior.LOG,
    )
    assert reports.reports["usage"] == []
    assert len(reports.reports["other usage"]) == 1


@pytest.mark.parametrize(
    ("logger", "message", "kind"),
    [
        (
            "homeassistant.util.loop",
            "Detected blocking call to open with args ('x',) inside the event loop by "
            "custom integration 'activitysmith' at custom_components/activitysmith/"
            "store.py, line 1: open('x')",
            "blocking",
        ),
        (
            "homeassistant.util.loop",
            "Detected blocking call to sleep inside the event loop by integration 'http'",
            "blocking",
        ),
        (
            "homeassistant.helpers.frame",
            "Detected that custom integration 'activitysmith' calls "
            "async_update_entry on an entry with an update listener at "
            "custom_components/activitysmith/config_flow.py, line 145: ... This will "
            "stop working in Home Assistant 2026.12, please report it to the author",
            "usage",
        ),
        (
            "homeassistant.helpers.frame",
            "Detected code that does something. Please report this issue",
            "other usage",
        ),
        (
            "homeassistant.helpers.frame",
            "Detected that integration 'http' ...",
            "other usage",
        ),
        ("custom_components.activitysmith", "Detected that nothing happened", None),
        ("homeassistant.setup", "Setting up activitysmith", None),
    ],
)
def test_report_kind(logger: str, message: str, kind: str | None) -> None:
    """What the filter calls each record."""
    assert bench.report_kind(logger, message) == kind


def load_slots_run() -> ModuleType:
    """bench/slots_run.py as a module (bench.py imports it from bench/ when it runs)."""
    spec = importlib.util.spec_from_file_location(
        "slots_run_under_test", ROOT / "bench/slots_run.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


slots_run = load_slots_run()
PATH = "/api/live-activity/stream/"
LEVELS = {"l1": 0, "l2": 0, "n1": 1, "n2": 1, "h": 2, "c": 3}


def put(at: float, key: str) -> tuple[float, str, str, Any]:
    """A stream PUT as the fake records it."""
    return (at, "PUT", PATH + key, {"content_state": {"title": key}})


def delete(at: float, key: str, dismiss: int = 3) -> tuple[float, str, str, Any]:
    """A stream DELETE; auto_dismiss_minutes 0 is how a preemption ends one."""
    return (
        at,
        "DELETE",
        PATH + key,
        {"content_state": {"auto_dismiss_minutes": dismiss}},
    )


def four_shown() -> tuple[list[Any], list[Any]]:
    """l1, l2, n1, n2 switched on and shown at 0-3 s (events, requests)."""
    keys = ["l1", "l2", "n1", "n2"]
    return (
        [(float(i), key, True) for i, key in enumerate(keys)],
        [put(i + 0.01, key) for i, key in enumerate(keys)],
    )


def slots_report(analysis: Any, refusals: int = 0, fake_max: int = 4) -> Any:
    """The bench's report of an analysis, as bench.slots prints it."""
    report = bench.Report()
    report.section(
        "slots",
        [
            bench.Figure(*figure)
            for figure in slots_run.figures(
                analysis,
                scale=10,
                spacing=bench.SPACING,
                slack=bench.SLOTS_SLACK,
                limit_refusals=refusals,
                fake_max_active=fake_max,
                timing=lambda target: target,
            )
        ],
        tag="slots:",
    )
    return report


def test_slots_a_clean_run_meets_every_target() -> None:
    """A high one preempts at once, the victim comes back when a slot frees."""
    events, requests = four_shown()
    events += [(70.0, "h", True), (100.0, "n1", False)]
    requests += [
        delete(70.01, "l1", 0),
        put(70.02, "h"),
        delete(100.01, "n1"),
        put(100.03, "l1"),
    ]
    analysis = slots_run.analyse(
        events, LEVELS, requests, min_shown=60, preempt_every=30
    )
    assert analysis.max_active == 4
    assert analysis.high_latencies == [pytest.approx(0.02)]
    assert analysis.high_held == 0
    # The high one after the preemption's end, l1 after n1's end.
    assert analysis.free_to_start == [pytest.approx(0.01), pytest.approx(0.02)]
    assert analysis.preemptions == [70.01]
    assert analysis.longest_free_while_due == pytest.approx(0.02)
    assert analysis.left_active == 4
    report = slots_report(analysis)
    assert report.missed == ["slots: activities_left_active_after_all_switched_off"]


def test_slots_a_high_one_held_by_the_dwell_is_counted_apart() -> None:
    """Four lower ones shown for less than the dwell: its wait is the dwell's."""
    events, requests = four_shown()
    events.append((10.0, "h", True))
    requests += [delete(60.02, "l1", 0), put(60.03, "h")]
    analysis = slots_run.analyse(
        events, LEVELS, requests, min_shown=60, preempt_every=30
    )
    assert analysis.high_latencies == []
    assert analysis.high_held == 1
    assert analysis.free_to_start == [pytest.approx(0.01)]


def test_slots_a_high_one_held_by_the_pace_is_counted_apart() -> None:
    """A preemption less than the pace ago: the next one waits for it."""
    events, requests = four_shown()
    events += [(70.0, "n2", False), (70.5, "h", True), (80.0, "c", True)]
    requests += [delete(70.1, "n2"), put(70.6, "h")]
    requests += [delete(80.1, "l1", 0), put(80.2, "c"), (81.0, "PUT", PATH + "l2", {})]
    events.append((90.0, "n1", True))  # n1 is on already: no sample, no start
    analysis = slots_run.analyse(
        events, LEVELS, requests, min_shown=60, preempt_every=30
    )
    # h started in a free slot (not four lower ones), c is critical: no high sample.
    assert analysis.high_latencies == []
    assert analysis.high_held == 0
    assert analysis.critical_preempted == 0


def test_slots_a_slot_left_free_while_one_waits_misses() -> None:
    """n1 ends, l1 waits (preempted) but starts only 2 s later: a finding."""
    events, requests = four_shown()
    events += [(70.0, "h", True), (100.0, "n1", False)]
    requests += [
        delete(70.01, "l1", 0),
        put(70.02, "h"),
        delete(100.01, "n1"),
        put(102.01, "l1"),
    ]
    analysis = slots_run.analyse(
        events, LEVELS, requests, min_shown=60, preempt_every=30
    )
    assert analysis.longest_free_while_due == pytest.approx(2.0)
    assert max(analysis.free_to_start) == pytest.approx(2.0)
    missed = slots_report(analysis, refusals=1, fake_max=5).missed
    assert missed == [
        "slots: max_active_seen_by_the_fake",
        "slots: limit_refusals (429 LiveActivityLimitError)",
        "slots: waiting_start_after_a_slot_freed_max_s",
        "slots: longest_a_slot_stayed_free_while_one_was_due_s",
        "slots: activities_left_active_after_all_switched_off",
    ]


def test_slots_a_fifth_active_and_a_preempted_critical_one_miss() -> None:
    """Counted from the wire: five streams at once, a critical one ended to make room."""
    events, requests = four_shown()
    events += [(5.0, "c", True), (70.0, "h", True)]
    requests += [put(5.01, "c"), delete(70.01, "c", 0), put(70.02, "h")]
    requests += [delete(200.0, key) for key in ("l1", "l2", "n1", "n2", "h")]
    events += [(199.0, key, False) for key in ("l1", "l2", "n1", "n2", "h", "c")]
    analysis = slots_run.analyse(
        events, LEVELS, requests, min_shown=60, preempt_every=30
    )
    assert analysis.max_active == 5
    assert analysis.critical_preempted == 1
    assert analysis.left_active == 0
    assert slots_report(analysis).missed == [
        "slots: ... the same, from the starts and ends on the wire",
        # No high one was due while four lower ones ran: the figure is not shown.
        "slots: high_due_while_4_lower_ran_max_to_the_wire_s",
        "slots: critical_activities_preempted",
    ]


def test_slots_preemptions_per_minute_and_their_gaps() -> None:
    """Half-open minutes: three preemptions exactly a pace apart are two a minute."""
    assert slots_run.most_in_window([0.0, 30.0, 60.0], 60.0) == 2
    assert slots_run.most_in_window([0.0, 20.0, 40.0], 60.0) == 3
    assert slots_run.most_in_window([], 60.0) == 0
    assert slots_run.shortest_gap([30.0, 0.0, 45.0]) == 15.0
    assert slots_run.shortest_gap([1.0]) is None
    events, requests = four_shown()
    events += [(70.0, "h", True)]
    requests += [delete(70.01, "l1", 0), put(70.02, "h")]
    requests += [delete(71.0, "l2", 0), put(71.1, "l1"), delete(72.0, "n1", 0)]
    analysis = slots_run.analyse(
        events, LEVELS, requests, min_shown=60, preempt_every=30
    )
    figures = {
        name: (value, target) for name, value, target in slots_report_figures(analysis)
    }
    assert figures["preemptions_in_any_minute_max (a minute is 6 s here)"] == (3, 2)
    assert figures["shortest gap between preemptions (s; pace 3 s)"][0] == 0.99


def slots_report_figures(analysis: Any) -> list[Any]:
    """The figures the report prints, at the default scale of 10."""
    return slots_run.figures(
        analysis,
        scale=10,
        spacing=bench.SPACING,
        slack=bench.SLOTS_SLACK,
        limit_refusals=0,
        fake_max_active=4,
        timing=lambda target: target,
    )


def test_slots_the_schedule_is_ten_minutes_of_eight_entities() -> None:
    """Every entity switches on and is off at the end; times within ten minutes."""
    names = {name for _, name, _ in slots_run.SCHEDULE}
    assert names == set(slots_run.ENTITIES)
    assert sorted(slots_run.ENTITIES.values()).count("low") == 2
    assert all(0 <= at <= slots_run.DURATION for at, _, _ in slots_run.SCHEDULE)
    last = {name: on for _, name, on in slots_run.SCHEDULE}
    assert not any(last.values())


async def test_the_fake_refuses_a_fifth_stream_as_the_spec_says(
    socket_enabled: None, aiohttp_client: Any
) -> None:
    """Four streams active; a fifth start gets the 429 LiveActivityLimitError."""
    spec = importlib.util.spec_from_file_location(
        "fake_under_test", ROOT / "bench/fake_activitysmith.py"
    )
    assert spec
    assert spec.loader
    fake_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fake_module)
    client = await aiohttp_client(fake_module.FakeActivitySmith().app())
    body = {"content_state": {"title": "t", "type": "alert", "message": "m"}}
    for key in ("a", "b", "c", "d"):
        assert (await client.put(PATH + key, json=body)).status == 200
    refused = await client.put(PATH + "e", json=body)
    assert refused.status == 429
    answer = await refused.json()
    required, known = set(LIMIT_ERROR["required"]), set(LIMIT_ERROR["properties"])
    assert required <= set(answer) <= known
    assert (answer["limit"], answer["active"]) == (4, 4)
    assert (await client.put(PATH + "a", json=body)).status == 200  # an update
    assert (await client.delete(PATH + "a")).status == 200
    assert (await client.put(PATH + "e", json=body)).status == 200
    state = await (await client.get("/_bench/live-activities")).json()
    assert state == {
        "limit": 4,
        "active": ["b", "c", "d", "e"],
        "max_active": 4,
        "refused": 1,
    }
