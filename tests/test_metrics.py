"""Widget metrics from the UI: an entity's rounded number on an ActivitySmith widget."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.activitysmith.const import DOMAIN

from .metrics_support import (
    MetricServer,
    add_metric,
    no_spacing,  # noqa: F401 (a fixture)
    pass_seconds,
    reconfigure_metric,
)

pytestmark = pytest.mark.usefixtures("no_spacing")

SENSOR = "sensor.indoor_temperature"
METRIC_SENSOR = "sensor.indoor_temperature_last_value_sent"


@pytest.fixture
def server(aioclient_mock: AiohttpClientMocker) -> MetricServer:
    return MetricServer(aioclient_mock)


def indoor(hass: HomeAssistant, state: str) -> None:
    hass.states.async_set(SENSOR, state, {"friendly_name": "Indoor temperature"})


async def test_the_rounded_value_is_sent_and_an_unchanged_one_is_not(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """21.46 at one decimal is 21.5; 21.54 is still 21.5; 21.56 is 21.6."""
    indoor(hass, "21.46")
    await add_metric(hass, loaded_entry, SENSOR, decimals=1, interval=5)
    assert server.metrics == [("indoor_temperature", 21.5)]
    indoor(hass, "21.54")
    await pass_seconds(hass, freezer, 6)
    assert server.values() == [21.5]
    indoor(hass, "21.56")
    await pass_seconds(hass, freezer, 6)
    assert server.values() == [21.5, 21.6]
    state = hass.states.get(METRIC_SENSOR)
    assert state.state == "21.6"
    assert state.attributes["metric_key"] == "indoor_temperature"
    assert state.attributes["entity_id"] == SENSOR
    assert state.attributes["sent_at"] is not None


async def test_zero_decimals_send_whole_numbers(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """A whole number goes as one (21, not 21.0)."""
    indoor(hass, "20.7")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0)
    assert server.values() == [21]
    assert isinstance(server.values()[0], int)


async def test_changes_within_the_interval_are_coalesced_the_newest_wins(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One send per interval at most: the changes in between go as the last of them."""
    indoor(hass, "1")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=60)
    for value in ("2", "3", "4"):
        indoor(hass, value)
        await hass.async_block_till_done()
    await pass_seconds(hass, freezer, 59)
    assert server.values() == [1]
    await pass_seconds(hass, freezer, 1)
    assert server.values() == [1, 4]


async def test_a_change_back_to_the_value_sent_cancels_what_waits(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """1, then 2 and back to 1 within the interval: the widget already shows 1."""
    indoor(hass, "1")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=10)
    indoor(hass, "2")
    indoor(hass, "1")
    await pass_seconds(hass, freezer, 12)
    assert server.values() == [1]


@pytest.mark.parametrize("held", ["unavailable", "unknown"])
async def test_unavailable_and_unknown_hold_the_last_value(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
    held: str,
) -> None:
    """Nothing is sent and no error shows while the entity has no value."""
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=1)
    indoor(hass, held)
    await pass_seconds(hass, freezer, 3)
    assert server.values() == [20]
    state = hass.states.get(METRIC_SENSOR)
    assert state.state == "20"
    assert "error" not in state.attributes
    indoor(hass, "22")
    await pass_seconds(hass, freezer, 2)
    assert server.values() == [20, 22]


@pytest.mark.parametrize(
    ("changed_while_down", "expected"), [(False, [20]), (True, [20, 23])]
)
async def test_a_restart_sends_the_value_once_if_it_differs_from_the_last_sent(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    changed_while_down: bool,
    expected: list[int],
) -> None:
    """The last value sent is kept in the store across the restart."""
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    indoor(hass, "23" if changed_while_down else "20")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.values() == expected
    assert hass.states.get(METRIC_SENSOR).state == str(expected[-1])


async def test_the_last_value_sent_is_read_back_from_the_store(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What the store file holds is what the sensor shows after a restart."""
    indoor(hass, "20")
    subentry_id = await add_metric(hass, loaded_entry, SENSOR, decimals=0)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}.metrics"]
    assert stored["data"]["sources"][subentry_id]["value"] == 20
    stored["data"]["sources"][subentry_id]["value"] = 19
    stored["data"]["sources"]["NOT-A-LINE"] = "garbage"
    stored["data"]["sources"]["A-BOOLEAN"] = {"value": True}
    stored["data"]["sources"]["NOT-FINITE"] = {"value": float("inf")}
    stored["data"]["sources"]["REMOVED-WHILE-DOWN"] = {"value": 3}
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.values() == [20, 20]  # 19 was "last sent": 20 differs
    assert "Ignored 3 unreadable lines of the metrics kept" in caplog.text
    # The line of a widget metric removed while the entry was not running goes too.
    assert loaded_entry.runtime_data.metrics.ledger.known() == {subentry_id}


async def test_reconfigure_applies_in_place_without_a_reload(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """More decimals send the finer value; a new key gets the value at once."""
    indoor(hass, "20.44")
    subentry_id = await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=1)
    runtime = loaded_entry.runtime_data
    result = await reconfigure_metric(hass, loaded_entry, subentry_id, decimals=1)
    assert result["reason"] == "reconfigure_successful"
    await pass_seconds(hass, freezer, 2)
    assert server.metrics == [("indoor_temperature", 20), ("indoor_temperature", 20.4)]
    await reconfigure_metric(hass, loaded_entry, subentry_id, key="living.temp")
    await pass_seconds(hass, freezer, 2)
    assert server.metrics[-1] == ("living.temp", 20.4)
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is runtime  # never reloaded


async def test_removing_a_widget_metric_stops_it_and_removes_its_device(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    device_registry: dr.DeviceRegistry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Nothing more is sent; its line in the store and its sensor go."""
    indoor(hass, "20")
    subentry_id = await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=1)
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, subentry_id), loaded_entry.entry_id
        )
        is not None
    )
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    indoor(hass, "25")
    await pass_seconds(hass, freezer, 3)
    assert server.values() == [20]
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, subentry_id), loaded_entry.entry_id
        )
        is None
    )
    assert hass.states.get(METRIC_SENSOR) is None
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}.metrics"]
    assert subentry_id not in stored["data"]["sources"]


async def test_removing_a_widget_metric_while_its_send_is_on_the_wire(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The late answer records nothing for the removed metric."""
    indoor(hass, "20")
    subentry_id = await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=1)
    server.gate = asyncio.Event()
    indoor(hass, "21")
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert server.values() == [20, 21]  # on the wire, not answered yet
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done()
    server.gate.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.values() == [20, 21]
    assert loaded_entry.runtime_data.metrics.ledger.known() == set()


async def test_removing_the_entry_deletes_what_its_metrics_kept(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    hass_storage: dict[str, Any],
) -> None:
    """No store of a removed entry stays behind."""
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert f"{DOMAIN}.{loaded_entry.entry_id}.metrics" in hass_storage
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{loaded_entry.entry_id}.metrics" not in hass_storage


async def test_a_value_template_renders_the_number_of_any_entity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A climate's current temperature, from its attributes."""
    hass.states.async_set("climate.hall", "heat", {"current_temperature": 19.25})
    await add_metric(
        hass,
        loaded_entry,
        "climate.hall",
        decimals=1,
        interval=1,
        value_template="{{ state_attr(entity_id, 'current_temperature') }}",
    )
    hass.states.async_set("climate.hall", "heat", {"current_temperature": 20.01})
    await pass_seconds(hass, freezer, 2)
    assert server.metrics == [("hall", 19.2), ("hall", 20.0)]


@pytest.mark.parametrize(
    ("rendered", "problem"),
    [
        ("warm", "expected a number"),
        ("1e20", "must be at most 1e+15"),
        ("-1e20", "must be at least -1e+15"),
        ("inf", "expected a finite number"),
    ],
)
async def test_a_value_that_is_no_number_shows_on_the_sensor_and_is_not_sent(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    rendered: str,
    problem: str,
) -> None:
    """The sensor's error is a sentence; a good value later clears it."""
    hass.states.async_set("input_text.reading", "12")
    await add_metric(
        hass,
        loaded_entry,
        "input_text.reading",
        decimals=0,
        interval=1,
        value_template="{{ states('input_text.reading') }}",
    )
    hass.states.async_set("input_text.reading", rendered)
    await pass_seconds(hass, freezer, 2)
    assert server.values() == [12]
    sensor = "sensor.reading_last_value_sent"
    error = hass.states.get(sensor).attributes["error"]
    assert error == (
        f'The widget metric reading needs a number, but got "{rendered}" ({problem}).'
    )
    assert error in caplog.text
    hass.states.async_set("input_text.reading", "-4")
    await pass_seconds(hass, freezer, 2)
    assert server.values() == [12, -4]  # negative readings are readings
    assert "error" not in hass.states.get(sensor).attributes


async def test_a_metric_error_of_the_api_reaches_the_sensor_and_the_log(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 400 MetricError is a sentence; the next accepted send clears it."""
    server.failures = [
        {"status": 400, "json": {"error": "Bad request", "message": "value too long"}}
    ]
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=1)
    state = hass.states.get(METRIC_SENSOR)
    assert state.state == "unknown"
    assert "value too long" in state.attributes["error"]
    assert "value too long" in caplog.text
    indoor(hass, "21")
    await pass_seconds(hass, freezer, 2)
    state = hass.states.get(METRIC_SENSOR)
    assert state.state == "21"
    assert "error" not in state.attributes


async def test_an_unknown_metric_key_says_to_create_it_first(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """A 404 names the key, as the update_metric_value action does."""
    server.failures = [
        {"status": 404, "json": {"error": "Not found", "message": "no metric"}}
    ]
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0)
    assert hass.states.get(METRIC_SENSOR).attributes["error"] == (
        "There is no widget metric with the key indoor_temperature. Create it in the "
        "ActivitySmith web app first."
    )


async def test_a_transient_failure_is_tried_again_after_the_interval(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 503 (after the client's own retries) goes again once the interval is up."""
    server.failures = [{"status": 503, "json": {"error": "down"}}] * 3
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=30)
    assert "error" in hass.states.get(METRIC_SENSOR).attributes
    await pass_seconds(hass, freezer, 29)
    assert server.values() == [20, 20, 20]
    await pass_seconds(hass, freezer, 1)
    assert server.values() == [20, 20, 20, 20]
    assert hass.states.get(METRIC_SENSOR).state == "20"


async def test_metrics_share_their_allowance_fairly(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Under a spent budget, each due metric gets its turn before any goes twice."""
    for index in range(3):
        hass.states.async_set(f"sensor.m{index}", "0")
        await add_metric(hass, loaded_entry, f"sensor.m{index}", decimals=0, interval=1)
    budget = loaded_entry.runtime_data.client.budget
    budget.set_allowance("metrics", 2, 6)  # two sends every six seconds
    for step in range(1, 5):
        for index in range(3):
            hass.states.async_set(f"sensor.m{index}", str(step))
        await pass_seconds(hass, freezer, 1)
    await pass_seconds(hass, freezer, 20)
    keys = [key for key, _ in server.metrics[3:]]
    assert sorted(keys[:3]) == ["m0", "m1", "m2"]
    # Each metric's last value is the newest, whatever the order.
    assert dict(server.metrics) == {
        "m0": 4,
        "m1": 4,
        "m2": 4,
    }
    assert budget.used_in_window("metrics") <= 2


async def test_metrics_never_spend_the_live_activity_allowance(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """The metrics allowance is their own: streams keep all of theirs."""
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0)
    budget = loaded_entry.runtime_data.client.budget
    assert budget.used_in_window("metrics") == 1
    assert budget.used_in_window("live-activities") == 1  # the key check alone


async def test_a_deleted_entity_raises_a_repair_that_removes_the_widget_metric(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """As for a tracked entity: the fix flow removes the subentry."""
    entity = entity_registry.async_get_or_create("sensor", "demo", "temp-1")
    hass.states.async_set(entity.entity_id, "20")
    subentry_id = await add_metric(hass, loaded_entry, entity.entity_id, decimals=0)
    entity_registry.async_remove(entity.entity_id)
    hass.states.async_remove(entity.entity_id)
    await hass.async_block_till_done()
    issue_id = f"tracked_metric_missing_{subentry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "tracked_metric_missing"
    await async_setup_component(hass, "repairs", {})
    from homeassistant.components.repairs import repairs_flow_manager  # noqa: PLC0415

    flow = await repairs_flow_manager(hass).async_init(
        DOMAIN, data={"issue_id": issue_id}
    )
    await repairs_flow_manager(hass).async_configure(flow["flow_id"], {})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert subentry_id not in loaded_entry.subentries
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_missing_entity_is_raised_again_after_a_restart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    """And withdrawn once the entity is back."""
    indoor(hass, "20")
    subentry_id = await add_metric(hass, loaded_entry, SENSOR, decimals=0)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    hass.states.async_remove(SENSOR)
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"tracked_metric_missing_{subentry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    indoor(hass, "20")
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_renamed_entity_is_followed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    entity_registry: er.EntityRegistry,
) -> None:
    """A new entity id is written into the widget metric."""
    entity = entity_registry.async_get_or_create("sensor", "demo", "temp-2")
    hass.states.async_set(entity.entity_id, "20")
    subentry_id = await add_metric(hass, loaded_entry, entity.entity_id, decimals=0)
    entity_registry.async_update_entity(entity.entity_id, new_entity_id="sensor.hall")
    await hass.async_block_till_done()
    assert loaded_entry.subentries[subentry_id].data["entity_id"] == "sensor.hall"


async def test_diagnostics_list_the_metrics_and_their_last_send(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
) -> None:
    """What each follows, its key and what it last sent."""
    indoor(hass, "20")
    subentry_id = await add_metric(hass, loaded_entry, SENSOR, decimals=0)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    metric = diagnostics["metrics"][subentry_id]
    assert metric["key"] == "indoor_temperature"
    assert metric["last_sent"]["value"] == 20
    assert metric["waiting"] is None


async def test_a_value_waiting_when_the_entry_unloads_goes_after_the_restart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Not from the stopped entry when its interval is up, but once it is back."""
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=30)
    indoor(hass, "21")
    await hass.async_block_till_done()
    assert (
        loaded_entry.runtime_data.metrics.metric_sender.waiting(
            next(iter(loaded_entry.subentries))
        )
        == 21
    )
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await pass_seconds(hass, freezer, 31)
    assert server.values() == [20]
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.values() == [20, 21]


async def test_a_failed_send_of_a_value_changed_back_sends_nothing_more(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """20 sent, 21 fails while the state went back to 20: the widget shows 20."""
    indoor(hass, "20")
    await add_metric(hass, loaded_entry, SENSOR, decimals=0, interval=1)
    server.gate = asyncio.Event()
    server.failures = [{"status": 400, "json": {"error": "Bad request"}}]
    indoor(hass, "21")
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    indoor(hass, "20")
    server.gate.set()
    await pass_seconds(hass, freezer, 3)
    assert server.values() == [20, 21]
    assert hass.states.get(METRIC_SENSOR).state == "20"


async def test_a_template_that_renders_unavailable_holds(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """As the entity's own state would: nothing sent, no error."""
    hass.states.async_set("sensor.source", "5")
    hass.states.async_set("climate.hall", "heat")
    await add_metric(
        hass,
        loaded_entry,
        "climate.hall",
        decimals=0,
        interval=1,
        value_template="{{ states('sensor.source') }}",
    )
    hass.states.async_set("sensor.source", "unavailable")
    await pass_seconds(hass, freezer, 2)
    assert server.values() == [5]
    assert "error" not in hass.states.get("sensor.hall_last_value_sent").attributes
