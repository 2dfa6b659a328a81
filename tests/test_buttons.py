"""Buttons that come home: a home_assistant button becomes a signed webhook button, and
a press fires `activitysmith_action` and the event entity; a forged one fires nothing."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.webhook import (
    CONF_SECRET,
    CONF_WEBHOOK_ID,
    EVENT_ACTION,
    MAX_PRESSES_PER_SECOND,
    token_for,
)

from .conftest import (
    API_KEY,
    EXAMPLE_CONTENT,
    START_RESPONSE,
    START_URL,
    Press,
    act,
    sent_bodies,
    stream_answer,
    webhook_path,
)

LOCK = {"title": "Lock", "type": "home_assistant", "action": "lock_front_door"}
EXTERNAL = "https://home.example.org"
PUSH_URL = f"{API_BASE_URL}/push-notification"
EVENT_ENTITY = "event.activitysmith_button_pressed"


@pytest.fixture(autouse=True)
def external_https(hass: HomeAssistant) -> None:
    """Home Assistant is reachable at an https external URL (unless a test says not)."""
    hass.config.external_url = EXTERNAL


@pytest.fixture
def presses(hass: HomeAssistant) -> list[Event]:
    events: list[Event] = []
    hass.bus.async_listen(EVENT_ACTION, events.append)
    return events


@pytest.fixture
def api(aioclient_mock: AiohttpClientMocker) -> AiohttpClientMocker:
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.post(PUSH_URL, json={"success": True, "timestamp": "t"})
    aioclient_mock.put(
        f"{API_BASE_URL}/live-activity/stream/door", json=stream_answer("started", "a")
    )
    return aioclient_mock


async def send_door_alert(hass: HomeAssistant, api: AiohttpClientMocker) -> Any:
    """Start an alert with a Lock button; return the webhook button that was sent."""
    await act(hass, "start_live_activity", {**EXAMPLE_CONTENT["alert"], "action": LOCK})
    return sent_bodies(api)[-1]["action"]


@pytest.mark.usefixtures("loaded_entry")
async def test_every_button_place_sends_a_signed_webhook_button(
    hass: HomeAssistant, api: AiohttpClientMocker
) -> None:
    """action, secondary_action, a push's actions and a stream's buttons."""
    unlock = {**LOCK, "title": "Unlock", "action": "unlock"}
    await act(
        hass,
        "start_live_activity",
        {**EXAMPLE_CONTENT["alert"], "action": LOCK, "secondary_action": unlock},
    )
    await act(hass, "send_push_notification", {"title": "Door", "actions": [LOCK]})
    await act(
        hass,
        "stream_live_activity",
        {**EXAMPLE_CONTENT["alert"], "stream_key": "door", "action": LOCK},
    )
    start, push, stream = sent_bodies(api)
    buttons = [start["action"], start["secondary_action"], push["actions"][0]]
    buttons.append(stream["action"])
    for button in buttons:
        assert button["type"] == "webhook"
        assert button["method"] == "POST"
        assert button["url"].startswith(f"{EXTERNAL}/api/webhook/")
        assert len(button["body"]["token"]) == 64
    assert start["secondary_action"]["body"]["action"] == "unlock"
    assert stream["action"]["body"]["stream_key"] == "door"
    assert hass.states.get(EVENT_ENTITY).attributes["event_types"] == [
        "lock_front_door",
        "unlock",
    ]


@pytest.mark.usefixtures("loaded_entry")
async def test_home_assistant_cloud_is_preferred(
    hass: HomeAssistant, api: AiohttpClientMocker
) -> None:
    """Logged in to Cloud: the cloudhook, which works without opening a port."""
    cloudhook = "https://hooks.nabu.casa/abc"
    with patch(
        "custom_components.activitysmith.webhook.cloudhook_url", return_value=cloudhook
    ):
        button = await send_door_alert(hass, api)
    assert button["url"] == cloudhook


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("external_url", [None, "http://home.example.org"])
async def test_without_an_https_way_home_nothing_is_sent(
    hass: HomeAssistant, api: AiohttpClientMocker, external_url: str | None
) -> None:
    """A translated error says where to fix it; the activity is not started."""
    hass.config.external_url = external_url
    with pytest.raises(ServiceValidationError) as raised:
        await send_door_alert(hass, api)
    assert raised.value.translation_key == "no_https_url_for_buttons"
    assert sent_bodies(api) == []


async def test_a_press_fires_the_event_and_the_event_entity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    api: AiohttpClientMocker,
    presses: list[Event],
    press: Press,
) -> None:
    """What ActivitySmith's backend does on a tap: POST the button's body."""
    button = await send_door_alert(hass, api)
    response = await press(button["body"])
    assert (response.status, await response.text()) == (200, "")
    [event] = presses
    assert event.data == {
        "action": "lock_front_door",
        "title": "Lock",
        "config_entry_id": loaded_entry.entry_id,
    }
    state = hass.states.get(EVENT_ENTITY)
    assert state.attributes["event_type"] == "lock_front_door"


@pytest.mark.parametrize(
    "forge",
    [
        "wrong_webhook",
        "wrong_token",
        "no_token",
        "other_action",
        "changed_title",
        "no_body",
        "not_json",
        "get",
    ],
)
async def test_a_forged_press_fires_nothing_and_gets_the_same_answer(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    api: AiohttpClientMocker,
    presses: list[Event],
    forge: str,
) -> None:
    """No oracle: every forgery answers exactly like an unknown webhook."""
    button = await send_door_alert(hass, api)
    body = dict(button["body"])
    secret = loaded_entry.data[CONF_SECRET]
    path, method, payload = webhook_path(loaded_entry), "post", {"json": body}
    match forge:
        case "wrong_webhook":
            path = "/api/webhook/not-the-right-one"
        case "wrong_token":
            body["token"] = "0" * 64
        case "no_token":
            del body["token"]
        case "other_action":  # signed with the real secret, never sent
            body = {"action": "open_garage", "title": "Open"}
            body["token"] = token_for(secret, body)
            payload = {"json": body}
        case "changed_title":
            body["title"] = "Unlock"
        case "no_body":
            payload = {}
        case "not_json":
            payload = {"data": b"\xff\xfe"}
        case "get":
            method = "get"
    client = await hass_client_no_auth()
    response = await getattr(client, method)(path, **payload)
    unknown = await client.post("/api/webhook/unknown-webhook", json=body)
    await hass.async_block_till_done()
    assert (response.status, await response.text()) == (
        unknown.status,
        await unknown.text(),
    )
    assert presses == []


async def test_a_flood_of_presses_is_bounded_and_counted(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    api: AiohttpClientMocker,
    presses: list[Event],
    press: Press,
) -> None:
    """A replayed body cannot flood the event bus."""
    button = await send_door_alert(hass, api)
    for _ in range(MAX_PRESSES_PER_SECOND * 4):
        await press(button["body"])
    assert len(presses) == MAX_PRESSES_PER_SECOND
    buttons = loaded_entry.runtime_data.buttons.as_dict()
    assert buttons["presses_dropped_by_rate_limit"] == MAX_PRESSES_PER_SECOND * 3


async def test_regenerating_the_links_retires_the_old_ones(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    api: AiohttpClientMocker,
    presses: list[Event],
    press: Press,
) -> None:
    """After the options flow, a button sent before fires nothing; a new one works."""
    old_button = await send_door_alert(hass, api)
    old_path = webhook_path(loaded_entry)
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert webhook_path(loaded_entry) != old_path
    new_button = await send_door_alert(hass, api)
    await press(old_button["body"], old_path)
    await press(old_button["body"])
    assert presses == []
    await press(new_button["body"])
    assert len(presses) == 1


async def test_event_types_and_links_survive_a_restart_and_go_with_the_entry(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    api: AiohttpClientMocker,
    presses: list[Event],
    press: Press,
) -> None:
    """A button on the phone still works after a reload; not after removal."""
    button = await send_door_alert(hass, api)
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(EVENT_ENTITY).attributes["event_types"] == [
        "lock_front_door"
    ]
    await press(button["body"])
    assert len(presses) == 1
    path = webhook_path(loaded_entry)
    assert await hass.config_entries.async_remove(loaded_entry.entry_id)
    await press(button["body"], path)
    assert len(presses) == 1


async def test_the_secret_and_the_link_stay_out_of_states_and_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only the button bodies sent to ActivitySmith carry them."""
    from homeassistant.setup import async_setup_component  # noqa: PLC0415
    from pytest_homeassistant_custom_component.components.diagnostics import (  # noqa: PLC0415
        get_diagnostics_for_config_entry,
    )

    await async_setup_component(hass, "diagnostics", {})
    button = await send_door_alert(hass, api)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    states = str([state.as_dict() for state in hass.states.async_all()])
    for secret in (
        loaded_entry.data[CONF_SECRET],
        loaded_entry.data[CONF_WEBHOOK_ID],
        button["body"]["token"],
        API_KEY,
    ):
        assert secret not in str(diagnostics)
        assert secret not in states
        assert secret not in caplog.text


async def test_the_webhook_is_listed_by_name_and_reachable_from_outside(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    """Settings > Webhooks names it; ActivitySmith calls it from the internet."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "webhook/list"})
    answer = await client.receive_json()
    [listed] = [
        hook
        for hook in answer["result"]
        if hook["webhook_id"] == loaded_entry.data[CONF_WEBHOOK_ID]
    ]
    assert listed["domain"] == "activitysmith"
    assert listed["name"] == "ActivitySmith buttons"
    assert listed["local_only"] is False


@pytest.mark.usefixtures("loaded_entry")
async def test_other_buttons_beside_a_home_assistant_one_are_sent_as_given(
    hass: HomeAssistant, api: AiohttpClientMocker
) -> None:
    """Only home_assistant buttons become webhook buttons; a link stays a link."""
    link = {"title": "Camera", "type": "open_url", "url": "https://cam.example.org"}
    await act(
        hass,
        "start_live_activity",
        {**EXAMPLE_CONTENT["alert"], "action": LOCK, "secondary_action": link},
    )
    await act(
        hass, "send_push_notification", {"title": "Door", "actions": [link, LOCK]}
    )
    start, push = sent_bodies(api)
    assert start["secondary_action"] == link
    assert push["actions"][0] == link
    assert push["actions"][1]["type"] == "webhook"
