"""The "Add tracked entity" flow: every step pre-filled, templates checked."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.tracked.config import SUBENTRY_TYPE

from .tracked_support import (
    StreamServer,
    add_tracked,
    reconfigure_tracked,
    suggested,
    walk,
)


async def test_the_type_and_every_field_are_suggested_from_the_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A timer suggests the timer type, its name, an icon and its show states."""
    hass.states.async_set("timer.pizza", "idle", {"friendly_name": "Pizza"})
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (loaded_entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "user"
    result = await flows.async_configure(
        result["flow_id"], {"entity_id": "timer.pizza"}
    )
    assert (result["step_id"], suggested(result)) == ("type", {"type": "timer"})
    assert result["description_placeholders"] == {"entity": "Pizza"}
    result = await flows.async_configure(result["flow_id"], {"type": "timer"})
    assert result["step_id"] == "content"
    assert suggested(result) == {
        "title": "Pizza",
        "icon": "timer",
        "color": "orange",
        "duration_seconds": "{{ remaining }}",
        "is_running": "{{ state == 'active' }}",
    }
    result = await flows.async_configure(result["flow_id"], suggested(result))
    assert result["step_id"] == "when"
    when = suggested(result)
    assert (when["show_states"], when["end_states"]) == (["active", "paused"], ["idle"])
    result = await flows.async_configure(result["flow_id"], when)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Pizza"


async def test_another_type_brings_its_own_fields(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A sensor shown as progress instead of metrics still works unchanged."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("sensor.tank", "63", {"unit_of_measurement": "L"})
    await add_tracked(hass, loaded_entry, "sensor.tank", activity_type="progress")
    await loaded_entry.runtime_data.client.async_wait_for_streams()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.states()[0]["percentage"] == 63


async def test_a_template_that_does_not_parse_is_rejected_in_the_form(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The error names the field; nothing is created."""
    hass.states.async_set("sensor.tank", "63")
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (loaded_entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    result = await walk(
        hass, result, "sensor.tank", None, {"subtitle": "{{ states('x') "}, None
    )
    assert (result["step_id"], result["errors"]) == (
        "content",
        {"subtitle": "invalid_template"},
    )
    result = await flows.async_configure(
        result["flow_id"], {**suggested(result), "subtitle": "ok"}
    )
    result = await flows.async_configure(
        result["flow_id"], {**suggested(result), "show_template": "{% if %}"}
    )
    assert result["errors"] == {"show_template": "invalid_template"}
    assert loaded_entry.subentries == {}


async def test_reconfigure_can_pick_another_entity_with_its_own_defaults(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The form starts from the current values; a new entity brings new defaults."""
    StreamServer(aioclient_mock)
    hass.states.async_set("input_boolean.a", "off", {"friendly_name": "A"})
    hass.states.async_set("sensor.level", "10", {"unit_of_measurement": "%"})
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.a")
    result = await reconfigure_tracked(
        hass, loaded_entry, subentry_id, entity_id="sensor.level"
    )
    assert result["reason"] == "reconfigure_successful"
    subentry = loaded_entry.subentries[subentry_id]
    assert subentry.data["entity_id"] == "sensor.level"
    assert subentry.data["type"] == "progress"
    assert subentry.title == "level"


@pytest.mark.parametrize(
    ("button", "errors"),
    [
        ({"button_title": "Lock"}, {"button_action": "invalid_action_id"}),
        ({"button_action": "lock_door"}, {"button_title": "button_needs_title"}),
        (
            {"button_title": "Lock", "button_action": "lock door!"},
            {"button_action": "invalid_action_id"},
        ),
    ],
)
async def test_a_button_needs_a_title_and_a_valid_action_id(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    button: dict[str, str],
    errors: dict[str, str],
) -> None:
    """The form says which half of the button is missing or wrong."""
    hass.states.async_set("input_boolean.door", "off")
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (loaded_entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    result = await walk(hass, result, "input_boolean.door", None, None, button)
    assert (result["step_id"], result["errors"]) == ("when", errors)
