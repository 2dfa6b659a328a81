"""The few Live Activities a phone shows: admission, preemption, waiting, freeing.

Streams are started with `stream_live_activity` (its `priority` field) against a fake
ActivitySmith that shows at most `LIMIT` of them, as an iPhone does.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.const import DOMAIN, Priority
from custom_components.activitysmith.models import key_hash
from custom_components.activitysmith.slots import SlotLedger

from .client_support import until
from .conftest import (
    API_KEY,
    OTHER_API_KEY,
    START_RESPONSE,
    START_URL,
    act,
    setup_integration,
)
from .tracked_support import (
    EVERY_STREAM,
    StreamServer,
    add_tracked,
    quick_budget,  # noqa: F401 (a fixture)
    settle,
)

pytestmark = pytest.mark.usefixtures("quick_budget")

LIMIT = 4
SLOTS_SENSOR = "sensor.activitysmith_live_activity_slots"


@pytest.fixture
def phone(aioclient_mock: AiohttpClientMocker) -> StreamServer:
    """A phone that shows at most four Live Activities."""
    return StreamServer(aioclient_mock, EVERY_STREAM, limit=LIMIT)


def ledger_of(entry: MockConfigEntry) -> SlotLedger:
    ledger: SlotLedger = entry.runtime_data.publisher.ledger
    return ledger


async def show(
    hass: HomeAssistant, key: str, priority: str = "normal", **fields: Any
) -> Any:
    """Stream `key` (an alert titled after it) at `priority`."""
    data = {
        "stream_key": key,
        "title": key.capitalize(),
        "type": "alert",
        "message": "on",
        "priority": priority,
        **fields,
    }
    return await act(hass, "stream_live_activity", data)


async def end(hass: HomeAssistant, key: str) -> Any:
    return await act(hass, "end_live_activity_stream", {"stream_key": key})


async def fill(hass: HomeAssistant, priorities: list[str]) -> None:
    for number, priority in enumerate(priorities, start=1):
        await show(hass, f"s{number}", priority)


def shown(entry: MockConfigEntry) -> list[str]:
    return [slot.slot_id for slot in ledger_of(entry).shown]


def waiting(entry: MockConfigEntry) -> list[str]:
    return [slot.slot_id for slot in ledger_of(entry).waiting]


async def later(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    seconds: float,
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await settle(hass, entry)


# Admission


async def test_starts_go_out_at_once_while_a_slot_is_free(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, phone: StreamServer
) -> None:
    await fill(hass, ["low", "normal", "high", "critical"])
    assert phone.running == {"s1", "s2", "s3", "s4"}
    assert shown(loaded_entry) == ["s1", "s2", "s3", "s4"]
    state = hass.states.get(SLOTS_SENSOR)
    assert state.state == "4"
    assert [item["priority"] for item in state.attributes["shown"]] == [
        "low",
        "normal",
        "high",
        "critical",
    ]
    assert state.attributes["capacity"] == 4


async def test_a_start_of_no_higher_priority_waits_and_is_never_sent(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, phone: StreamServer
) -> None:
    await fill(hass, ["normal"] * 4)
    sent = len(phone.received)
    assert await show(hass, "late") == {"stream_key": "late", "operation": "waiting"}
    assert len(phone.received) == sent
    assert waiting(loaded_entry) == ["late"]
    sensor = hass.states.get("sensor.activitysmith_late")
    assert (sensor.attributes["status"], sensor.attributes["operation"]) == (
        "waiting",
        "waiting",
    )


async def test_a_priority_outside_the_four_levels_is_a_translated_error(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, phone: StreamServer
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await show(hass, "door", "urgent")
    assert raised.value.translation_key == "invalid_field"
    assert raised.value.translation_placeholders["field"] == "priority"
    assert not phone.received


# Preemption


async def test_a_more_important_start_ends_the_lowest_shown_and_takes_its_slot(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fill(hass, ["normal", "low", "normal", "low"])
    await later(hass, loaded_entry, freezer, 61)
    phone.received.clear()
    response = await show(hass, "doorbell", "high")
    await settle(hass, loaded_entry)
    assert response["operation"] == "started"
    # The low one shown longest is ended first, dismissed at once, then the start.
    assert [(m, key) for m, key, _ in phone.received] == [
        ("DELETE", "s2"),
        ("PUT", "doorbell"),
    ]
    assert phone.received[0][2]["content_state"]["auto_dismiss_minutes"] == 0
    assert phone.running == {"s1", "s3", "s4", "doorbell"}
    assert waiting(loaded_entry) == ["s2"]
    sensor = hass.states.get("sensor.activitysmith_s2")
    assert sensor.attributes["operation"] == "preempted"


async def test_nothing_is_preempted_before_it_was_shown_a_minute_then_it_is(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fill(hass, ["low"] * 4)
    await later(hass, loaded_entry, freezer, 30)
    assert (await show(hass, "doorbell", "high"))["operation"] == "waiting"
    await later(hass, loaded_entry, freezer, 20)
    assert "doorbell" not in phone.running
    await later(hass, loaded_entry, freezer, 11)  # s1 has been shown for 61 s
    assert "doorbell" in phone.running
    assert "s1" not in phone.running
    assert waiting(loaded_entry) == ["s1"]


async def test_a_critical_activity_is_never_preempted(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fill(hass, ["critical"] * 4)
    await later(hass, loaded_entry, freezer, 3600)
    assert (await show(hass, "fire", "critical"))["operation"] == "waiting"
    await later(hass, loaded_entry, freezer, 3600)
    assert phone.running == {"s1", "s2", "s3", "s4"}


async def test_at_most_one_preemption_each_thirty_seconds(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fill(hass, ["low"] * 4)
    await later(hass, loaded_entry, freezer, 61)
    await show(hass, "a", "high")
    assert (await show(hass, "b", "high"))["operation"] == "waiting"
    await settle(hass, loaded_entry)
    assert [m for m, _, _ in phone.received].count("DELETE") == 1
    await later(hass, loaded_entry, freezer, 31)
    assert {"a", "b"} <= phone.running
    assert [m for m, _, _ in phone.received].count("DELETE") == 2


# Waiting and freeing


async def test_a_freed_slot_goes_to_the_most_important_then_the_oldest_waiting(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fill(hass, ["critical"] * 4)
    await show(hass, "low1", "low")
    await later(hass, loaded_entry, freezer, 1)
    await show(hass, "normal1", "normal")
    await later(hass, loaded_entry, freezer, 1)
    await show(hass, "normal2", "normal")
    assert waiting(loaded_entry) == ["normal1", "normal2", "low1"]
    await end(hass, "s1")
    await settle(hass, loaded_entry)
    assert "normal1" in phone.running
    await end(hass, "s2")
    await settle(hass, loaded_entry)
    assert "normal2" in phone.running
    assert waiting(loaded_entry) == ["low1"]


async def test_a_waiting_activity_starts_with_its_newest_content_only(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, phone: StreamServer
) -> None:
    await fill(hass, ["normal"] * 4)
    await show(hass, "washer", message="Washing")
    await act(
        hass, "stream_live_activity", {"stream_key": "washer", "message": "Rinsing"}
    )
    await act(
        hass, "stream_live_activity", {"stream_key": "washer", "message": "Spinning"}
    )
    await end(hass, "s1")
    await settle(hass, loaded_entry)
    washer = [body for _, key, body in phone.received if key == "washer"]
    assert [body["content_state"]["message"] for body in washer] == ["Spinning"]


async def test_an_end_of_a_waiting_activity_sends_nothing_and_frees_its_place(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, phone: StreamServer
) -> None:
    await fill(hass, ["normal"] * 4)
    await show(hass, "washer")
    sent = len(phone.received)
    assert await end(hass, "washer") == {
        "stream_key": "washer",
        "operation": "withdrawn",
    }
    assert len(phone.received) == sent
    assert waiting(loaded_entry) == []
    await end(hass, "s1")
    await settle(hass, loaded_entry)
    assert "washer" not in phone.running


async def preempt_the_washer(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A low washer (started with an alert) and three normal ones, shown a minute:
    a high doorbell takes the washer's slot."""
    await show(hass, "washer", "low", alert={"title": "Washer", "body": "Started"})
    await fill(hass, ["normal"] * 3)
    await later(hass, entry, freezer, 61)
    await show(hass, "doorbell", "high")


async def test_a_preempted_activity_comes_back_without_its_alert(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await preempt_the_washer(hass, loaded_entry, freezer)
    await settle(hass, loaded_entry)
    assert "washer" not in phone.running
    await end(hass, "doorbell")
    await settle(hass, loaded_entry)
    assert "washer" in phone.running
    first, *_, back = [body for m, key, body in phone.received if key == "washer"]
    assert first["alert"] == {"title": "Washer", "body": "Started"}
    assert "alert" not in back
    assert back["content_state"]["message"] == "on"


async def test_a_start_the_server_made_room_for_marks_the_ended_one_preempted(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """`ended_activity_id`: ActivitySmith ended an older one of ours itself."""
    await show(hass, "washer")
    aioclient_mock.post(
        START_URL, json={**START_RESPONSE, "ended_activity_id": "act-washer"}
    )
    await act(
        hass,
        "start_live_activity",
        {"title": "Backup", "type": "alert", "message": "Running"},
    )
    assert waiting(loaded_entry) == ["washer"]
    assert hass.states.get("sensor.activitysmith_washer").attributes["operation"] == (
        "preempted"
    )


# Manual activities cannot wait


async def test_a_manual_start_at_capacity_fails_naming_what_holds_the_slots(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    await fill(hass, ["high", "normal", "normal", "critical"])
    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass,
            "start_live_activity",
            {"title": "Backup", "type": "alert", "message": "m"},
        )
    assert raised.value.translation_key == "slots_full"
    assert raised.value.translation_placeholders == {
        "capacity": "4",
        "shown": "S1 (high), S2 (normal), S3 (normal), S4 (critical)",
    }
    assert not [call for call in aioclient_mock.mock_calls if str(call[1]) == START_URL]


async def test_a_manual_start_of_higher_priority_preempts_and_its_end_frees_the_slot(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.post(
        START_URL.replace("start", "end"), json={"success": True, "timestamp": "t"}
    )
    await fill(hass, ["normal", "low", "normal", "normal"])
    await later(hass, loaded_entry, freezer, 61)
    await act(
        hass,
        "start_live_activity",
        {"title": "Alarm", "type": "alert", "message": "m", "priority": "critical"},
    )
    assert "s2" not in phone.running
    activity = START_RESPONSE["activity_id"]
    assert f"activity:{activity}" in shown(loaded_entry)
    await act(hass, "end_live_activity", {"activity_id": activity})
    await settle(hass, loaded_entry)
    assert f"activity:{activity}" not in shown(loaded_entry)
    assert "s2" in phone.running  # the preempted stream came back


# The account's other clients


async def test_a_refusal_with_room_left_holds_then_probes_with_backoff(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Another app holds two slots: the ledger learns it, one attempt per probe."""
    phone.running.update({"other-1", "other-2"})
    await fill(hass, ["normal"] * 2)
    assert (await show(hass, "s3"))["operation"] == "waiting"
    await show(hass, "s4")
    assert ledger_of(loaded_entry).others == 2
    puts = [key for m, key, _ in phone.received if m == "PUT"]
    assert puts == ["s1", "s2", "s3"]  # s4 was never tried: the ledger held it
    for minutes in (1, 2, 5, 10, 10):
        phone.received.clear()
        await later(hass, loaded_entry, freezer, minutes * 60 - 1)
        assert not phone.received  # not before the backoff
        await later(hass, loaded_entry, freezer, 1)
        assert [key for _, key, _ in phone.received] == ["s3"]  # one attempt
    phone.running -= {"other-1"}  # the other app ended one
    await later(hass, loaded_entry, freezer, 600)
    assert "s3" in phone.running
    assert waiting(loaded_entry) == ["s4"]


async def test_a_limit_answer_without_a_usable_limit_keeps_the_capacity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
) -> None:
    phone.failures = [
        {"status": 429, "json": {"error": "limit", "limit": 0, "active": 0}},
    ]
    assert (await show(hass, "s1"))["operation"] == "waiting"
    assert ledger_of(loaded_entry).capacity == 4
    phone.failures = [
        {"status": 429, "json": {"error": "limit", "limit": 99, "active": 99}},
    ]
    await show(hass, "s2")
    assert ledger_of(loaded_entry).capacity == 4
    assert waiting(loaded_entry) == ["s1", "s2"]


async def test_a_larger_limit_is_learned_and_freed_slots_are_found_one_at_a_time(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A phone of five, full of another app's: the ledger follows as they end."""
    phone.limit = 5
    phone.running.update(f"other-{number}" for number in range(5))
    await fill(hass, ["normal"] * 4)
    ledger = ledger_of(loaded_entry)
    assert (ledger.capacity, ledger.others) == (5, 5)
    assert [key for m, key, _ in phone.received if m == "PUT"] == ["s1"]
    phone.running -= {"other-0", "other-1", "other-2"}
    phone.received.clear()
    await later(hass, loaded_entry, freezer, 60)
    # Each success probes the next at once; the refusal of the fourth ends it.
    assert [key for _, key, _ in phone.received] == ["s1", "s2", "s3", "s4"]
    assert phone.running == {"other-3", "other-4", "s1", "s2", "s3"}
    assert waiting(loaded_entry) == ["s4"]
    assert ledger.others == 2


# Repairs


async def test_an_important_activity_waiting_ten_minutes_raises_a_repair_until_shown(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fill(hass, ["critical"] * 4)
    await show(hass, "doorbell", "high")
    await show(hass, "plant", "low")
    await later(hass, loaded_entry, freezer, 599)
    assert not issue_registry.async_get_issue(DOMAIN, "slot_waiting_doorbell")
    await later(hass, loaded_entry, freezer, 2)
    issue = issue_registry.async_get_issue(DOMAIN, "slot_waiting_doorbell")
    assert issue.translation_placeholders["name"] == "Doorbell"
    assert "S1 (critical)" in issue.translation_placeholders["shown"]
    assert not issue_registry.async_get_issue(DOMAIN, "slot_waiting_plant")
    await end(hass, "s1")
    await settle(hass, loaded_entry)
    assert not issue_registry.async_get_issue(DOMAIN, "slot_waiting_doorbell")


# Tracked entities


async def test_a_tracked_entity_takes_its_priority_and_title_from_its_flow(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A high tracked door preempts a low stream, under its own name."""
    await fill(hass, ["low"] * 4)
    await later(hass, loaded_entry, freezer, 61)
    hass.states.async_set("binary_sensor.door", "on", {"friendly_name": "Door"})
    subentry_id = await add_tracked(
        hass, loaded_entry, "binary_sensor.door", when={"priority": "high"}
    )
    await settle(hass, loaded_entry)
    assert loaded_entry.subentries[subentry_id].data["priority"] == "high"
    door = next(s for s in ledger_of(loaded_entry).shown if s.slot_id.startswith("ha-"))
    assert (door.name, door.priority) == ("Door", Priority.HIGH)
    assert waiting(loaded_entry) == ["s1"]


async def test_a_tracked_entity_is_normal_unless_told_and_ends_from_the_list(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
) -> None:
    """At capacity a normal tracked entity waits; its end leaves the list, unsent."""
    await fill(hass, ["normal"] * 4)
    hass.states.async_set("binary_sensor.door", "on")
    subentry_id = await add_tracked(hass, loaded_entry, "binary_sensor.door")
    await settle(hass, loaded_entry)
    assert loaded_entry.subentries[subentry_id].data["priority"] == "normal"
    [key] = waiting(loaded_entry)
    sent = len(phone.received)
    hass.states.async_set("binary_sensor.door", "off")
    await settle(hass, loaded_entry)
    assert waiting(loaded_entry) == []
    assert len(phone.received) == sent
    assert loaded_entry.runtime_data.activities.streams[key].status == "ended"


# Endings: reload, restart, removal, several entries


async def test_a_reload_keeps_the_ledger_and_what_waits_starts_afterwards(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, phone: StreamServer
) -> None:
    await fill(hass, ["normal"] * 4)
    await show(hass, "washer")
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    assert shown(loaded_entry) == ["s1", "s2", "s3", "s4"]
    assert waiting(loaded_entry) == ["washer"]
    await end(hass, "s1")
    await settle(hass, loaded_entry)
    assert "washer" in phone.running
    assert [key for m, key, _ in phone.received if m == "PUT"].count("washer") == 1


async def test_a_restart_reads_the_saved_ledger_and_reconciles_it_with_the_records(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """What waited waits with its request; what ended meanwhile holds no slot."""
    await fill(hass, ["normal"] * 3 + ["high"])
    await show(hass, "washer", "low", channels=["family"])
    await end(hass, "s1")  # washer starts
    await show(hass, "dryer", "high")  # waits: nothing is old enough to yield
    await settle(hass, loaded_entry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)  # the delayed saves are written
    await hass.async_block_till_done()
    hass.data.pop(f"{DOMAIN}_ledgers")
    hass.data.pop(f"{DOMAIN}_trackers")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    ledger = ledger_of(loaded_entry)
    assert shown(loaded_entry) == ["s2", "s3", "s4", "washer"]
    assert [(s.slot_id, s.priority) for s in ledger.waiting] == [
        ("dryer", Priority.HIGH)
    ]
    await later(hass, loaded_entry, freezer, 61)  # washer (low) may yield now
    assert "dryer" in phone.running
    assert "washer" not in phone.running
    assert waiting(loaded_entry) == ["washer"]
    await end(hass, "s2")
    await settle(hass, loaded_entry)
    back = [body for m, key, body in phone.received if key == "washer"][-1]
    assert back["channels"] == ["family"]


def saved_ledger(
    slots: list[Any], version: int = 1, capacity: int = 5
) -> dict[str, Any]:
    key = f"{DOMAIN}.slots.{key_hash(API_KEY)}"
    return {
        "version": version,
        "minor_version": 1,
        "key": key,
        "data": {"capacity": capacity, "future": {"anything": True}, "slots": slots},
    }


async def test_a_saved_ledger_is_read_as_far_as_it_can_be(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    valid_key: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unknown fields and levels (an edit, a newer minor version) cost nothing."""
    hass_storage[f"{DOMAIN}.slots.{key_hash(API_KEY)}"] = saved_ledger(
        [
            {
                "slot_id": "elsewhere",
                "entry_id": "another-entry",
                "name": "Garage",
                "priority": "emergency",
                "since": "2026-12-01T08:00:00+00:00",
                "shown": True,
            },
            {"slot_id": "broken", "since": "yesterday"},
            "not a slot",
        ]
    )
    await setup_integration(hass, mock_config_entry)
    ledger = ledger_of(mock_config_entry)
    assert ledger.capacity == 5
    assert [(s.slot_id, s.priority) for s in ledger.shown] == [
        ("elsewhere", Priority.NORMAL)
    ]
    assert "Ignored 2 unreadable saved Live Activity slots" in caplog.text


async def test_a_ledger_saved_by_a_newer_major_version_is_set_aside(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    valid_key: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A downgrade: the entry sets up; its records say what is shown."""
    hass_storage[f"{DOMAIN}.slots.{key_hash(API_KEY)}"] = saved_ledger([], 7)
    await setup_integration(hass, mock_config_entry)
    assert ledger_of(mock_config_entry).capacity == 4
    assert "saved Live Activity slots of a newer version" in caplog.text


async def test_two_entries_of_one_key_share_the_slots_and_another_key_has_its_own(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    phone: StreamServer,
) -> None:
    twin = MockConfigEntry(domain=DOMAIN, title="Twin", data={CONF_API_KEY: API_KEY})
    other = MockConfigEntry(
        domain=DOMAIN, title="Other", data={CONF_API_KEY: OTHER_API_KEY}
    )
    for entry in (twin, other):
        await setup_integration(hass, entry)
    for key in ("s1", "s2", "s3"):
        await show(hass, key, config_entry_id=loaded_entry.entry_id)
    await act(
        hass,
        "stream_live_activity",
        {
            "config_entry_id": twin.entry_id,
            "stream_key": "twin",
            "title": "T",
            "type": "alert",
            "message": "m",
        },
    )
    assert ledger_of(twin) is ledger_of(loaded_entry)
    assert len(ledger_of(loaded_entry).shown) == 4
    fifth = await show(hass, "fifth", config_entry_id=loaded_entry.entry_id)
    assert fifth["operation"] == "waiting"
    assert ledger_of(other) is not ledger_of(loaded_entry)
    assert ledger_of(other).shown == []
    assert await hass.config_entries.async_remove(twin.entry_id)
    await settle(hass, loaded_entry)
    assert "twin" not in [s.slot_id for s in ledger_of(loaded_entry).shown]
    assert "fifth" in phone.running  # the removed entry's slot freed


async def test_a_manual_activity_yields_to_a_more_important_stream_for_good(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Its id has ended: it is recorded as ended and does not come back."""
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.post(
        START_URL.replace("start", "end"), json={"success": True, "timestamp": "t"}
    )
    await act(
        hass,
        "start_live_activity",
        {"title": "Backup", "type": "alert", "message": "m", "priority": "low"},
    )
    await fill(hass, ["normal"] * 3)
    await later(hass, loaded_entry, freezer, 61)
    await show(hass, "doorbell", "high")
    await settle(hass, loaded_entry)
    [end_call] = [c for c in aioclient_mock.mock_calls if str(c[1]).endswith("/end")]
    assert end_call[2]["content_state"]["auto_dismiss_minutes"] == 0
    assert "doorbell" in phone.running
    activity = START_RESPONSE["activity_id"]
    assert loaded_entry.runtime_data.activities.recent[activity].status == "ended"
    await end(hass, "s1")
    await settle(hass, loaded_entry)
    assert waiting(loaded_entry) == []
    assert f"activity:{activity}" not in shown(loaded_entry)


async def test_a_failed_start_from_the_waiting_list_is_logged_and_frees_the_slot(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await fill(hass, ["normal"] * 4)
    await show(hass, "washer")
    phone.running.discard("s1")
    phone.failures = [  # the end of s1 as ActivitySmith answers it, then the start
        {"status": 200, "json": {"success": True, "operation": "ended"}},
        {"status": 400, "json": {"error": "Bad request", "message": "no"}},
    ]
    await end(hass, "s1")
    await settle(hass, loaded_entry)
    assert "Could not start Washer from the waiting list" in caplog.text
    assert shown(loaded_entry) == ["s2", "s3", "s4"]
    await show(hass, "dryer")
    await settle(hass, loaded_entry)
    assert "dryer" in phone.running


async def test_a_failed_end_to_make_room_is_logged_and_nothing_raises(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The victim stays on the phone: the start meets the limit and waits."""
    await fill(hass, ["low"] * 4)
    await later(hass, loaded_entry, freezer, 61)
    phone.failures = [
        {"status": 400, "json": {"error": "Bad request", "message": "no"}}
    ]
    response = await show(hass, "doorbell", "high")
    await settle(hass, loaded_entry)
    assert "Could not end S1 to make room" in caplog.text
    assert response["operation"] == "waiting"
    assert "doorbell" in waiting(loaded_entry)


# The edges of the rules (each pins a boundary a mistake would move)


async def test_a_minute_exactly_is_long_enough_and_thirty_seconds_apart_too(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fill(hass, ["low"] * 4)
    freezer.tick(timedelta(seconds=60))
    assert (await show(hass, "a", "high"))["operation"] == "started"
    freezer.tick(timedelta(seconds=30))
    assert (await show(hass, "b", "high"))["operation"] == "started"


async def test_a_preempted_activity_updated_while_it_waits_stays_preempted(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await preempt_the_washer(hass, loaded_entry, freezer)
    for message in ("Rinsing", "Spinning"):
        await show(hass, "washer", "low", message=message)
    sensor = hass.states.get("sensor.activitysmith_washer")
    assert sensor.attributes["operation"] == "preempted"
    await end(hass, "doorbell")
    await settle(hass, loaded_entry)
    back = [body for m, key, body in phone.received if key == "washer"][-1]
    assert back["content_state"]["message"] == "Spinning"
    assert "alert" not in back


async def test_a_reload_keeps_probing_the_slots_other_apps_held(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    phone.running.update({"other-1", "other-2", "other-3", "other-4"})
    await show(hass, "s1")
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    phone.running.discard("other-1")
    await later(hass, loaded_entry, freezer, 59)
    assert "s1" not in phone.running
    await later(hass, loaded_entry, freezer, 1)
    assert "s1" in phone.running


async def test_a_restart_frees_the_slot_of_what_ended_and_keeps_what_the_ledger_knew(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    valid_key: Any,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A slot its records no longer show is dropped; a shown one keeps its id."""
    phone = StreamServer(aioclient_mock, EVERY_STREAM, limit=LIMIT)
    since = "2026-12-01T08:00:00+00:00"
    an_hour_ago = (dt_util.utcnow() - timedelta(hours=1)).isoformat()
    entry_id = mock_config_entry.entry_id
    hass_storage[f"{DOMAIN}.slots.{key_hash(API_KEY)}"] = saved_ledger(
        [
            {
                "slot_id": key,
                "entry_id": entry_id,
                "name": key,
                "priority": "high",
                "since": since,
                "shown": True,
                "activity_id": f"act-{key}",
                "confirmed": True,
            }
            for key in ("gone", "washer")
        ]
        + [
            {
                "slot_id": "activity:manual-1",
                "entry_id": entry_id,
                "name": "Backup",
                "priority": "low",
                "since": since,
                "shown": True,
                "manual": True,
                "activity_id": "manual-1",
            }
        ],
        capacity=20,
    )
    hass_storage[f"{DOMAIN}.{entry_id}.activities"] = {
        "version": 1,
        "minor_version": 3,
        "key": f"{DOMAIN}.{entry_id}.activities",
        "data": {
            "current": "manual-2",
            # Started an hour ago: a manual one holds its slot at most 12 hours.
            "recent": [stored_record(activity_id="manual-2", started_at=an_hour_ago)],
            "streams": {
                "washer": stored_record(activity_id="act-washer", stream_key="washer")
            },
        },
    }
    await setup_integration(hass, mock_config_entry)
    ledger = ledger_of(mock_config_entry)
    assert ledger.capacity == 20
    by_id = {slot.slot_id: slot for slot in ledger.shown}
    assert set(by_id) == {"washer", "activity:manual-2"}
    washer = by_id["washer"]
    assert (washer.priority, washer.activity_id, washer.confirmed) == (
        Priority.HIGH,
        "act-washer",
        True,
    )
    assert by_id["activity:manual-2"].manual
    phone.running.add("washer")
    # The restored washer is an update (its slot is confirmed), not a new start.
    await show(hass, "washer", config_entry_id=entry_id)
    assert ledger.is_confirmed("washer")


def stored_record(**fields: Any) -> dict[str, Any]:
    return {
        "activity_id": None,
        "content_state": {"title": "W", "type": "alert", "message": "m"},
        "status": "active",
        "started_at": "2026-12-01T08:00:00+00:00",
        "updated_at": "2026-12-01T08:00:00+00:00",
        **fields,
    }


async def test_an_end_elsewhere_after_a_reload_still_puts_the_stream_back_to_wait(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    await show(hass, "washer")
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    aioclient_mock.post(
        START_URL, json={**START_RESPONSE, "ended_activity_id": "act-washer"}
    )
    await act(
        hass,
        "start_live_activity",
        {"title": "Backup", "type": "alert", "message": "Running"},
    )
    assert waiting(loaded_entry) == ["washer"]


async def test_a_manual_activity_whose_end_never_came_frees_its_slot_after_12_hours(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    phone: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """iOS has removed it by then: its slot goes to what waits."""
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    await act(
        hass,
        "start_live_activity",
        {"title": "Backup", "type": "alert", "message": "m", "priority": "critical"},
    )
    await fill(hass, ["critical"] * 3)
    await show(hass, "washer")
    await later(hass, loaded_entry, freezer, 12 * 3600 - 10)
    assert waiting(loaded_entry) == ["washer"]
    await later(hass, loaded_entry, freezer, 11)
    assert "washer" in phone.running
    assert waiting(loaded_entry) == []


async def test_a_stream_shown_again_while_its_end_is_on_the_wire_keeps_its_slot(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, phone: StreamServer
) -> None:
    """End, then show again before the end is answered: the start follows the end
    on the wire, so the slot stays the stream's; nothing else may take it meanwhile."""
    await fill(hass, ["normal"] * 4)
    await show(hass, "late")  # waits for a slot
    phone.gate = asyncio.Event()
    ending = hass.async_create_task(end(hass, "s1"))
    await until(lambda: phone.received[-1][:2] == ("DELETE", "s1"))
    again = hass.async_create_task(show(hass, "s1"))
    await asyncio.sleep(0)
    phone.gate.set()
    await ending
    await again
    await settle(hass, loaded_entry)
    assert phone.running == {"s1", "s2", "s3", "s4"}
    assert waiting(loaded_entry) == ["late"]
    assert [m for m, _, _ in phone.received].count("PUT") == 5  # late never tried
