"""The app badge from the UI: a count of entities, or a template, on the app icon."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.activitysmith.metrics.config import BADGE_SUBENTRY_TYPE

from .metrics_support import (
    MetricServer,
    add_badge,
    no_spacing,  # noqa: F401 (a fixture)
    pass_seconds,
)
from .tracked_support import suggested

pytestmark = pytest.mark.usefixtures("no_spacing")

WINDOWS = ["binary_sensor.kitchen", "binary_sensor.bedroom", "binary_sensor.attic"]
BADGE_SENSOR = "sensor.app_badge_badge_sent"


@pytest.fixture
def server(aioclient_mock: AiohttpClientMocker) -> MetricServer:
    return MetricServer(aioclient_mock)


def windows(hass: HomeAssistant, *states: str) -> None:
    for entity_id, state in zip(WINDOWS, states, strict=True):
        hass.states.async_set(entity_id, state, {"device_class": "window"})


async def test_the_badge_counts_the_entities_in_the_states_that_count(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Open windows add one each; unavailable ones do not count; 0 clears it."""
    windows(hass, "on", "off", "off")
    result, _ = await add_badge(hass, loaded_entry, entities=WINDOWS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert server.badges == [1]
    windows(hass, "on", "on", "unavailable")
    await pass_seconds(hass, freezer, 2)
    assert server.badges == [1, 2]
    windows(hass, "unavailable", "on", "on")
    await pass_seconds(hass, freezer, 2)
    assert server.badges == [1, 2]  # still two: nothing sent
    windows(hass, "off", "off", "off")
    await pass_seconds(hass, freezer, 2)
    assert server.badges == [1, 2, 0]
    state = hass.states.get(BADGE_SENSOR)
    assert state.state == "0"
    assert state.attributes["counted"] == 0


async def test_a_burst_of_changes_sends_the_newest_count(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Coalesced: three changes within a second are one badge."""
    windows(hass, "off", "off", "off")
    await add_badge(hass, loaded_entry, entities=WINDOWS)
    windows(hass, "on", "off", "off")
    windows(hass, "on", "on", "off")
    windows(hass, "on", "on", "on")
    await pass_seconds(hass, freezer, 2)
    assert server.badges == [0, 3]


async def test_other_states_can_count(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """For example the locks that are unlocked."""
    hass.states.async_set("lock.front", "unlocked")
    hass.states.async_set("lock.back", "locked")
    await add_badge(
        hass,
        loaded_entry,
        entities=["lock.front", "lock.back", "lock.gone"],
        count_states=["unlocked"],
    )
    assert server.badges == [1]


async def test_a_template_counts(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every window that is open, whichever they are."""
    windows(hass, "on", "on", "off")
    await add_badge(
        hass,
        loaded_entry,
        count_template=(
            "{{ states.binary_sensor | selectattr('attributes.device_class', 'eq', "
            "'window') | selectattr('state', 'eq', 'on') | list | count }}"
        ),
    )
    assert server.badges == [2]
    hass.states.async_set("binary_sensor.hall", "on", {"device_class": "window"})
    await pass_seconds(hass, freezer, 2)
    assert server.badges == [2, 3]


@pytest.mark.parametrize(
    ("rendered", "problem"),
    [
        ("many", "expected a number"),
        ("-1", "must be at least 0"),
        ("2.5", "expected a whole number"),
        ("99999999999", "value must be at most 2147483647"),
    ],
)
async def test_a_template_that_gives_no_count_shows_on_the_sensor(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
    rendered: str,
    problem: str,
) -> None:
    """Nothing is sent; the sentence says what it got."""
    hass.states.async_set("input_text.count", "1")
    await add_badge(
        hass, loaded_entry, count_template="{{ states('input_text.count') }}"
    )
    hass.states.async_set("input_text.count", rendered)
    await pass_seconds(hass, freezer, 2)
    assert server.badges == [1]
    assert hass.states.get(BADGE_SENSOR).attributes["error"] == (
        "The app badge needs a whole number from 0 to 2147483647, but its template "
        f'gave "{rendered}" ({problem}).'
    )


async def test_a_badge_error_of_the_api_reaches_the_sensor(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """A 422 with no device to update is a sentence."""
    server.failures = [
        {
            "status": 502,
            "json": {
                "error": "Badge update failed",
                "code": "badge_update_failed",
                "message": "APNs refused",
                "badge": 1,
                "devices_updated": 0,
            },
        }
    ] * 3
    windows(hass, "on", "off", "off")
    await add_badge(hass, loaded_entry, entities=WINDOWS)
    error = hass.states.get(BADGE_SENSOR).attributes["error"]
    assert "0" in error
    assert "{" not in error


async def test_only_one_badge_per_entry(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """The second is refused: there is one app icon."""
    windows(hass, "off", "off", "off")
    await add_badge(hass, loaded_entry, entities=WINDOWS)
    result, _ = await add_badge(hass, loaded_entry, entities=WINDOWS)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "badge_already_configured"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"base": "badge_counts_nothing"}),
        (
            {"entities": WINDOWS, "count_states": []},
            {"count_states": "badge_needs_states"},
        ),
        ({"count_template": "{{ 1 "}, {"count_template": "invalid_template"}),
        (
            {"count_template": "{{ 'three' }}"},
            {"count_template": "template_not_a_count"},
        ),
        ({"count_template": "{{ -2 }}"}, {"count_template": "template_not_a_count"}),
    ],
)
async def test_the_badge_form_says_what_is_wrong(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    data: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """And creates nothing."""
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (loaded_entry.entry_id, BADGE_SUBENTRY_TYPE), context={"source": "user"}
    )
    values = {**suggested(result), **data}
    result = await flows.async_configure(result["flow_id"], values)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert server.badges == []


async def test_reconfigure_changes_what_counts_in_place(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """From the windows to a fixed template: sent at once, no reload."""
    windows(hass, "on", "off", "off")
    _, subentry_id = await add_badge(hass, loaded_entry, entities=WINDOWS)
    runtime = loaded_entry.runtime_data
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (loaded_entry.entry_id, BADGE_SUBENTRY_TYPE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert suggested(result)["entities"] == WINDOWS
    result = await flows.async_configure(
        result["flow_id"], {"entities": [], "count_template": "{{ 7 }}"}
    )
    assert result["reason"] == "reconfigure_successful"
    await pass_seconds(hass, freezer, 2)
    assert server.badges == [1, 7]
    assert loaded_entry.runtime_data is runtime


async def test_removing_the_badge_clears_the_app_icon(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """A number nothing keeps up to date is not left behind."""
    windows(hass, "on", "on", "off")
    _, subentry_id = await add_badge(hass, loaded_entry, entities=WINDOWS)
    assert subentry_id is not None
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.badges == [2, 0]
    assert hass.states.get(BADGE_SENSOR) is None


async def test_removing_a_badge_that_shows_nothing_sends_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """It already shows 0."""
    windows(hass, "off", "off", "off")
    _, subentry_id = await add_badge(hass, loaded_entry, entities=WINDOWS)
    assert subentry_id is not None
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.badges == [0]


async def test_a_failed_clear_is_logged(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As a sentence; the removal goes on."""
    windows(hass, "on", "off", "off")
    _, subentry_id = await add_badge(hass, loaded_entry, entities=WINDOWS)
    assert subentry_id is not None
    server.failures = [
        {"status": 403, "json": {"error": "Forbidden", "message": "key lacks scope"}}
    ]
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not clear the app badge" in caplog.text
    assert "key lacks scope" in caplog.text
    assert subentry_id not in loaded_entry.subentries


async def test_diagnostics_show_what_the_badge_counts(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
) -> None:
    """Its entities, states, and the count now."""
    windows(hass, "on", "on", "off")
    _, subentry_id = await add_badge(hass, loaded_entry, entities=WINDOWS)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    badge = diagnostics["metrics"][subentry_id]
    assert badge["entities"] == WINDOWS
    assert badge["count_states"] == ["on"]
    assert badge["template"] is False
    assert badge["counted"] == 2
    assert badge["last_sent"]["value"] == 2
