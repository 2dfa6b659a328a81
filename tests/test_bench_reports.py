"""The bench's log filter (scripts/bench, scripts/check-ha-release) catches what it is for.

The smoke run fails on a "Detected blocking call" warning and on a usage report that
Home Assistant's frame helper makes about the integration; these tests feed it the real
records of the Home Assistant the tests pin, and the bench's verdict with them.
"""

from __future__ import annotations

from collections.abc import Generator
import importlib.util
import logging
from pathlib import Path
import sys
from types import ModuleType
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

ROOT = Path(__file__).resolve().parents[1]
ODD = "does something odd on purpose"


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
