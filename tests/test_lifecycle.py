"""Every way things end: reauth, rename, removal, reload, restart and races.

Each test pins what the README promises after one of those endings, through the real
core with only the network mocked.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import itertools
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, translation
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.const import DOMAIN

from .client_support import until
from .conftest import (
    ACTIVITY_ID,
    CHANGE_RESPONSE,
    OTHER_API_KEY,
    START_RESPONSE,
    START_URL,
    UPDATE_URL,
    act,
    mock_key_check,
    setup_integration,
    stream_answer,
)
from .tracked_support import (
    StreamServer,
    add_tracked,
    quick_budget,  # noqa: F401 (a fixture)
    settle,
)

WASHER_URL = f"{API_BASE_URL}/live-activity/stream/washer"


pytestmark = pytest.mark.usefixtures("quick_budget")


def held_answer(
    aioclient_mock: AiohttpClientMocker, method: str, url: Any, answer: dict[str, Any]
) -> tuple[asyncio.Event, asyncio.Event]:
    """`url` answers `answer` once released; the first event says it is on the wire."""
    on_the_wire, release = asyncio.Event(), asyncio.Event()

    async def slow(request_method: str, request_url: Any, data: Any) -> Any:
        on_the_wire.set()
        await release.wait()
        return AiohttpClientMockResponse(request_method, request_url, json=answer)

    aioclient_mock.request(method, url, side_effect=slow)
    return on_the_wire, release


async def start_washer(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """The washer stream runs as act-1, its sensor sensor.activitysmith_washer."""
    aioclient_mock.put(WASHER_URL, json=stream_answer("started", "act-1"))
    await act(
        hass,
        "stream_live_activity",
        {
            "stream_key": "washer",
            "title": "Washer",
            "type": "progress",
            "percentage": 10,
        },
    )
    await hass.async_block_till_done()


# 1. Reauth and reconfigure


@pytest.mark.parametrize("source", ["reauth", "reconfigure"])
async def test_a_new_key_reloads_the_loaded_entry_without_a_usage_report(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    source: str,
) -> None:
    """The entry runs with the new key at once; Home Assistant reports nothing."""
    old_client = loaded_entry.runtime_data.client
    if source == "reauth":
        result = await loaded_entry.start_reauth_flow(hass)
    else:
        result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_API_KEY}
    )
    await hass.async_block_till_done()
    assert result["reason"] == f"{source}_successful"
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data.client is not old_client
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    await act(
        hass, "start_live_activity", {"title": "T", "type": "alert", "message": "m"}
    )
    headers = aioclient_mock.mock_calls[-1][3]
    assert headers["Authorization"] == f"Bearer {OTHER_API_KEY}"
    assert "update listener" not in caplog.text
    assert "Detected that" not in caplog.text


async def test_reauth_of_an_entry_whose_key_was_rejected_sets_it_up(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set-up failed on the old key; the new key gets the entry loaded."""
    mock_key_check(aioclient_mock, 401)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = mock_config_entry.async_get_active_flows(hass, {"reauth"})
    aioclient_mock.clear_requests()
    mock_key_check(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: OTHER_API_KEY}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert "Detected that" not in caplog.text


# 2. Renaming a stream sensor


async def test_a_renamed_stream_sensor_keeps_its_stream(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
) -> None:
    """After a rename in the UI, a partial update still completes from the stream."""
    await start_washer(hass, aioclient_mock)
    entity_registry.async_update_entity(
        "sensor.activitysmith_washer", new_entity_id="sensor.washer_on_phone"
    )
    await hass.async_block_till_done()
    await act(hass, "stream_live_activity", {"stream_key": "washer", "percentage": 50})
    await hass.async_block_till_done()
    body = aioclient_mock.mock_calls[-1][2]
    assert body["content_state"]["title"] == "Washer"
    assert body["content_state"]["percentage"] == 50
    state = hass.states.get("sensor.washer_on_phone")
    assert state.state == "act-1"
    assert state.attributes["percentage"] == 50
    assert hass.states.get("sensor.activitysmith_washer") is None


async def test_deleting_a_stream_sensor_still_forgets_its_stream(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
) -> None:
    """A real removal is the user's way to forget a stream."""
    await start_washer(hass, aioclient_mock)
    entity_registry.async_remove("sensor.activitysmith_washer")
    await hass.async_block_till_done()
    assert "washer" not in loaded_entry.runtime_data.activities.streams


# 3. Removing a tracked entity


def stream_sensors(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """The registered sensors of the entry's service device, by entity id."""
    return sorted(
        registered.entity_id
        for registered in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if "_stream_" in registered.unique_id
    )


@pytest.mark.parametrize("restart", [False, True])
async def test_removing_a_tracked_entity_leaves_no_sensor_behind(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    restart: bool,
) -> None:
    """Its activity ends; no stream sensor appears for it, then or after a restart."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("input_boolean.alarm", "on")
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await settle(hass, loaded_entry)
    if restart:
        assert await hass.config_entries.async_reload(loaded_entry.entry_id)
        await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "DELETE"]
    assert stream_sensors(hass, loaded_entry) == []
    assert not [
        key
        for key in loaded_entry.runtime_data.activities.streams
        if key.startswith("ha-")
    ]
    assert not [
        state.entity_id
        for state in hass.states.async_all("sensor")
        if state.entity_id.startswith("sensor.activitysmith_ha")
    ]


# 4. Idle timers, and errors a user reads


async def test_an_idle_timer_just_tracked_sends_nothing_and_reports_no_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing runs, so nothing is rendered for an end that would not be sent."""
    server = StreamServer(aioclient_mock)
    await async_setup_component(hass, "timer", {"timer": {"pizza": {"duration": 600}}})
    await add_tracked(hass, loaded_entry, "timer.pizza")
    await settle(hass, loaded_entry)
    assert server.received == []
    sensor = hass.states.get("sensor.pizza_live_activity")
    assert "error" not in sensor.attributes
    assert "Tracked entity timer.pizza" not in caplog.text


async def test_a_rule_broken_by_a_template_is_shown_as_a_sentence(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The error attribute and the log line read as the translated message."""
    StreamServer(aioclient_mock)
    hass.states.async_set("sensor.stage", "wash", {"device_class": "enum"})
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.stage",
        activity_type="segmented_progress",
        content={"number_of_steps": "3", "current_step": "5"},
    )
    await settle(hass, loaded_entry)
    error = hass.states.get("sensor.stage_live_activity").attributes["error"]
    assert "current_step" in error
    assert "step_beyond_steps" not in error
    assert "(" not in error.split("current_step")[0]  # no "key (placeholders)"
    assert f"Tracked entity sensor.stage: {error}" in caplog.text


# 5. State names as the frontend shows them


async def test_state_name_uses_the_entity_platforms_own_translation(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
) -> None:
    """An enum sensor translated by its integration shows that name, not the state."""
    server = StreamServer(aioclient_mock)
    entity = entity_registry.async_get_or_create(
        "sensor", "demo", "thermostat-mode", translation_key="thermostat_mode"
    )
    # Its platform's integration is set up, which loads its strings.
    hass.config.components.add("demo")
    await translation.async_load_integrations(hass, {"demo"})
    hass.states.async_set(entity.entity_id, "eco", {"device_class": "enum"})
    await add_tracked(hass, loaded_entry, entity.entity_id)
    await settle(hass, loaded_entry)
    [sent] = server.states()
    assert sent["message"] == "Eco"


# 6. and 16. The repair of a tracked entity whose entity is gone


async def test_the_missing_entity_repair_is_raised_again_after_a_restart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
    issue_registry: Any,
) -> None:
    """Deleted while Home Assistant was off: the next start says so."""
    StreamServer(aioclient_mock)
    entity = entity_registry.async_get_or_create("switch", "demo", "pump-1")
    hass.states.async_set(entity.entity_id, "off")
    subentry_id = await add_tracked(hass, loaded_entry, entity.entity_id)
    await settle(hass, loaded_entry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    entity_registry.async_remove(entity.entity_id)
    hass.states.async_remove(entity.entity_id)
    issue_registry.async_delete(DOMAIN, f"tracked_entity_missing_{subentry_id}")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    issue = issue_registry.async_get_issue(
        DOMAIN, f"tracked_entity_missing_{subentry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["entity_id"] == entity.entity_id


async def test_a_reconfigure_to_an_existing_entity_withdraws_the_repair(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
    issue_registry: Any,
) -> None:
    """The issue goes, and confirming a fix flow opened before removes nothing."""
    from homeassistant.components.repairs import repairs_flow_manager  # noqa: PLC0415

    from .tracked_support import reconfigure_tracked  # noqa: PLC0415

    StreamServer(aioclient_mock)
    await async_setup_component(hass, "repairs", {})
    entity = entity_registry.async_get_or_create("switch", "demo", "pump-1")
    hass.states.async_set(entity.entity_id, "off")
    hass.states.async_set("switch.pump_2", "off")
    subentry_id = await add_tracked(hass, loaded_entry, entity.entity_id)
    entity_registry.async_remove(entity.entity_id)
    hass.states.async_remove(entity.entity_id)
    await settle(hass, loaded_entry)
    issue_id = f"tracked_entity_missing_{subentry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    flow = await repairs_flow_manager(hass).async_init(
        DOMAIN, data={"issue_id": issue_id}
    )
    await reconfigure_tracked(
        hass, loaded_entry, subentry_id, entity_id="switch.pump_2"
    )
    await settle(hass, loaded_entry)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await repairs_flow_manager(hass).async_configure(flow["flow_id"], {})
    await settle(hass, loaded_entry)
    assert subentry_id in loaded_entry.subentries


# 7. Answers that arrive during a reload


async def test_a_start_answered_during_a_reload_is_recorded(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The reloaded entry's sensor shows it, and a later update needs no id."""
    on_the_wire, release = held_answer(
        aioclient_mock, "POST", START_URL, START_RESPONSE
    )
    aioclient_mock.post(UPDATE_URL, json=CHANGE_RESPONSE)
    start = hass.async_create_task(
        act(
            hass, "start_live_activity", {"title": "T", "type": "alert", "message": "m"}
        )
    )
    await on_the_wire.wait()
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    release.set()
    assert (await start)["activity_id"] == ACTIVITY_ID
    await hass.async_block_till_done()
    assert hass.states.get("sensor.activitysmith_live_activity").state == ACTIVITY_ID
    await act(hass, "update_live_activity", {"message": "later"})
    assert aioclient_mock.mock_calls[-1][2]["activity_id"] == ACTIVITY_ID


async def test_a_first_stream_put_answered_during_a_reload_is_recorded(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The stream's sensor appears on the reloaded entry with the answer."""
    on_the_wire, release = held_answer(
        aioclient_mock, "PUT", WASHER_URL, stream_answer("started", "act-1")
    )
    send = hass.async_create_task(
        act(
            hass,
            "stream_live_activity",
            {"stream_key": "washer", "title": "W", "type": "alert", "message": "m"},
        )
    )
    await on_the_wire.wait()
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    release.set()
    await send
    await hass.async_block_till_done()
    assert hass.states.get("sensor.activitysmith_washer").state == "act-1"


# 9. Unloading after Home Assistant's stop event


async def test_unloading_after_the_stop_event_logs_no_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The stop listener is removed quietly even after the event fired."""
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    with caplog.at_level(logging.ERROR):
        assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# 13. and 14. Tracked entities under races


async def test_switching_off_while_the_first_start_is_on_the_wire_ends_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The start goes out whole, and an end follows it: nothing stays on the phone."""
    server = StreamServer(aioclient_mock)
    server.gate = asyncio.Event()
    hass.states.async_set("input_boolean.alarm", "on")
    await add_tracked(
        hass, loaded_entry, "input_boolean.alarm", wait_background_tasks=False
    )
    await until(lambda: len(server.received) == 1)
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.alarm_show_on_iphone"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert server.methods() == ["PUT"]
    server.gate.set()
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "DELETE"]
    assert not server.running
    assert hass.states.get("sensor.alarm_live_activity").attributes["status"] == "ended"


@pytest.mark.parametrize("on_the_wire", [True, False])
async def test_removing_a_tracked_entity_whose_start_is_in_flight_ends_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    on_the_wire: bool,
) -> None:
    """On the wire or still queued, the last request the server gets is the end."""
    server = StreamServer(aioclient_mock)
    if on_the_wire:
        server.gate = asyncio.Event()
    else:
        loaded_entry.runtime_data.client.budget.pause(0.2)
    hass.states.async_set("input_boolean.alarm", "on")
    subentry_id = await add_tracked(
        hass, loaded_entry, "input_boolean.alarm", wait_background_tasks=False
    )
    if on_the_wire:
        await until(lambda: len(server.received) == 1)
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done()
    if on_the_wire:
        server.gate.set()
    else:
        await asyncio.sleep(0.3)  # the budget's pause ends
    await settle(hass, loaded_entry)
    methods = server.methods()
    assert methods[-1] == "DELETE"
    assert not server.running
    assert stream_sensors(hass, loaded_entry) == []


@pytest.mark.parametrize("final", ["on", "off"])
async def test_a_flapping_door_under_pacing_ends_as_it_settled(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    final: str,
) -> None:
    """However the budget paced the flaps, the server's last request is the last state."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("binary_sensor.door", "off", {"device_class": "door"})
    await add_tracked(hass, loaded_entry, "binary_sensor.door")
    await settle(hass, loaded_entry)
    loaded_entry.runtime_data.client.budget.pause(0.2)
    for state in ("on", "off", "on", "off", "on", final):
        hass.states.async_set("binary_sensor.door", state, {"device_class": "door"})
        await hass.async_block_till_done()
    await asyncio.sleep(0.3)
    await settle(hass, loaded_entry)
    assert server.received[-1][0] == ("PUT" if final == "on" else "DELETE")
    assert (server.running != set()) is (final == "on")


async def test_a_queued_start_refused_for_the_limit_waits_and_starts_at_the_probe(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A start that waited in the queue (as every start after a restart does)."""
    server = StreamServer(aioclient_mock)
    server.failures = [
        {"status": 429, "json": {"error": "limit", "limit": 4, "active": 4}}
    ]
    loaded_entry.runtime_data.client.budget.pause(0.1)
    hass.states.async_set("input_boolean.alarm", "on")
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await until(lambda: len(server.received) == 1)
    await settle(hass, loaded_entry)
    assert not server.running
    record = loaded_entry.runtime_data.activities.streams[f"ha-{subentry_id.lower()}"]
    assert (record.status, record.operation) == ("waiting", "waiting")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await until(lambda: len(server.received) == 2)
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "PUT"]
    assert server.running


# 15. Everything the templates read is followed


async def test_the_show_template_follows_the_entities_it_reads(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A guest-mode toggle the show condition reads starts and ends the activity."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("input_boolean.guest_mode", "off")
    hass.states.async_set("sensor.power", "12")
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.power",
        when={"show_template": "{{ is_state('input_boolean.guest_mode', 'off') }}"},
    )
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT"]
    hass.states.async_set("input_boolean.guest_mode", "on")
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "DELETE"]


async def test_a_field_failing_because_of_another_entity_recovers_with_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The entity that broke the template is followed, so fixing it sends the state."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("sensor.target", "not a number")
    hass.states.async_set("sensor.energy", "5")
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.energy",
        activity_type="progress",
        content={
            "percentage": "",
            "value": "{{ state }}",
            "upper_limit": "{{ states('sensor.target') | float }}",
        },
    )
    await settle(hass, loaded_entry)
    assert server.received == []
    assert "error" in hass.states.get("sensor.energy_live_activity").attributes
    hass.states.async_set("sensor.target", "20")
    await settle(hass, loaded_entry)
    [sent] = server.states()
    assert (sent["value"], sent["upper_limit"]) == (5, 20)
    assert "error" not in hass.states.get("sensor.energy_live_activity").attributes


# 18. Limits hold from the moment an older store is loaded


async def test_an_older_store_with_too_many_ended_streams_is_trimmed_at_load(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    valid_key: AiohttpClientMocker,
    hass_storage: dict[str, Any],
) -> None:
    """At most 100 ended streams, the newest kept, and only their sensors."""
    from .conftest import store_activities  # noqa: PLC0415

    streams = {
        f"s{index:03}": {
            "activity_id": f"a{index}",
            "content_state": {"title": "T"},
            "status": "ended",
            "started_at": "2026-11-01T08:00:00+00:00",
            "updated_at": "2026-11-01T08:00:00+00:00",
            "ended_at": f"2026-11-01T08:{index // 60:02}:{index % 60:02}+00:00",
            "stream_key": f"s{index:03}",
        }
        for index in range(150)
    }
    store_activities(
        hass_storage,
        mock_config_entry,
        {"current": None, "recent": [], "streams": streams},
        1,
    )
    await setup_integration(hass, mock_config_entry)
    kept = mock_config_entry.runtime_data.activities.streams
    assert len(kept) == 100
    assert min(kept) == "s050"
    assert len(stream_sensors(hass, mock_config_entry)) == 100


async def test_a_failing_show_condition_sends_nothing_and_says_why(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The show template's error is on the sensor; nothing starts."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("sensor.power", "12")
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.power",
        when={"show_template": "{{ states('sensor.power') | float > none_var.x }}"},
    )
    await settle(hass, loaded_entry)
    assert server.received == []
    assert hass.states.get("sensor.power_live_activity").attributes["error"]


async def test_an_end_whose_final_content_fails_still_ends_the_activity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing is left on the Lock Screen because a final message did not render."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("binary_sensor.door", "on", {"device_class": "door"})
    await add_tracked(
        hass,
        loaded_entry,
        "binary_sensor.door",
        content={"message": "{{ 'Open' if state == 'on' else none_var.x }}"},
    )
    await settle(hass, loaded_entry)
    hass.states.async_set("binary_sensor.door", "off", {"device_class": "door"})
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "DELETE"]
    assert "content_state" not in (server.sent("DELETE")[0] or {})
    sensor = hass.states.get("sensor.door_live_activity")
    assert sensor.attributes["status"] == "ended"
    assert "Tracked entity binary_sensor.door: " in caplog.text


async def test_a_state_that_neither_shows_nor_ends_holds_the_phone(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """With both lists set, any other state changes nothing on the phone."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("vacuum.robot", "cleaning")
    await add_tracked(
        hass,
        loaded_entry,
        "vacuum.robot",
        when={"show_states": ["cleaning"], "end_states": ["docked"]},
    )
    await settle(hass, loaded_entry)
    hass.states.async_set("vacuum.robot", "error")
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT"]
    assert server.running


ENDINGS = ("rename", "remove", "reload", "restart")


@pytest.mark.parametrize("order", list(itertools.permutations(ENDINGS)))
async def test_endings_in_any_order_leave_exactly_the_promised_entities(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
    hass_storage: dict[str, Any],
    order: tuple[str, ...],
) -> None:
    """A renamed stream sensor, a removed tracked entity, a reload and a restart."""
    server = StreamServer(aioclient_mock)
    aioclient_mock.put(WASHER_URL, json=stream_answer("started", "act-1"))
    await act(
        hass,
        "stream_live_activity",
        {"stream_key": "washer", "title": "W", "type": "progress", "percentage": 5},
    )
    hass.states.async_set("input_boolean.alarm", "on")
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    for ending in order:
        if ending == "rename":
            entity_registry.async_update_entity(
                "sensor.activitysmith_washer", new_entity_id="sensor.washer_on_phone"
            )
        elif ending == "remove":
            hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
        elif ending == "reload":
            assert await hass.config_entries.async_reload(loaded_entry.entry_id)
        else:  # a restart: everything saved, then read back by a new set-up
            assert await hass.config_entries.async_unload(loaded_entry.entry_id)
            await hass.async_block_till_done()
            hass.data.pop(f"{DOMAIN}_trackers", None)
            assert await hass.config_entries.async_setup(loaded_entry.entry_id)
        await settle(hass, loaded_entry)
    entities = sorted(
        registered.entity_id
        for registered in er.async_entries_for_config_entry(
            entity_registry, loaded_entry.entry_id
        )
    )
    assert entities == [
        "event.activitysmith_button_pressed",
        "notify.activitysmith_push_notification",
        "sensor.activitysmith_live_activity",
        "sensor.activitysmith_live_activity_slots",
        "sensor.washer_on_phone",
    ]
    assert hass.states.get("sensor.washer_on_phone").state == "act-1"
    assert set(loaded_entry.runtime_data.activities.streams) == {"washer"}
    assert [method for method, key, _ in server.received if key.startswith("ha-")][
        -1
    ] == "DELETE"


async def test_a_stream_and_a_tracked_entity_may_set_their_own_minimum_interval(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The action's and the flow's min_interval reach the client's pacing."""
    loaded_entry.runtime_data.client.budget.min_interval = 1.0
    server = StreamServer(aioclient_mock)
    hass.states.async_set("sensor.power", "1")
    await add_tracked(hass, loaded_entry, "sensor.power", when={"min_interval": 30})
    await settle(hass, loaded_entry)
    hass.states.async_set("sensor.power", "2")
    await hass.async_block_till_done(wait_background_tasks=True)
    [key] = {key for _, key, _ in server.received}
    sensor = hass.states.get("sensor.power_live_activity")
    assert sensor.attributes["operation"] == "queued"  # held by its 30 s
    assert len(server.received) == 1
    aioclient_mock.put(
        f"{API_BASE_URL}/live-activity/stream/quick", json=stream_answer("updated", "q")
    )
    answer = await act(
        hass,
        "stream_live_activity",
        {
            "stream_key": "quick",
            "title": "Q",
            "type": "alert",
            "message": "a",
            "min_interval": 0,
        },
    )
    assert answer.get("queued") is None
    answer = await act(
        hass,
        "stream_live_activity",
        {"stream_key": "quick", "message": "b", "min_interval": 0},
    )
    assert answer.get("queued") is None
    assert key.startswith("ha-")


async def test_a_tracked_entity_removed_while_unloaded_is_ended_at_the_next_start(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Its stream, still on the phone, ends once the entry runs again; none is left."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("input_boolean.alarm", "on")
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await hass.async_block_till_done()
    assert server.methods() == ["PUT"]
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "DELETE"]
    assert not server.running
    assert not [
        key
        for key in loaded_entry.runtime_data.activities.streams
        if key.startswith("ha-")
    ]


async def test_an_end_refused_for_a_tracked_entity_removed_while_unloaded_is_logged(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No action waits for that end: a refusal is told in the log, set-up goes on."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("input_boolean.alarm", "on")
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    server.failures = [{"status": 400, "json": {"error": "Bad", "message": "no"}}]
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "DELETE"]
    assert "Could not end the stream of a removed tracked entity" in caplog.text
