"""Recipients of tracked entities: who gets a run, nobody home, removed recipients."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.const import DOMAIN

from .recipients_support import add_recipient, household
from .tracked_support import (
    StreamServer,
    add_tracked,
    quick_budget,  # noqa: F401 (a fixture)
    settle,
)

pytestmark = pytest.mark.usefixtures("quick_budget")
GUEST = "input_boolean.guest"
SENSOR = "sensor.guest_live_activity"


@pytest.fixture
def server(aioclient_mock: AiohttpClientMocker) -> StreamServer:
    return StreamServer(aioclient_mock)


async def track_guest(
    hass: HomeAssistant, entry: MockConfigEntry, recipients: list[str], presence: str
) -> str:
    """The guest switch as an alert whose subtitle is the number of guests."""
    hass.states.async_set(GUEST, "off")
    hass.states.async_set("sensor.guests", "1")
    when: dict[str, Any] = {"recipients": recipients, "presence": presence}
    content = {"subtitle": "{{ states('sensor.guests') }}"}
    subentry_id = await add_tracked(hass, entry, GUEST, content=content, when=when)
    await settle(hass, entry)
    return subentry_id


def put_channels(server: StreamServer) -> list[Any]:
    return [body.get("channels") for body in server.sent("PUT") if body]


async def test_a_run_nobody_is_home_for_waits_and_starts_when_someone_comes_home(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """Nothing is sent (the sensor says why); Anna's arrival starts it, for her."""
    ids = await household(hass, loaded_entry)
    hass.states.async_set("person.anna", "not_home")
    await track_guest(hass, loaded_entry, [ids["anna"], ids["ben"]], "home")
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    assert server.received == []
    state = hass.states.get(SENSOR)
    assert state is not None
    assert state.attributes["not_sent"] == "nobody_home"
    hass.states.async_set("person.anna", "home")
    await settle(hass, loaded_entry)
    assert put_channels(server) == [["family", "anna"]]
    state = hass.states.get(SENSOR)
    assert state is not None
    assert "not_sent" not in state.attributes


async def test_a_recipient_given_another_person_is_followed_by_its_tracked_entities(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """Anna's recipient now names Carla (home): the waiting run starts for her at once,
    and Anna's comings and goings no longer matter; Carla's do."""
    ids = await household(hass, loaded_entry)
    hass.states.async_set("person.anna", "not_home")
    hass.states.async_set("person.carla", "not_home")
    await track_guest(hass, loaded_entry, [ids["anna"]], "home")
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    assert server.received == []
    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, "recipient"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": ids["anna"]},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"name": "Anna", "channels": ["family", "anna"], "person": "person.carla"},
    )
    assert result["reason"] == "reconfigure_successful"
    await settle(hass, loaded_entry)
    assert server.received == []  # Carla is not home either
    hass.states.async_set("person.anna", "home")
    await settle(hass, loaded_entry)
    assert server.received == []  # Anna's person is no longer followed
    hass.states.async_set("person.carla", "home")
    await settle(hass, loaded_entry)
    assert put_channels(server) == [["family", "anna"]]


async def test_a_recipients_new_person_who_is_home_starts_the_waiting_run_at_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """No state change is needed: the change of recipient is enough to look again."""
    ids = await household(hass, loaded_entry)
    hass.states.async_set("person.anna", "not_home")
    hass.states.async_set("person.carla", "home")
    await track_guest(hass, loaded_entry, [ids["anna"]], "home")
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    assert server.received == []
    subentry = loaded_entry.subentries[ids["anna"]]
    hass.config_entries.async_update_subentry(
        loaded_entry, subentry, data={**subentry.data, "person": "person.carla"}
    )
    await settle(hass, loaded_entry)
    assert put_channels(server) == [["family", "anna"]]


async def test_someone_who_comes_home_during_a_run_gets_the_next_run(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """The recipients are fixed at the start; every update goes to the same ones."""
    ids = await household(hass, loaded_entry)
    await track_guest(hass, loaded_entry, [ids["anna"], ids["ben"]], "home")
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    hass.states.async_set("person.ben", "home")
    hass.states.async_set("sensor.guests", "2")
    await settle(hass, loaded_entry)
    hass.states.async_set(GUEST, "off")
    await settle(hass, loaded_entry)
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "PUT", "DELETE", "PUT"]
    assert put_channels(server) == [
        ["family", "anna"],
        ["family", "anna"],
        ["family", "anna", "ben"],
    ]


async def test_a_run_going_on_at_a_restart_stays_with_every_chosen_recipient(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """Who got its start is not stored: it goes on to all of them, whatever presence."""
    ids = await household(hass, loaded_entry)
    await track_guest(hass, loaded_entry, [ids["anna"], ids["ben"]], "home")
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    hass.states.async_set("person.anna", "not_home")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    assert put_channels(server) == [["family", "anna"], ["family", "anna", "ben"]]


async def test_removing_one_of_its_recipients_updates_the_tracked_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    ids = await household(hass, loaded_entry)
    tracked = await track_guest(hass, loaded_entry, [ids["anna"], ids["ben"]], "anyone")
    hass.config_entries.async_remove_subentry(loaded_entry, ids["ben"])
    await settle(hass, loaded_entry)
    assert loaded_entry.subentries[tracked].data["recipients"] == [ids["anna"]]
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    assert put_channels(server) == [["family", "anna"]]


async def test_removing_its_last_recipient_sends_nothing_until_the_user_confirms(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Never a silent fall-back to every phone: a repair asks first."""
    ids = await household(hass, loaded_entry)
    tracked = await track_guest(hass, loaded_entry, [ids["kitchen"]], "anyone")
    hass.config_entries.async_remove_subentry(loaded_entry, ids["kitchen"])
    await settle(hass, loaded_entry)
    assert loaded_entry.subentries[tracked].data["recipients"] == [ids["kitchen"]]
    issue_id = f"tracked_recipients_removed_{tracked}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    assert server.received == []
    state = hass.states.get(SENSOR)
    assert state is not None
    assert state.attributes["not_sent"] == "recipients_removed"
    await async_setup_component(hass, "repairs", {})
    flow = await repairs_flow_manager(hass).async_init(
        DOMAIN, data={"issue_id": issue_id}
    )
    await repairs_flow_manager(hass).async_configure(flow["flow_id"], {})
    await settle(hass, loaded_entry)
    assert "recipients" not in loaded_entry.subentries[tracked].data
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert server.methods() == ["PUT"]
    assert put_channels(server) == [None]


async def test_a_recipient_added_back_withdraws_the_repair_and_confirming_changes_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    ids = await household(hass, loaded_entry)
    tracked = await track_guest(hass, loaded_entry, [ids["kitchen"]], "anyone")
    hass.config_entries.async_remove_subentry(loaded_entry, ids["kitchen"])
    await settle(hass, loaded_entry)
    issue_id = f"tracked_recipients_removed_{tracked}"
    await async_setup_component(hass, "repairs", {})
    flow = await repairs_flow_manager(hass).async_init(
        DOMAIN, data={"issue_id": issue_id}
    )
    subentry = loaded_entry.subentries[tracked]
    hass.config_entries.async_update_subentry(
        loaded_entry, subentry, data={**subentry.data, "recipients": [ids["anna"]]}
    )
    await settle(hass, loaded_entry)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await repairs_flow_manager(hass).async_configure(flow["flow_id"], {})
    assert loaded_entry.subentries[tracked].data["recipients"] == [ids["anna"]]


async def test_a_deleted_person_raises_a_repair_until_the_recipient_changes(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Presence cannot be told: home or away leave the recipient out meanwhile."""
    person = entity_registry.async_get_or_create("person", "person", "cleo")
    hass.states.async_set(person.entity_id, "home")
    recipient = await add_recipient(
        hass, loaded_entry, "Cleo", ["cleo"], person.entity_id
    )
    issue_id = f"recipient_person_missing_{recipient}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    entity_registry.async_remove(person.entity_id)
    hass.states.async_remove(person.entity_id)
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "recipient": "Cleo",
        "person": person.entity_id,
    }
    subentry = loaded_entry.subentries[recipient]
    hass.config_entries.async_update_subentry(
        loaded_entry, subentry, data={"name": "Cleo", "channels": ["cleo"]}
    )
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_tracked_send_without_a_device_raises_the_channel_repair(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The 422 of a tracked entity's start names the channel; its next start clears it."""
    ids = await household(hass, loaded_entry)
    await track_guest(hass, loaded_entry, [ids["kitchen"]], "anyone")
    no_device = {
        "status": 422,
        "json": {
            "error": "No recipients found",
            "message": "No devices",
            "effective_channel_slugs": ["kitchen"],
        },
    }
    server.failures.extend([no_device] * 5)  # every attempt of this run
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    issue_id = f"recipient_no_device_{loaded_entry.entry_id}_kitchen"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "channel": "kitchen",
        "recipient": "Kitchen",
    }
    server.failures.clear()
    hass.states.async_set(GUEST, "off")
    await settle(hass, loaded_entry)
    hass.states.async_set(GUEST, "on")
    await settle(hass, loaded_entry)
    assert server.running
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_removing_the_tracked_entity_withdraws_its_recipients_repair(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    """And confirming a fix flow opened before then changes nothing."""
    ids = await household(hass, loaded_entry)
    tracked = await track_guest(hass, loaded_entry, [ids["kitchen"]], "anyone")
    hass.config_entries.async_remove_subentry(loaded_entry, ids["kitchen"])
    await settle(hass, loaded_entry)
    issue_id = f"tracked_recipients_removed_{tracked}"
    await async_setup_component(hass, "repairs", {})
    flow = await repairs_flow_manager(hass).async_init(
        DOMAIN, data={"issue_id": issue_id}
    )
    hass.config_entries.async_remove_subentry(loaded_entry, tracked)
    await settle(hass, loaded_entry)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await repairs_flow_manager(hass).async_configure(flow["flow_id"], {})
    assert tracked not in loaded_entry.subentries


async def test_removing_a_recipient_withdraws_its_person_repair(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    recipient = await add_recipient(hass, loaded_entry, "Dan", ["dan"], "person.dan")
    issue_id = f"recipient_person_missing_{recipient}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    hass.config_entries.async_remove_subentry(loaded_entry, recipient)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
