"""What users and stored data depend on, pinned as literals.

Each name here is written out, never imported from the integration: renaming one in
the code must fail a test here, because an automation, a stored file or a dashboard
still uses the old name. The fixtures under tests/fixtures/ are a store and an entry
exactly as the release of 2026-12 writes them (see generate_release_fixtures.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
import yaml

from custom_components.activitysmith.webhook import token_for

from .conftest import EXAMPLE_CONTENT, Press, act, setup_integration
from .tracked_support import StreamServer, add_tracked

FIXTURES = Path(__file__).parent / "fixtures"
INTEGRATION = Path(__file__).parents[1] / "custom_components" / "activitysmith"
ENTRY_ID = "01JACTIVITYSMITHENTRY0000"
# The record layout of the frozen release store (1.2).
RELEASE_RECORD_FIELDS = {
    "activity_id",
    "content_state",
    "status",
    "started_at",
    "updated_at",
    "ended_at",
    "delivery",
    "stream_key",
    "operation",
    "previous_activity_id",
    "pending_content",
    "error",
}
# Today's store (1.3) adds the last answer's warning; 1.2 records read without it.
RECORD_FIELDS = RELEASE_RECORD_FIELDS | {"warning"}
BOOKKEEPING = {"status", "started_at", "updated_at", "ended_at"}
STREAM_BOOKKEEPING = {"stream_key", "operation", "previous_activity_id"}
TRACKED_KEYS = {
    "entity_id",
    "type",
    "fields",
    "show_states",
    "end_states",
    "auto_dismiss_minutes",
}
# Optional keys a tracked_entity subentry may hold (read by today's code).
TRACKED_OPTIONAL = {
    "show_template",
    "channels",
    "button_title",
    "button_action",
    "enabled",
    "min_interval",
    "priority",
    # A run condition (tracked/conditions.py) and how its end is told.
    "condition",
    "run_value",
    "start_threshold",
    "start_for",
    "end_threshold",
    "end_for",
    "changed_within",
    "done_message",
    "done_push",
    "push_title",
    "push_message",
    "push_button_title",
    "push_button_action",
}
LIVE_ACTIVITY_FIELDS = {
    "action",
    "badge",
    "color",
    "config_entry_id",
    "counts_down",
    "current_step",
    "duration_seconds",
    "icon",
    "is_running",
    "message",
    "metrics",
    "number_of_steps",
    "percentage",
    "secondary_action",
    "step_color",
    "step_colors",
    "subtitle",
    "title",
    "type",
    "upper_limit",
    "value",
}
HISTORY_FIELDS = {"tags", "metadata"}
PUSH_CONTENT_FIELDS = {
    "actions",
    "badge",
    "config_entry_id",
    "icon",
    "media",
    "message",
    "metadata",
    "payload",
    "redirection",
    "subtitle",
    "tags",
    "title",
}
ACTIONS = {
    "start_live_activity": LIVE_ACTIVITY_FIELDS
    | {"alert", "channels", "priority", "recipients", "presence"}
    | HISTORY_FIELDS,
    "update_live_activity": LIVE_ACTIVITY_FIELDS
    | {"activity_id", "entity_id"}
    | HISTORY_FIELDS,
    "end_live_activity": LIVE_ACTIVITY_FIELDS
    | {"activity_id", "entity_id", "auto_dismiss_minutes"}
    | HISTORY_FIELDS,
    "stream_live_activity": LIVE_ACTIVITY_FIELDS
    | {
        "alert",
        "channels",
        "stream_key",
        "min_interval",
        "priority",
        "recipients",
        "presence",
    }
    | HISTORY_FIELDS,
    "end_live_activity_stream": LIVE_ACTIVITY_FIELDS
    | {"alert", "stream_key", "auto_dismiss_minutes", "auto_dismiss_seconds"}
    | HISTORY_FIELDS,
    "send_push_notification": PUSH_CONTENT_FIELDS
    | {"channels", "interruption_level", "sound", "recipients", "presence"},
    "replace_push_notification": PUSH_CONTENT_FIELDS | {"notification_id"},
    "set_badge_count": {
        "badge",
        "channels",
        "config_entry_id",
        "recipients",
        "presence",
    },
    "update_metric_value": {"config_entry_id", "key", "timestamp", "value"},
}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def entry_from_fixture() -> MockConfigEntry:
    """The frozen entry as Home Assistant would read it from core.config_entries."""
    stored = load("release_entry.json")
    return MockConfigEntry(
        domain=stored["domain"],
        title=stored["title"],
        data=stored["data"],
        options=stored["options"],
        unique_id=stored["unique_id"],
        entry_id=stored["entry_id"],
        version=stored["version"],
        minor_version=stored["minor_version"],
        source=stored["source"],
        subentries_data=[
            ConfigSubentryData(
                data=sub["data"],
                subentry_id=sub["subentry_id"],
                subentry_type=sub["subentry_type"],
                title=sub["title"],
                unique_id=sub["unique_id"],
            )
            for sub in stored["subentries"]
        ],
    )


def sensor_states(hass: HomeAssistant, entry_id: str) -> dict[str, Any]:
    """The entry's sensors' states, by unique id."""
    registry = er.async_get(hass)
    return {
        e.unique_id: hass.states.get(e.entity_id)
        for e in er.async_entries_for_config_entry(registry, entry_id)
        if e.domain == "sensor"
    }


# The frozen files themselves


def test_the_frozen_store_has_the_release_layout() -> None:
    store = load("release_store.json")
    assert store["key"] == f"activitysmith.{ENTRY_ID}.activities"
    assert (store["version"], store["minor_version"]) == (1, 2)
    assert set(store["data"]) == {"current", "recent", "streams"}
    records = [*store["data"]["recent"], *store["data"]["streams"].values()]
    assert records
    for record in records:
        assert set(record) == RELEASE_RECORD_FIELDS


def test_the_frozen_entry_has_the_release_layout() -> None:
    entry = load("release_entry.json")
    assert entry["domain"] == "activitysmith"
    assert entry["version"] == 1
    assert set(entry["data"]) == {
        "api_key",
        "webhook_id",
        "button_secret",
        "button_actions",
    }
    [subentry] = entry["subentries"]
    assert subentry["subentry_type"] == "tracked_entity"
    assert set(subentry["data"]) == TRACKED_KEYS


# What today's code writes


@pytest.mark.usefixtures("lifecycle_api")
async def test_todays_store_and_entry_keep_the_release_names(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """Start, stream and track, then read back what was saved, by its literal key."""
    hass.config.external_url = "https://home.example.org"
    server = StreamServer(aioclient_mock)
    await act(
        hass,
        "start_live_activity",
        {
            **EXAMPLE_CONTENT["alert"],
            "action": {
                "title": "Lock",
                "type": "home_assistant",
                "action": "lock_door",
            },
        },
    )
    hass.states.async_set("input_boolean.alarm", "on")
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await loaded_entry.runtime_data.client.async_wait_for_streams()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.received
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)

    stored = hass_storage[f"activitysmith.{ENTRY_ID}.activities"]
    assert (stored["version"], stored["minor_version"]) == (1, 4)
    assert set(stored["data"]) == {"current", "recent", "streams", "runs"}
    for record in [*stored["data"]["recent"], *stored["data"]["streams"].values()]:
        assert set(record) == RECORD_FIELDS
    assert set(loaded_entry.data) == {
        "api_key",
        "webhook_id",
        "button_secret",
        "button_actions",
    }
    assert loaded_entry.data["button_actions"] == ["lock_door"]
    assert loaded_entry.version == 1
    subentry = loaded_entry.subentries[subentry_id]
    assert subentry.subentry_type == "tracked_entity"
    assert TRACKED_KEYS <= set(subentry.data) <= TRACKED_KEYS | TRACKED_OPTIONAL
    assert f"ha-{subentry_id.lower()}" in stored["data"]["streams"]


async def test_config_flow_version_is_one() -> None:
    from custom_components.activitysmith.config_flow import (  # noqa: PLC0415
        ActivitySmithConfigFlow,
    )

    assert ActivitySmithConfigFlow.VERSION == 1


async def test_a_press_fires_activitysmith_action_with_its_keys(
    hass: HomeAssistant, press: Press, loaded_entry: MockConfigEntry
) -> None:
    """Automations listen for `activitysmith_action` and read these keys."""
    hass.config.external_url = "https://home.example.org"
    hass.config_entries.async_update_entry(
        loaded_entry, data={**loaded_entry.data, "button_actions": ["lock_door"]}
    )
    events: list[Event] = []
    hass.bus.async_listen("activitysmith_action", events.append)
    secret = loaded_entry.data["button_secret"]
    for place in ({"stream_key": "washer"}, {"activity_id": "act-1"}):
        body = {"action": "lock_door", "title": "Lock", **place}
        await press({**body, "token": token_for(secret, body)})
    assert [event.event_type for event in events] == ["activitysmith_action"] * 2
    assert [event.data for event in events] == [
        {
            "action": "lock_door",
            "title": "Lock",
            "stream_key": "washer",
            "config_entry_id": ENTRY_ID,
        },
        {
            "action": "lock_door",
            "title": "Lock",
            "activity_id": "act-1",
            "config_entry_id": ENTRY_ID,
        },
    ]


def test_actions_and_their_fields_in_services_yaml() -> None:
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text("utf-8"))
    assert {name: set(spec["fields"]) for name, spec in services.items()} == ACTIONS


# The frozen release, loaded into a fresh Home Assistant


@pytest.mark.usefixtures("valid_key")
async def test_the_release_files_set_up_and_show_the_stored_activities(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    StreamServer(aioclient_mock)
    store = load("release_store.json")
    hass_storage[store["key"]] = store
    entry = entry_from_fixture()
    await setup_integration(hass, entry)
    assert entry.state.value == "loaded"
    [subentry_id] = entry.subentries
    assert entry.subentries[subentry_id].subentry_type == "tracked_entity"

    states = {s.state: s for s in sensor_states(hass, entry.entry_id).values() if s}
    manual = states["pLAr-Hnq9ZFW4sxlk43Lhbuok4GLh7UW"]
    assert manual.attributes["title"] == "Front door"
    assert manual.attributes["message"] == "Opened"
    assert manual.attributes["status"] == "active"
    assert manual.attributes["devices_notified"] == 2
    assert set(manual.attributes) >= BOOKKEEPING

    washer = states["act-washer"]
    assert washer.attributes["stream_key"] == "washer"
    assert washer.attributes["operation"] == "started"
    assert washer.attributes["percentage"] == 40
    assert set(washer.attributes) >= BOOKKEEPING | STREAM_BOOKKEEPING

    tracked_key = f"ha-{subentry_id.lower()}"
    tracked = states[f"act-{tracked_key}"]
    assert tracked.attributes["stream_key"] == tracked_key
    assert tracked.attributes["entity_id"] == "input_boolean.alarm"
    assert tracked.attributes["symbol"] == "exclamationmark.circle"


async def test_a_paused_tracked_entity_is_saved_as_enabled_false(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """The switch writes `enabled`; a subentry saved so starts paused after a reload."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("input_boolean.alarm", "off")
    subentry_id = await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.alarm_show_on_iphone"},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert loaded_entry.subentries[subentry_id].data["enabled"] is False
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    hass.states.async_set("input_boolean.alarm", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    await loaded_entry.runtime_data.client.async_wait_for_streams()
    assert server.received == []
    assert hass.states.get("switch.alarm_show_on_iphone").state == "off"
