"""The recipient subentry flow, and picking recipients in a tracked entity's flow."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.activitysmith.recipients import SUBENTRY_TYPE

from .recipients_support import add_recipient, household
from .tracked_support import (
    StreamServer,
    add_tracked,
    quick_budget,  # noqa: F401 (a fixture)
    reconfigure_tracked,
    walk,
)

pytestmark = pytest.mark.usefixtures("quick_budget")


async def start_flow(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )


async def test_a_recipient_gets_a_device_with_its_notify_entity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Slugs are trimmed and kept once; the person is stored."""
    result = await start_flow(hass, loaded_entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": " Anna ",
            "channels": ["family", " anna ", "family", ""],
            "person": "person.anna",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Anna"
    assert result["data"] == {
        "name": "Anna",
        "channels": ["family", "anna"],
        "person": "person.anna",
    }
    await hass.async_block_till_done()
    entity = entity_registry.async_get("notify.anna_push_notification")
    assert entity is not None
    device = device_registry.async_get(entity.device_id or "")
    assert device is not None
    assert (device.name, device.model) == ("Anna", "Recipient")
    assert hass.states.get("notify.anna_push_notification") is not None


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"name": "  ", "channels": ["a"]}, {"name": "name_required"}),
        ({"name": "anna", "channels": ["a"]}, {"name": "name_taken"}),
        ({"name": "Cleo", "channels": [" "]}, {"channels": "channels_required"}),
        ({"name": "Cleo", "channels": ["my family"]}, {"channels": "invalid_channel"}),
    ],
)
async def test_bad_answers_show_the_form_again_with_the_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    answers: dict[str, Any],
    errors: dict[str, str],
) -> None:
    await add_recipient(hass, loaded_entry, "Anna", ["anna"])
    result = await start_flow(hass, loaded_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], answers
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors


async def test_reconfigure_changes_the_channels_and_keeps_its_own_name(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Its own name is not taken; dropping the person stores none."""
    recipient_id = await add_recipient(
        hass, loaded_entry, "Anna", ["anna"], "person.anna"
    )
    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, SUBENTRY_TYPE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": recipient_id},
    )
    assert result["step_id"] == "reconfigure"
    schema = result["data_schema"].schema
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested == {
        "name": "Anna",
        "channels": ["anna"],
        "person": "person.anna",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Anna", "channels": ["anna", "phones"]}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(loaded_entry.subentries[recipient_id].data) == {
        "name": "Anna",
        "channels": ["anna", "phones"],
    }


async def test_a_tracked_entity_picks_recipients_and_presence(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """The fields appear once there are recipients; the choice is stored."""
    hass.states.async_set("input_boolean.guest", "off")
    plain = await add_tracked(hass, loaded_entry, "input_boolean.guest")
    assert "recipients" not in loaded_entry.subentries[plain].data
    ids = await household(hass, loaded_entry)
    await reconfigure_tracked(
        hass,
        loaded_entry,
        plain,
        when={"recipients": [ids["anna"], ids["ben"]], "presence": "home"},
    )
    data = loaded_entry.subentries[plain].data
    assert data["recipients"] == [ids["anna"], ids["ben"]]
    assert data["presence"] == "home"


@pytest.mark.parametrize(
    ("when", "errors"),
    [
        ({"presence": "home"}, {"presence": "presence_needs_recipients"}),
        (
            {"channels": ["ops"], "recipients": ["RECIPIENT"]},
            {"recipients": "channels_or_recipients"},
        ),
    ],
)
async def test_the_tracked_flow_refuses_presence_alone_or_beside_channels(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    when: dict[str, Any],
    errors: dict[str, str],
) -> None:
    ids = await household(hass, loaded_entry)
    if "recipients" in when:
        when = {**when, "recipients": [ids["anna"]]}
    hass.states.async_set("input_boolean.guest", "off")
    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, "tracked_entity"), context={"source": SOURCE_USER}
    )
    result = await walk(hass, result, "input_boolean.guest", None, None, when)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "when"
    assert result["errors"] == errors


@pytest.fixture
def server(aioclient_mock: Any) -> StreamServer:
    return StreamServer(aioclient_mock)


async def test_a_renamed_recipient_renames_its_device(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The notify entity keeps its id; its device (and so its name) follows."""
    recipient_id = await add_recipient(hass, loaded_entry, "Anna", ["anna"])
    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, SUBENTRY_TYPE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": recipient_id},
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Annie", "channels": ["anna"]}
    )
    await hass.async_block_till_done()
    entity = entity_registry.async_get("notify.anna_push_notification")
    assert entity is not None
    device = device_registry.async_get(entity.device_id or "")
    assert device is not None
    assert device.name == "Annie"
    assert loaded_entry.subentries[recipient_id].title == "Annie"
