"""The flow's run condition: presets pre-filled and editable, bad input refused."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.const import Priority
from custom_components.activitysmith.tracked.config import SUBENTRY_TYPE
from custom_components.activitysmith.tracked.defaults import DEFAULTS, default_for

from .tracked_support import (
    StreamServer,
    add_tracked,
    reconfigure_tracked,
    suggested,
    walk,
)

POWER_ATTRIBUTES = {"device_class": "power", "unit_of_measurement": "W"}
MINUTE = {"hours": 0, "minutes": 1, "seconds": 0}


async def start_flow(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )


async def test_a_power_sensor_gets_the_appliance_run_preset(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Above 5 W for 1 min, below 2 W for 3 min, an elapsed timer, a push, normal."""
    hass.states.async_set("sensor.washer_power", "0", POWER_ATTRIBUTES)
    flows = hass.config_entries.subentries
    result = await start_flow(hass, loaded_entry)
    result = await flows.async_configure(
        result["flow_id"], {"entity_id": "sensor.washer_power"}
    )
    assert suggested(result) == {"type": "timer"}
    result = await flows.async_configure(result["flow_id"], suggested(result))
    assert suggested(result)["counts_down"] == "false"
    result = await flows.async_configure(result["flow_id"], suggested(result))
    assert (result["step_id"], suggested(result)["condition"]) == ("when", "above")
    result = await flows.async_configure(result["flow_id"], suggested(result))
    run = suggested(result)
    assert run == {
        "start_threshold": "5",
        "start_for": MINUTE,
        "end_threshold": "2",
        "end_for": {"hours": 0, "minutes": 3, "seconds": 0},
    }
    result = await flows.async_configure(result["flow_id"], run)
    assert result["step_id"] == "done"
    done = suggested(result)
    assert (done["done_push"], done["push_message"], done["done_message"]) == (
        True,
        "{{ run_summary }}",
        "{{ run_summary }}",
    )
    result = await flows.async_configure(result["flow_id"], done)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert (data["start_threshold"], data["start_for"], data["end_for"]) == (
        5.0,
        60.0,
        180.0,
    )
    assert data["priority"] == "normal"


async def test_the_preset_is_editable_and_states_can_replace_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Other thresholds are kept; choosing states drops every run field."""
    StreamServer(aioclient_mock)
    hass.states.async_set("sensor.dryer_power", "0", POWER_ATTRIBUTES)
    subentry_id = await add_tracked(
        hass,
        loaded_entry,
        "sensor.dryer_power",
        run={"start_threshold": "50", "end_threshold": "10.5", "end_for": MINUTE},
    )
    data = loaded_entry.subentries[subentry_id].data
    assert (data["start_threshold"], data["end_threshold"], data["end_for"]) == (
        50.0,
        10.5,
        60.0,
    )
    result = await reconfigure_tracked(
        hass, loaded_entry, subentry_id, when={"condition": "states"}
    )
    assert result["reason"] == "reconfigure_successful"
    data = loaded_entry.subentries[subentry_id].data
    assert not {"condition", "start_threshold", "done_push"} & set(data)


@pytest.mark.parametrize(
    ("when", "errors"),  # the condition (when step) and the run step's fields
    [
        (
            {"start_threshold": "lots", "end_threshold": ""},
            {
                "start_threshold": "threshold_not_a_number",
                "end_threshold": "threshold_not_a_number",
            },
        ),
        (
            {"start_for": {"hours": 0, "minutes": 0, "seconds": 0}},
            {"start_for": "invalid_duration"},
        ),
        (
            {"end_for": {"hours": 25, "minutes": 0, "seconds": 0}},
            {"end_for": "invalid_duration"},
        ),
        ({"end_threshold": "8"}, {"end_threshold": "hysteresis_impossible"}),
        (
            {"condition": "below", "start_threshold": "5", "end_threshold": "2"},
            {"end_threshold": "hysteresis_impossible"},
        ),
        ({"run_value": "{{ 'idle' }}"}, {"run_value": "value_not_a_number"}),
        ({"run_value": "{{ states("}, {"run_value": "invalid_template"}),
        ({"run_value": "{{ 1 / 0 }}"}, {"run_value": "value_not_a_number"}),
        (
            {
                "condition": "changing",
                "changed_within": {"hours": 0, "minutes": 0, "seconds": 0},
            },
            {"changed_within": "invalid_duration"},
        ),
    ],
)
async def test_bad_run_input_is_a_form_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    when: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each field says what is wrong with it; nothing is created."""
    hass.states.async_set("sensor.washer_power", "0", POWER_ATTRIBUTES)
    result = await start_flow(hass, loaded_entry)
    run = dict(when)
    condition = {"condition": run.pop("condition")} if "condition" in run else None
    result = await walk(
        hass, result, "sensor.washer_power", None, None, condition, run=run
    )
    assert (result["step_id"], result["errors"]) == ("run", errors)
    assert loaded_entry.subentries == {}


async def test_a_run_of_a_state_that_is_not_a_number_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A switch cannot be above 5; an unavailable entity is not judged."""
    hass.states.async_set("switch.pump", "on")
    result = await start_flow(hass, loaded_entry)
    run = {"start_threshold": "5", "end_threshold": "2"}
    result = await walk(
        hass, result, "switch.pump", None, None, {"condition": "above"}, run=run
    )
    assert result["errors"] == {"run_value": "value_not_a_number"}
    hass.states.async_set("switch.pump", "unavailable")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**suggested(result), **run}
    )
    assert result["step_id"] == "done"


async def test_a_bad_push_button_or_template_is_a_form_error(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The done step checks its templates and its button."""
    hass.states.async_set("sensor.washer_power", "0", POWER_ATTRIBUTES)
    result = await start_flow(hass, loaded_entry)
    done = {"push_title": "{{ name", "push_button_action": "dryer"}
    result = await walk(
        hass, result, "sensor.washer_power", None, None, None, done=done
    )
    assert (result["step_id"], result["errors"]) == (
        "done",
        {"push_title": "invalid_template", "push_button_title": "button_needs_title"},
    )


@pytest.mark.parametrize(
    ("state", "priority", "condition"),
    [
        (State("timer.pizza", "idle"), Priority.NORMAL, None),
        (State("sensor.washer_power", "0", POWER_ATTRIBUTES), Priority.NORMAL, "above"),
        (
            State("sensor.battery", "80", {"device_class": "battery"}),
            Priority.LOW,
            "changing",
        ),
        (
            State("sensor.level", "50", {"unit_of_measurement": "%"}),
            Priority.LOW,
            "changing",
        ),
        (State("input_number.level", "5"), Priority.LOW, "changing"),
        (
            State("sensor.indoor", "21.5", {"unit_of_measurement": "°C"}),
            Priority.LOW,
            None,
        ),
        (State("binary_sensor.door", "off"), Priority.NORMAL, None),
        (State("input_boolean.guest", "off"), Priority.NORMAL, None),
        (State("switch.pump", "off"), Priority.NORMAL, None),
        (State("vacuum.robot", "docked"), Priority.NORMAL, None),
        (State("lawn_mower.mow", "docked"), Priority.NORMAL, None),
        (State("media_player.tv", "off"), Priority.NORMAL, None),
        (State("sensor.stage", "rinse", {"device_class": "enum"}), Priority.LOW, None),
        (State("weather.home", "sunny"), Priority.LOW, None),
    ],
)
def test_every_default_row_ends_by_itself_or_is_priority_low(
    state: State, priority: Priority, condition: str | None
) -> None:
    """Nothing stays on the Lock Screen forever by default, at normal priority."""
    row = default_for(state)
    assert (row.priority, row.run.get("condition")) == (priority, condition)
    ends_by_itself = bool(row.end_states or row.run)
    assert ends_by_itself or row.priority is Priority.LOW


def test_the_table_above_covers_every_row() -> None:
    """A new row needs a line in the table of the test above."""
    assert len(DEFAULTS) == 10


async def test_a_run_without_durations_or_with_an_endless_threshold_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Durations left empty are no durations; inf is no threshold."""
    hass.states.async_set("sensor.washer_power", "0", POWER_ATTRIBUTES)
    result = await start_flow(hass, loaded_entry)
    flows = hass.config_entries.subentries
    for answer in ({"entity_id": "sensor.washer_power"}, None, None, None):
        result = await flows.async_configure(
            result["flow_id"], answer or suggested(result)
        )
    assert result["step_id"] == "run"
    result = await flows.async_configure(
        result["flow_id"], {"start_threshold": "inf", "end_threshold": "2"}
    )
    assert result["errors"] == {
        "start_threshold": "threshold_not_a_number",
        "start_for": "invalid_duration",
        "end_for": "invalid_duration",
    }
