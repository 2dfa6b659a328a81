"""Tracked entities: an entity picked in the UI lives on the iPhone as a stream."""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, split_entity_id
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
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
from custom_components.activitysmith.tracked.config import stream_key_for

from .conftest import API_KEY, Press
from .tracked_support import (
    StreamServer,
    add_tracked,
    quick_budget,  # noqa: F401 (a fixture)
    reconfigure_tracked,
    settle,
)

pytestmark = pytest.mark.usefixtures("quick_budget")
# A percentage shown whenever it is available (its default is "while it changes").
SHOWN_BY_STATES = {"condition": "states"}


@pytest.fixture
def server(aioclient_mock: AiohttpClientMocker) -> StreamServer:
    return StreamServer(aioclient_mock)


# The rows shown "while it changes", and the state each sits at before it changes.
CHANGED_FROM = {"sensor.battery": "41", "input_number.level": "6"}


@pytest.mark.parametrize(
    ("entity_id", "state", "attributes", "expected"),
    [
        (
            "sensor.battery",
            "42",
            {"device_class": "battery", "unit_of_measurement": "%"},
            {"type": "progress", "percentage": 42},
        ),
        (
            "input_number.level",
            "7",
            {"max": 10, "min": 0},
            {"type": "progress", "value": 7, "upper_limit": 10},
        ),
        (
            "sensor.indoor",
            "21.5",
            {"unit_of_measurement": "°C", "friendly_name": "Indoor"},
            {
                "type": "metrics",
                "metrics": [{"label": "Indoor", "value": 21.5, "unit": "°C"}],
            },
        ),
        (
            "binary_sensor.front_door",
            "on",
            {"device_class": "door", "friendly_name": "Front door"},
            {"type": "alert", "message": "Open"},
        ),
        ("input_boolean.guest", "on", {}, {"type": "alert", "message": "On"}),
        ("switch.pump", "on", {}, {"type": "alert", "message": "On"}),
        ("vacuum.robot", "cleaning", {}, {"type": "alert", "message": "Cleaning"}),
        (
            "media_player.tv",
            "playing",
            {"media_title": "The Movie"},
            {"type": "alert", "message": "The Movie"},
        ),
        (
            "sensor.washer_stage",
            "rinse",
            {"device_class": "enum", "options": ["wash", "rinse"]},
            {"type": "alert", "message": "rinse"},
        ),
        ("weather.home", "sunny", {}, {"type": "alert", "message": "Sunny"}),
    ],
)
async def test_each_default_works_unchanged(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    entity_id: str,
    state: str,
    attributes: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    """Submitting every step as suggested starts a stream that shows the entity.

    A percentage or a slider is shown while it changes: not for the value it sits
    at, but as soon as it moves.
    """
    # The entity's domain is loaded, as it is wherever such an entity exists.
    await async_setup_component(hass, split_entity_id(entity_id)[0], {})
    hass.states.async_set(entity_id, CHANGED_FROM.get(entity_id, state), attributes)
    await add_tracked(hass, loaded_entry, entity_id)
    await settle(hass, loaded_entry)
    if entity_id in CHANGED_FROM:
        assert server.received == []
        hass.states.async_set(entity_id, state, attributes)
        await settle(hass, loaded_entry)
    [sent] = server.states()
    assert {name: sent[name] for name in expected} == expected
    assert sent["title"] == hass.states.get(entity_id).name


async def test_an_alert_starts_updates_and_ends_with_the_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """On shows it, off ends it with the final content; unavailable changes nothing."""
    await async_setup_component(hass, "input_boolean", {})
    hass.states.async_set("input_boolean.alarm", "off")
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    assert server.received == []
    for state in ("on", "unavailable", "on", "off", "unknown"):
        hass.states.async_set("input_boolean.alarm", state)
        await settle(hass, loaded_entry)
    methods = server.methods()
    assert methods == ["PUT", "DELETE"]
    [end] = server.sent("DELETE")
    assert end["content_state"]["message"] == "Off"
    assert end["content_state"]["auto_dismiss_minutes"] == 3
    sensor = hass.states.get("sensor.alarm_live_activity")
    assert sensor.attributes["status"] == "ended"
    assert sensor.attributes["entity_id"] == "input_boolean.alarm"
    assert server.received[0][1] == stream_key_for(subentry_id)


async def test_identical_content_is_not_sent_again(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """An attribute change that changes nothing shown sends nothing."""
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    await add_tracked(hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES)
    await settle(hass, loaded_entry)
    hass.states.async_set(
        "sensor.battery", "40", {"unit_of_measurement": "%", "voltage": 3}
    )
    await settle(hass, loaded_entry)
    hass.states.async_set("sensor.battery", "41", {"unit_of_measurement": "%"})
    await settle(hass, loaded_entry)
    assert [s["percentage"] for s in server.states()] == [40, 41]


async def test_a_timer_counts_down_pauses_resumes_and_ends(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Remaining time comes from finishes_at while running, from remaining when paused."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    finishes = (dt_util.utcnow() + timedelta(minutes=10)).isoformat()
    hass.states.async_set(
        "timer.pizza",
        "active",
        {"duration": "0:12:00", "remaining": "0:12:00", "finishes_at": finishes},
    )
    await add_tracked(hass, loaded_entry, "timer.pizza")
    await settle(hass, loaded_entry)
    hass.states.async_set("timer.pizza", "paused", {"remaining": "0:04:30"})
    await settle(hass, loaded_entry)
    hass.states.async_set("timer.pizza", "idle", {})
    await settle(hass, loaded_entry)
    started, paused = server.states()
    assert (started["type"], started["duration_seconds"], started["is_running"]) == (
        "timer",
        600,
        True,
    )
    assert (paused["duration_seconds"], paused["is_running"]) == (270, False)
    assert server.methods() == ["PUT", "PUT", "DELETE"]


async def test_template_fields_follow_every_entity_they_read(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """A subtitle built from another entity changes when that entity changes."""
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    hass.states.async_set("sensor.charger", "slow")
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.battery",
        content={"subtitle": "Charging {{ states('sensor.charger') }}"},
        when=SHOWN_BY_STATES,
    )
    await settle(hass, loaded_entry)
    hass.states.async_set("sensor.charger", "fast")
    await settle(hass, loaded_entry)
    assert [s["subtitle"] for s in server.states()] == [
        "Charging slow",
        "Charging fast",
    ]


async def test_a_template_that_fails_is_shown_on_the_sensor_and_never_sent(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """A percentage of 'abc' is an error on the sensor; the phone keeps the last one."""
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    await add_tracked(hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES)
    await settle(hass, loaded_entry)
    hass.states.async_set("sensor.battery", "abc", {"unit_of_measurement": "%"})
    await settle(hass, loaded_entry)
    assert len(server.states()) == 1
    assert (
        "percentage"
        in hass.states.get("sensor.battery_live_activity").attributes["error"]
    )
    hass.states.async_set("sensor.battery", "45", {"unit_of_measurement": "%"})
    await settle(hass, loaded_entry)
    assert [s["percentage"] for s in server.states()] == [40, 45]
    assert "error" not in hass.states.get("sensor.battery_live_activity").attributes


async def test_reconfigure_changes_the_running_activity_at_once_without_a_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """A new title is on the phone right after the form closes."""
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    subentry_id = await add_tracked(
        hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES
    )
    await settle(hass, loaded_entry)
    client = loaded_entry.runtime_data.client
    result = await reconfigure_tracked(
        hass, loaded_entry, subentry_id, content={"title": "EV battery"}
    )
    assert result["reason"] == "reconfigure_successful"
    await settle(hass, loaded_entry)
    assert loaded_entry.runtime_data.client is client  # not reloaded
    assert server.states()[-1]["title"] == "EV battery"


async def test_the_switch_pauses_mirroring_and_resumes_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """Off ends the activity and ignores changes; on shows the entity again."""
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    await add_tracked(hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES)
    await settle(hass, loaded_entry)
    switch = "switch.battery_show_on_iphone"
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": switch}, blocking=True
    )
    await settle(hass, loaded_entry)
    hass.states.async_set("sensor.battery", "50", {"unit_of_measurement": "%"})
    await settle(hass, loaded_entry)
    assert hass.states.get(switch).state == "off"
    assert server.methods() == ["PUT", "DELETE"]
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": switch}, blocking=True
    )
    await settle(hass, loaded_entry)
    assert server.states()[-1]["percentage"] == 50


async def test_removing_a_tracked_entity_ends_its_activity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    entity_registry: er.EntityRegistry,
) -> None:
    """Its activity ends and its device's entities go; the entry keeps running."""
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    subentry_id = await add_tracked(
        hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES
    )
    await settle(hass, loaded_entry)
    assert hass.config_entries.async_remove_subentry(loaded_entry, subentry_id)
    await settle(hass, loaded_entry)
    assert server.received[-1][0] == "DELETE"
    assert entity_registry.async_get("sensor.battery_live_activity") is None


async def test_removing_the_entry_ends_every_tracked_activity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """Nothing is left behind on the phone."""
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    hass.states.async_set("input_boolean.alarm", "on")
    await add_tracked(hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES)
    await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    assert await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert sorted(m for m, _, _ in server.received) == [
        "DELETE",
        "DELETE",
        "PUT",
        "PUT",
    ]
    assert server.running == set()


@pytest.mark.parametrize("shown_after_restart", [True, False])
async def test_a_restart_reconciles_the_phone_with_the_entity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    shown_after_restart: bool,
) -> None:
    """Shown: its state is sent again (noop when unchanged). Not shown: it ends."""
    hass.states.async_set("input_boolean.alarm", "on")
    await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    hass.states.async_set("input_boolean.alarm", "on" if shown_after_restart else "off")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await settle(hass, loaded_entry)
    methods = server.methods()
    assert methods == ["PUT", "PUT" if shown_after_restart else "DELETE"]


async def test_a_deleted_entity_raises_a_repair_that_removes_the_tracked_entity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The fix flow removes the subentry, which ends the activity."""
    entity = entity_registry.async_get_or_create("switch", "demo", "pump-1")
    hass.states.async_set(entity.entity_id, "on")
    subentry_id = await add_tracked(hass, loaded_entry, entity.entity_id)
    await settle(hass, loaded_entry)
    entity_registry.async_remove(entity.entity_id)
    hass.states.async_remove(entity.entity_id)  # as a real entity's state goes
    await hass.async_block_till_done()
    issue_id = f"tracked_entity_missing_{subentry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await async_setup_component(hass, "repairs", {})
    from homeassistant.components.repairs import repairs_flow_manager  # noqa: PLC0415

    flow = await repairs_flow_manager(hass).async_init(
        DOMAIN, data={"issue_id": issue_id}
    )
    await repairs_flow_manager(hass).async_configure(flow["flow_id"], {})
    await settle(hass, loaded_entry)
    assert subentry_id not in loaded_entry.subentries
    assert server.received[-1][0] == "DELETE"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_renamed_entity_is_followed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    entity_registry: er.EntityRegistry,
) -> None:
    """A new entity id is not a broken tracked entity."""
    entity = entity_registry.async_get_or_create("switch", "demo", "pump-2")
    hass.states.async_set(entity.entity_id, "on")
    subentry_id = await add_tracked(hass, loaded_entry, entity.entity_id)
    entity_registry.async_update_entity(entity.entity_id, new_entity_id="switch.pool")
    await hass.async_block_till_done()
    assert loaded_entry.subentries[subentry_id].data["entity_id"] == "switch.pool"


async def test_a_burst_of_changes_is_coalesced_and_ends_on_the_newest(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """200 changes in a row: one request per spacing at most, the last the final value."""
    loaded_entry.runtime_data.client.budget.stream_spacing = 0.05
    hass.states.async_set("sensor.battery", "0", {"unit_of_measurement": "%"})
    await add_tracked(hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES)
    began = time.monotonic()
    for value in range(1, 201):
        hass.states.async_set(
            "sensor.battery", str(value % 101), {"unit_of_measurement": "%"}
        )
        await hass.async_block_till_done()
    await settle(hass, loaded_entry)
    elapsed = time.monotonic() - began
    sent = [state["percentage"] for state in server.states()]
    # However slow the machine, never more than one send per spacing (plus the first).
    assert len(sent) <= elapsed / 0.05 + 2
    assert len(sent) < 100
    assert sent[-1] == 200 % 101


async def test_diagnostics_list_tracked_entities_and_their_last_send(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
) -> None:
    """What each tracked entity follows, decided and sent; never the key."""
    await async_setup_component(hass, "diagnostics", {})
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    subentry_id = await add_tracked(
        hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES
    )
    await settle(hass, loaded_entry)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    tracked = diagnostics["tracked_entities"][subentry_id]
    assert tracked["entity_id"] == "sensor.battery"
    assert tracked["decision"] == "show"
    assert tracked["enabled"] is True
    assert tracked["last_send"]["content_state"]["percentage"] == 40
    assert API_KEY not in str(diagnostics)


async def test_a_tracked_timer_gets_pause_and_resume_buttons_that_work(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    press: Press,
) -> None:
    """Pressing Pause pauses the real timer; the activity follows with Resume."""
    hass.config.external_url = "https://home.example.org"
    assert await async_setup_component(
        hass, "timer", {"timer": {"pizza": {"duration": "00:10:00"}}}
    )
    await hass.services.async_call(
        "timer", "start", {"entity_id": "timer.pizza"}, blocking=True
    )
    await add_tracked(hass, loaded_entry, "timer.pizza")
    await settle(hass, loaded_entry)
    pause = server.sent("PUT")[-1]["action"]
    assert pause["title"] == "Pause"
    await press(pause["body"])
    await settle(hass, loaded_entry)
    assert hass.states.get("timer.pizza").state == "paused"
    followed = server.sent("PUT")[-1]
    assert followed["content_state"]["is_running"] is False
    assert followed["action"]["title"] == "Resume"


async def test_a_tracked_timer_without_a_way_home_shows_without_buttons(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """No https URL: the timer still shows; it just has no button."""
    hass.config.external_url = None
    hass.states.async_set(
        "timer.tea", "paused", {"remaining": "0:03:00", "duration": "0:05:00"}
    )
    await add_tracked(hass, loaded_entry, "timer.tea")
    await settle(hass, loaded_entry)
    [sent] = server.sent("PUT")
    assert "action" not in sent
    assert sent["content_state"]["duration_seconds"] == 180


async def test_a_start_refused_for_the_activity_limit_waits_and_the_probe_starts_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The sensor says it waits; a minute later the probe starts it, exactly once."""
    server.failures = [
        {"status": 429, "json": {"error": "limit", "limit": 4, "active": 4}}
    ]
    hass.states.async_set("input_boolean.alarm", "on")
    await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    [tracked] = loaded_entry.runtime_data.tracked.by_subentry.values()
    waiting = loaded_entry.runtime_data.activities.streams[tracked.stream_key]
    assert waiting.operation == "waiting"
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "PUT"]
    assert server.running
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await settle(hass, loaded_entry)
    assert len(server.received) == 2


async def test_a_tracked_entity_can_carry_a_button_that_runs_an_automation(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    press: Press,
) -> None:
    """The button set in the flow is on the activity; a press fires the event."""
    hass.config.external_url = "https://home.example.org"
    events = async_capture_events(hass, "activitysmith_action")
    hass.states.async_set("binary_sensor.garage", "on", {"device_class": "garage_door"})
    await add_tracked(
        hass,
        loaded_entry,
        "binary_sensor.garage",
        when={"button_title": "Close", "button_action": "close_garage"},
    )
    await settle(hass, loaded_entry)
    button = server.sent("PUT")[-1]["action"]
    assert (button["title"], button["body"]["action"]) == ("Close", "close_garage")
    await press(button["body"])
    assert [event.data["action"] for event in events] == ["close_garage"]


async def test_a_state_change_that_changes_no_field_still_ends_the_activity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """Fields that read nothing of the entity render the same; off still ends it."""
    hass.states.async_set("input_boolean.alarm", "on")
    await add_tracked(
        hass,
        loaded_entry,
        "input_boolean.alarm",
        content={"title": "Alarm", "message": "Armed"},
    )
    await settle(hass, loaded_entry)
    hass.states.async_set("input_boolean.alarm", "off")
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "DELETE"]


async def test_switching_mirroring_off_clears_the_error_on_the_sensor(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """A paused tracked entity renders nothing, so it has no error to show."""
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    await add_tracked(hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES)
    await settle(hass, loaded_entry)
    hass.states.async_set("sensor.battery", "abc", {"unit_of_measurement": "%"})
    await settle(hass, loaded_entry)
    assert "error" in hass.states.get("sensor.battery_live_activity").attributes
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.battery_show_on_iphone"},
        blocking=True,
    )
    await settle(hass, loaded_entry)
    assert "error" not in hass.states.get("sensor.battery_live_activity").attributes


async def test_a_start_refused_for_the_activity_limit_is_retried_after_one_minute(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Not before the minute is up, and as soon as it is."""
    server.failures = [
        {"status": 429, "json": {"error": "limit", "limit": 4, "active": 4}}
    ]
    hass.states.async_set("input_boolean.alarm", "on")
    await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    for _ in range(59):  # second by second: a timer due in between fires on time
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await settle(hass, loaded_entry)
    assert len(server.received) == 1
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "PUT"]


async def test_a_start_refused_for_another_reason_is_not_retried(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Only the Live Activity limit frees by itself; a refused request is not resent."""
    server.failures = [
        {"status": 400, "json": {"error": "Bad request", "message": "title"}}
    ]
    hass.states.async_set("input_boolean.alarm", "on")
    await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await settle(hass, loaded_entry)
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await settle(hass, loaded_entry)
    assert len(server.received) == 1


async def test_an_error_is_shown_in_english_where_the_language_has_no_translation(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """A language the integration is not translated to reads the English sentence."""
    hass.config.language = "ja"
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.battery",
        content={"percentage": "{{ '' }}"},
        when=SHOWN_BY_STATES,
    )
    await settle(hass, loaded_entry)
    error = hass.states.get("sensor.battery_live_activity").attributes["error"]
    assert error == (
        'Progress Live Activities need "percentage", or "value" with "upper_limit".'
    )
    assert server.received == []


async def test_a_registry_change_that_keeps_the_entity_id_changes_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new name or icon is no rename: the tracked entity and its stream go on."""
    entity = entity_registry.async_get_or_create("switch", "demo", "pump-3")
    hass.states.async_set(entity.entity_id, "on")
    subentry_id = await add_tracked(hass, loaded_entry, entity.entity_id)
    await settle(hass, loaded_entry)
    entity_registry.async_update_entity(entity.entity_id, name="Pool pump")
    await settle(hass, loaded_entry)
    assert loaded_entry.subentries[subentry_id].data["entity_id"] == entity.entity_id
    assert server.methods() == ["PUT"]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_diagnostics_show_hold_while_the_entity_is_unavailable(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
) -> None:
    """Unavailable keeps what the phone shows: the decision reads `hold`."""
    await async_setup_component(hass, "diagnostics", {})
    hass.states.async_set("sensor.battery", "40", {"unit_of_measurement": "%"})
    subentry_id = await add_tracked(
        hass, loaded_entry, "sensor.battery", when=SHOWN_BY_STATES
    )
    await settle(hass, loaded_entry)
    hass.states.async_set("sensor.battery", "unavailable")
    await settle(hass, loaded_entry)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    assert diagnostics["tracked_entities"][subentry_id]["decision"] == "hold"


async def test_a_tracked_timer_without_a_duration_does_not_start(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """A countdown must know from where when it starts: an error, nothing sent."""
    hass.states.async_set(
        "timer.tea", "active", {"remaining": "0:03:00", "duration": "0:05:00"}
    )
    await add_tracked(
        hass, loaded_entry, "timer.tea", content={"duration_seconds": "{{ '' }}"}
    )
    await settle(hass, loaded_entry)
    assert server.received == []
    assert "error" in hass.states.get("sensor.tea_live_activity").attributes


async def test_templates_can_read_the_entity_itself(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """`entity` is the entity's state object: its attributes without a lookup."""
    hass.states.async_set(
        "sensor.stage", "rinse", {"device_class": "enum", "eta": "12:40"}
    )
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.stage",
        content={"message": "Ready at {{ entity.attributes.eta }}"},
    )
    await settle(hass, loaded_entry)
    [sent] = server.states()
    assert sent["message"] == "Ready at 12:40"


async def test_a_paused_timer_of_more_than_an_hour_counts_its_hours(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: StreamServer
) -> None:
    """`remaining` of a paused timer reads hours, minutes and seconds."""
    hass.states.async_set(
        "timer.roast", "paused", {"remaining": "1:00:05", "duration": "2:00:00"}
    )
    await add_tracked(hass, loaded_entry, "timer.roast")
    await settle(hass, loaded_entry)
    [sent] = server.states()
    assert sent["duration_seconds"] == 3605
