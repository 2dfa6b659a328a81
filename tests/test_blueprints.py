"""The automation blueprints in blueprints/: each is loaded by Home Assistant's blueprint
integration, run against the mocked API, and judged by the requests it sends."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import timedelta
from functools import partial
import logging
from pathlib import Path
import re
import shutil
from typing import Any
from unittest.mock import patch
from urllib.parse import quote

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import Blueprint
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify, yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)
from yarl import URL

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.client.budget import RequestBudget
from custom_components.activitysmith.webhook import CONF_WEBHOOK_ID

from .conftest import stream_answer
from .recipients_support import household

REPO = Path(__file__).parent.parent
BLUEPRINTS = REPO / "blueprints" / "automation" / "activitysmith"
SOURCE_URL = (
    "https://github.com/activitysmith-home-assistant/activitysmith-home-assistant"
    "/blob/main/blueprints/automation/activitysmith/"
)
FILES = {
    "appliance_progress.yaml",
    "door_left_open.yaml",
    "doorbell_snapshot.yaml",
    "badge_count.yaml",
}
STREAM_URL = f"{API_BASE_URL}/live-activity/stream/"
PUSH_URL = f"{API_BASE_URL}/push-notification"
BADGE_URL = f"{API_BASE_URL}/badge"
EXTERNAL = "https://home.example.org"

type Request = tuple[str, str, Any]


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A config directory of the test's own, where the blueprints are copied."""
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
def no_stream_spacing() -> Generator[None]:
    """The blueprints are judged by what they send, not by the budget's pacing."""
    with patch(
        "custom_components.activitysmith.models.RequestBudget",
        partial(RequestBudget, stream_spacing=0.0, min_interval=0.0),
    ):
        yield


@pytest.fixture(autouse=True)
def installed_blueprints(hass: HomeAssistant) -> None:
    """The repository's blueprints, where Home Assistant looks for them."""
    shutil.copytree(BLUEPRINTS, hass.config.path("blueprints/automation/activitysmith"))


@pytest.fixture
def api(aioclient_mock: AiohttpClientMocker) -> AiohttpClientMocker:
    """Streams start on their first PUT and update afterwards; the rest succeeds."""
    started: set[str] = set()

    async def put(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        key = url.name
        operation = "updated" if key in started else "started"
        started.add(key)
        answer = stream_answer(operation, f"act-{key}", stream_key=key)
        return AiohttpClientMockResponse(method, url, json=answer)

    async def delete(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        answer = stream_answer("ended", f"act-{url.name}", stream_key=url.name)
        return AiohttpClientMockResponse(method, url, json=answer)

    any_stream = re.compile(re.escape(STREAM_URL) + ".*")
    aioclient_mock.put(any_stream, side_effect=put)
    aioclient_mock.delete(any_stream, side_effect=delete)
    aioclient_mock.post(
        PUSH_URL, json={"success": True, "devices_notified": 1, "timestamp": "t"}
    )
    aioclient_mock.post(
        BADGE_URL, json={"success": True, "devices_notified": 1, "timestamp": "t"}
    )
    return aioclient_mock


def requests(aioclient_mock: AiohttpClientMocker) -> list[Request]:
    """Method, URL and JSON body of every request so far, key checks left out."""
    return [
        (method, str(url), body)
        for method, url, body, _ in aioclient_mock.mock_calls
        if "home-assistant-key-check" not in str(url)
    ]


async def use_blueprint(
    hass: HomeAssistant, file: str, alias: str, inputs: dict[str, Any]
) -> str:
    """Set up an automation from `file` with `inputs`; return its entity id."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": slugify(alias),
                "alias": alias,
                "use_blueprint": {"path": f"activitysmith/{file}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    entity_id = f"automation.{slugify(alias)}"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "on"
    return entity_id


def write_state(
    hass: HomeAssistant, entity_id: str, state: str, **attributes: Any
) -> None:
    """Change a state the way its entity would: the attributes stay unless given."""
    old = hass.states.get(entity_id)
    hass.states.async_set(
        entity_id, state, {**(old.attributes if old else {}), **attributes}
    )


async def set_state(
    hass: HomeAssistant, entity_id: str, state: str, **attributes: Any
) -> None:
    """Change a state, and wait until the runs it starts are done."""
    write_state(hass, entity_id, state, **attributes)
    await hass.async_block_till_done()


async def change(
    hass: HomeAssistant, entity_id: str, state: str, **attributes: Any
) -> None:
    """Change a state, and let the runs it starts go as far as they can at once."""
    write_state(hass, entity_id, state, **attributes)
    await settle(hass)


class Clock:
    """Time in a test: it passes only when told, for triggers' `for` and delays."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
        self.hass = hass
        self.freezer = freezer

    async def wait(self, **duration: float) -> None:
        """Let `duration` pass, and wait until the runs it starts are done."""
        self.freezer.tick(timedelta(**duration))
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done()

    async def settle(self, **duration: float) -> None:
        """Run what is ready, let `duration` pass, run what is ready then.

        For runs that wait in a `delay`, which `async_block_till_done` would wait out
        in real time.
        """
        await settle(self.hass)
        if duration:
            self.freezer.tick(timedelta(**duration))
            async_fire_time_changed(self.hass)
            await settle(self.hass)


async def settle(hass: HomeAssistant) -> None:
    """Run everything that is ready now, without waiting for any timer."""
    for _ in range(100):
        await asyncio.sleep(0)


@pytest.fixture
def clock(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> Clock:
    return Clock(hass, freezer)


def errors_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors logged, but aiohttp's access log: it cannot read a frozen clock's zone."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.name != "aiohttp.access"
    ]


# The files ---------------------------------------------------------------------


def test_the_folder_holds_exactly_the_tested_blueprints() -> None:
    """A new blueprint needs a test here."""
    assert {path.name for path in BLUEPRINTS.iterdir()} == FILES


@pytest.mark.parametrize("file", sorted(FILES))
def test_each_blueprint_is_valid_and_complete(file: str) -> None:
    """Home Assistant's own schema accepts it; the metadata a user sees is there."""
    data = yaml_util.load_yaml_dict(BLUEPRINTS / file)
    blueprint = Blueprint(
        data,
        path=file,
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None  # the pinned Home Assistant is new enough
    metadata = blueprint.metadata
    assert metadata["name"].startswith("ActivitySmith - ")
    assert len(metadata["description"]) > 200
    assert metadata["source_url"] == SOURCE_URL + file
    assert metadata["homeassistant"] == {"min_version": "2026.10.0"}
    assert data["mode"] in {"single", "restart", "queued", "parallel"}
    for name, definition in blueprint.inputs.items():
        assert definition["name"], name
        assert definition["selector"], name
    # Every input is used, every used input is defined.
    assert yaml_util.extract_inputs(data) == set(blueprint.inputs)


@pytest.mark.parametrize("file", sorted(FILES))
def test_the_readme_offers_each_blueprint_for_import(file: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    link = (
        "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="
        + quote(SOURCE_URL + file, safe="")
    )
    assert f"]({link})" in readme


# Appliance progress ------------------------------------------------------------


@pytest.fixture
def washer_progress(hass: HomeAssistant) -> str:
    """sensor.washer_progress, on a device named Washer."""
    other = MockConfigEntry(domain="test")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("test", "washer")}, name="Washer"
    )
    entry = er.async_get(hass).async_get_or_create(
        "sensor",
        "test",
        "washer_progress",
        device_id=device.id,
        suggested_object_id="washer_progress",
    )
    hass.states.async_set(entry.entity_id, "unknown", {"unit_of_measurement": "%"})
    return entry.entity_id


@pytest.mark.usefixtures("loaded_entry")
async def test_appliance_progress_with_a_running_entity(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    washer_progress: str,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """Start, progress (whole percents only), end after `stopped_for`, all defaults."""
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"washer_running": None}}
    )
    await use_blueprint(
        hass,
        "appliance_progress.yaml",
        "Washer progress",
        {
            "progress_sensor": washer_progress,
            "running_entities": "input_boolean.washer_running",
        },
    )
    await set_state(hass, washer_progress, "3")  # not running yet: nothing
    assert requests(api) == []

    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.washer_running"}
    )
    await hass.async_block_till_done()
    for reading in ("42.4", "42.2", "unavailable", "42", "120"):
        await set_state(hass, washer_progress, reading)
    content = {
        "title": "Washer",  # the device's name, and so the stream key `washer`
        "type": "progress",
        "icon": {"symbol": "washer.fill"},
        "color": "blue",
    }
    washer = STREAM_URL + "washer"
    assert requests(api) == [
        ("PUT", washer, {"content_state": {**content, "percentage": 3}}),
        ("PUT", washer, {"content_state": {**content, "percentage": 42}}),
        # 42.2 is still 42; unavailable is skipped; 42 again after it is sent
        ("PUT", washer, {"content_state": {**content, "percentage": 42}}),
        ("PUT", washer, {"content_state": {**content, "percentage": 100}}),
    ]
    assert hass.states.get("sensor.activitysmith_washer").attributes["status"] == (
        "active"
    )

    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.washer_running"}
    )
    await hass.async_block_till_done()
    await clock.wait(minutes=1)
    assert len(requests(api)) == 4  # a pause, not the end yet
    await clock.wait(minutes=1)
    assert requests(api)[4:] == [
        (
            "DELETE",
            washer,
            {
                "content_state": {
                    **content,
                    "percentage": 100,
                    "subtitle": "Done",
                    "auto_dismiss_minutes": 10,
                }
            },
        )
    ]
    assert hass.states.get("sensor.activitysmith_washer").attributes["status"] == (
        "ended"
    )

    # The next run starts afresh, without the last run's subtitle.
    await set_state(hass, washer_progress, "0")
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.washer_running"}
    )
    await hass.async_block_till_done()
    assert requests(api)[5:] == [
        ("PUT", washer, {"content_state": {**content, "percentage": 0}})
    ]
    assert errors_in(caplog) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_appliance_progress_with_a_power_threshold(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """A sensor that counts down, a power dip shorter than `stopped_for`, own inputs."""
    power, remaining = "sensor.dryer_power", "sensor.dryer_remaining"
    await set_state(hass, power, "0", device_class="power", unit_of_measurement="W")
    await set_state(hass, remaining, "100", unit_of_measurement="%")
    await use_blueprint(
        hass,
        "appliance_progress.yaml",
        "Dryer progress",
        {
            "progress_sensor": remaining,
            "counts_down": True,
            "power_sensors": [power],
            "power_threshold": 10,
            "stopped_for": {"minutes": 5},
            "title": "Dryer",
            "icon": "dryer.fill",
            "color": "orange",
            "finished_text": "Dry",
            "auto_dismiss_minutes": 30,
        },
    )
    await set_state(hass, power, "800")
    await set_state(hass, remaining, "60")
    await set_state(hass, power, "2")  # the drum pauses
    await clock.wait(minutes=1)
    await set_state(hass, remaining, "50")
    await set_state(hass, power, "750")  # and turns again: the same run
    await set_state(hass, remaining, "10.4")
    await set_state(hass, power, "1")
    await clock.wait(minutes=6)
    await set_state(hass, remaining, "100")  # reset after the run: nothing to show
    content = {
        "title": "Dryer",
        "type": "progress",
        "icon": {"symbol": "dryer.fill"},
        "color": "orange",
    }
    dryer = STREAM_URL + "dryer"
    assert requests(api) == [
        ("PUT", dryer, {"content_state": {**content, "percentage": 0}}),
        ("PUT", dryer, {"content_state": {**content, "percentage": 40}}),
        ("PUT", dryer, {"content_state": {**content, "percentage": 50}}),
        ("PUT", dryer, {"content_state": {**content, "percentage": 90}}),
        (
            "DELETE",
            dryer,
            {
                "content_state": {
                    **content,
                    "percentage": 100,
                    "subtitle": "Dry",
                    "auto_dismiss_minutes": 30,
                }
            },
        ),
    ]
    assert errors_in(caplog) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_appliance_progress_with_several_power_sensors(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """The phases of an oven: it runs while any is above the threshold; it ends when
    all have stayed below for `stopped_for`."""
    phases = ["sensor.oven_l1_power", "sensor.oven_l2_power"]
    for phase in phases:
        await set_state(hass, phase, "0", device_class="power")
    await set_state(hass, "sensor.oven_progress", "0", friendly_name="Oven")
    await use_blueprint(
        hass,
        "appliance_progress.yaml",
        "Oven progress",
        {
            "progress_sensor": "sensor.oven_progress",
            "power_sensors": phases,
            "icon": "oven.fill",
        },
    )
    await set_state(hass, phases[0], "2000")
    await set_state(hass, phases[1], "1500")  # already running: nothing new
    await set_state(hass, phases[0], "0")
    await clock.wait(minutes=3)
    assert len(requests(api)) == 1  # one phase still draws power: no end yet
    await set_state(hass, phases[1], "0")
    await clock.wait(minutes=3)
    content = {
        "title": "Oven",  # no device: the progress sensor's name
        "type": "progress",
        "icon": {"symbol": "oven.fill"},
        "color": "blue",
    }
    final = {**content, "percentage": 100, "subtitle": "Done"}
    assert requests(api) == [
        ("PUT", STREAM_URL + "oven", {"content_state": {**content, "percentage": 0}}),
        (
            "DELETE",
            STREAM_URL + "oven",
            {"content_state": {**final, "auto_dismiss_minutes": 10}},
        ),
    ]
    assert errors_in(caplog) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_appliance_progress_stopping_without_a_stream_sends_nothing(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """A stop after a restart, with no stream running, ends nothing (no 404 error)."""
    await set_state(hass, "sensor.oven_progress", "50")
    await set_state(hass, "binary_sensor.oven_running", "unavailable")
    automation = await use_blueprint(
        hass,
        "appliance_progress.yaml",
        "Oven progress",
        {
            "progress_sensor": "sensor.oven_progress",
            "running_entities": ["binary_sensor.oven_running"],
            "stream_key": "oven",
        },
    )
    await set_state(hass, "binary_sensor.oven_running", "off")
    await clock.wait(minutes=3)
    assert hass.states.get(automation).attributes["last_triggered"] is not None
    assert requests(api) == []
    assert errors_in(caplog) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_appliance_progress_without_a_way_to_know_it_runs_says_so(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    api: AiohttpClientMocker,
) -> None:
    """Neither a running entity nor a power sensor: the run stops with an error that
    says what to choose (in its trace), and sends nothing."""
    await set_state(hass, "sensor.oven_progress", "10")
    await use_blueprint(
        hass,
        "appliance_progress.yaml",
        "Oven progress",
        {"progress_sensor": "sensor.oven_progress"},
    )
    await set_state(hass, "sensor.oven_progress", "20")
    assert requests(api) == []
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "trace/list", "domain": "automation"})
    [summary] = (await client.receive_json())["result"]
    await client.send_json_auto_id(
        {
            "type": "trace/get",
            "domain": "automation",
            "item_id": "oven_progress",
            "run_id": summary["run_id"],
        }
    )
    trace = (await client.receive_json())["result"]
    assert trace["script_execution"] == "aborted"
    [stop] = trace["trace"]["action/0/then/0"]
    assert stop["error"].startswith("Choose a running entity or a power sensor")


# Door left open ----------------------------------------------------------------


@pytest.fixture
def external_https(hass: HomeAssistant) -> None:
    """Home Assistant is reachable at an https external URL: buttons can come home."""
    hass.config.external_url = EXTERNAL


@pytest.mark.usefixtures("external_https")
async def test_door_left_open_alert_button_and_end(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """Open for 10 minutes: an alert with a Close button; a press runs the chosen
    actions; closing ends the stream."""
    closed_covers: list[ServiceCall] = async_mock_service(hass, "cover", "close_cover")
    door = "binary_sensor.garage_door"
    await set_state(
        hass, door, "off", device_class="garage_door", friendly_name="Garage door"
    )
    await use_blueprint(
        hass,
        "door_left_open.yaml",
        "Garage door left open",
        {
            "door": door,
            "icon": "door.garage.open",
            "button_actions": [
                {
                    "action": "cover.close_cover",
                    "target": {"entity_id": "cover.garage_door"},
                }
            ],
        },
    )
    await set_state(hass, door, "on")
    await clock.wait(minutes=9)
    assert requests(api) == []
    await clock.wait(minutes=1)
    [(method, url, body)] = requests(api)
    assert (method, url) == ("PUT", STREAM_URL + "garage_door")
    assert body["content_state"] == {
        "title": "Garage door",
        "type": "alert",
        "message": "Open for 10 minutes",
        "icon": {"symbol": "door.garage.open"},
        "color": "red",
    }
    assert body["alert"] == {"title": "Garage door", "body": "Open for 10 minutes"}
    button = body["action"]
    assert button["type"] == "webhook"
    assert button["method"] == "POST"
    assert (
        button["url"] == f"{EXTERNAL}/api/webhook/{loaded_entry.data[CONF_WEBHOOK_ID]}"
    )
    assert button["body"]["action"] == "close_garage_door"
    assert button["body"]["title"] == "Close"
    assert button["body"]["stream_key"] == "garage_door"

    # Another automation's button runs nothing here.
    hass.bus.async_fire("activitysmith_action", {"action": "close_front_door"})
    await hass.async_block_till_done()
    assert closed_covers == []
    # What ActivitySmith does on a tap: POST the button's body to its URL.
    client = await hass_client_no_auth()
    response = await client.post(URL(button["url"]).path, json=button["body"])
    await hass.async_block_till_done()
    assert response.status == 200
    assert [call.data for call in closed_covers] == [
        {"entity_id": ["cover.garage_door"]}
    ]

    await set_state(hass, door, "off")
    assert requests(api)[1:] == [
        (
            "DELETE",
            STREAM_URL + "garage_door",
            {
                "content_state": {
                    "title": "Garage door",
                    "type": "alert",
                    "message": "Closed",
                    "icon": {"symbol": "door.garage.closed"},
                    "color": "green",
                    "auto_dismiss_minutes": 2,
                }
            },
        )
    ]
    assert errors_in(caplog) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_door_left_open_without_a_button(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """No button title: a plain alert, which needs no https way home; a door closed
    before the time is up sends nothing at all."""
    door = "binary_sensor.front_door"
    await set_state(hass, door, "off", device_class="door")
    await use_blueprint(
        hass,
        "door_left_open.yaml",
        "Front door left open",
        {
            "door": door,
            "open_minutes": 1,
            "title": "Front door",
            "message": "Still open",
            "stream_key": "front",
            "button_title": "",
            "closed_message": "Shut",
            "auto_dismiss_minutes": 0,
        },
    )
    await set_state(hass, door, "on")
    await clock.wait(seconds=50)
    await set_state(hass, door, "off")
    await clock.wait(minutes=5)
    assert requests(api) == []

    await set_state(hass, door, "on")
    await clock.wait(minutes=1)
    await set_state(hass, door, "off")
    content = {
        "title": "Front door",
        "type": "alert",
        "message": "Still open",
        "icon": {"symbol": "door.left.hand.open"},
        "color": "red",
    }
    alert = {"title": "Front door", "body": "Still open"}
    assert requests(api) == [
        ("PUT", STREAM_URL + "front", {"content_state": content, "alert": alert}),
        (
            "DELETE",
            STREAM_URL + "front",
            {
                "content_state": {
                    **content,
                    "message": "Shut",
                    "icon": {"symbol": "door.left.hand.closed"},
                    "color": "green",
                    "auto_dismiss_minutes": 0,
                }
            },
        ),
    ]
    assert errors_in(caplog) == []


# Doorbell snapshot -------------------------------------------------------------

CAMERA = "camera.front_door"
PICTURE = f"/api/camera_proxy/{CAMERA}?token=0123abcd"


@pytest.mark.usefixtures("loaded_entry")
async def test_door_left_open_only_to_the_recipients_who_are_home(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """ "Only people who are home": Anna's channels while Ben is away; nobody home
    sends nothing at all (never the whole key)."""
    ids = await household(hass, loaded_entry)
    devices = {
        identifier: device.id
        for device in dr.async_entries_for_config_entry(
            device_registry, loaded_entry.entry_id
        )
        for _, identifier in device.identifiers
    }
    door = "binary_sensor.front_door"
    await set_state(hass, door, "off", device_class="door")
    await use_blueprint(
        hass,
        "door_left_open.yaml",
        "Front door left open",
        {
            "door": door,
            "open_minutes": 1,
            "stream_key": "front",
            "button_title": "",
            "recipients": [devices[ids["anna"]], devices[ids["ben"]]],
            "only_home": True,
        },
    )
    await set_state(hass, door, "on")
    await clock.wait(minutes=1)
    [(method, url, body)] = requests(api)
    assert (method, url) == ("PUT", STREAM_URL + "front")
    assert body["channels"] == ["family", "anna"]
    await set_state(hass, door, "off")
    hass.states.async_set("person.anna", "not_home")
    await set_state(hass, door, "on")
    await clock.wait(minutes=1)
    assert [method for method, _, _ in requests(api)] == ["PUT", "DELETE"]
    assert errors_in(caplog) == []


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("doorbell", "rest", "rings"),
    [
        ("binary_sensor.doorbell", "off", ["on", "off", "on", "off"]),
        (
            "event.doorbell",
            "2026-11-26T08:00:00.000+00:00",
            ["2026-11-26T09:00:00.000+00:00", "2026-11-26T09:00:10.000+00:00"],
        ),
    ],
)
async def test_doorbell_push_with_the_snapshot(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
    doorbell: str,
    rest: str,
    rings: list[str],
) -> None:
    """A ring sends the push with the camera's picture link on the https address;
    rings during the cooldown send nothing; a restart is no ring."""
    await set_state(hass, CAMERA, "idle", entity_picture=PICTURE)
    await set_state(hass, doorbell, "unavailable")
    await use_blueprint(
        hass,
        "doorbell_snapshot.yaml",
        "Doorbell",
        {
            "doorbell": doorbell,
            "camera": CAMERA,
            "base_url": f" {EXTERNAL}/ ",
            "redirection": "http://homeassistant.local:8123/lovelace/cameras",
        },
    )
    await set_state(hass, doorbell, rest)  # back after a restart
    assert requests(api) == []
    for ring in rings:
        await set_state(hass, doorbell, ring)
    push = {
        "title": "Doorbell",
        "message": "Someone is at the door",
        "media": f"{EXTERNAL}{PICTURE}",
        "redirection": "http://homeassistant.local:8123/lovelace/cameras",
    }
    assert requests(api) == [("POST", PUSH_URL, push)]

    await clock.wait(seconds=31)  # the cooldown is over
    await set_state(hass, doorbell, rest)
    await set_state(hass, doorbell, rings[0])
    assert requests(api) == [("POST", PUSH_URL, push)] * 2
    assert errors_in(caplog) == []


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("camera_state", "base_url"),
    [
        ("unavailable", EXTERNAL),
        ("idle", "http://homeassistant.local:8123"),
    ],
)
async def test_doorbell_push_goes_out_without_a_picture_it_cannot_link(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    camera_state: str,
    base_url: str,
) -> None:
    """A camera that is away, or no https address: the push still goes out."""
    attributes = {} if camera_state == "unavailable" else {"entity_picture": PICTURE}
    await set_state(hass, CAMERA, camera_state, **attributes)
    await set_state(hass, "binary_sensor.doorbell", "off")
    await use_blueprint(
        hass,
        "doorbell_snapshot.yaml",
        "Doorbell",
        {
            "doorbell": "binary_sensor.doorbell",
            "camera": CAMERA,
            "base_url": base_url,
            "title": "Ding dong",
            "message": "",
            "cooldown": 0,
        },
    )
    await set_state(hass, "binary_sensor.doorbell", "on")
    assert requests(api) == [("POST", PUSH_URL, {"title": "Ding dong"})]
    assert errors_in(caplog) == []


# Badge count -------------------------------------------------------------------
# These runs wait in a `delay`: the steps settle instead of blocking till done.

WINDOWS = [
    "binary_sensor.kitchen_window",
    "binary_sensor.bedroom_window",
    "binary_sensor.bathroom_window",
]


@pytest.mark.usefixtures("loaded_entry")
async def test_badge_counts_the_entities_in_the_state(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """At start, then on each change into or out of the state; a burst sent once."""
    kitchen, bedroom, bathroom = WINDOWS
    for window, state in zip(WINDOWS, ("on", "off", "on"), strict=True):
        write_state(hass, window, state, device_class="window")
    await use_blueprint(
        hass, "badge_count.yaml", "Open windows badge", {"entities": WINDOWS}
    )
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await settle(hass)
    assert requests(api) == []  # the end of the start's burst is awaited
    await clock.settle(seconds=3)
    assert requests(api) == [("POST", BADGE_URL, {"badge": 2})]

    await change(hass, bedroom, "on")
    await clock.settle(seconds=3)
    # An attribute, an entity not chosen: no count.
    await change(hass, kitchen, "on", friendly_name="Kitchen window")
    await change(hass, bedroom, "on", friendly_name="Bedroom window")
    await change(hass, "binary_sensor.hall_window", "on")
    await clock.settle(seconds=3)
    await change(hass, bedroom, "unavailable")
    await change(hass, bedroom, "off")  # from unavailable: still not counted
    await clock.settle(seconds=1)
    await change(hass, kitchen, "off")
    await clock.settle(seconds=1)
    await change(hass, bathroom, "off")
    await clock.settle(seconds=3)
    assert requests(api)[1:] == [
        ("POST", BADGE_URL, {"badge": 3}),
        ("POST", BADGE_URL, {"badge": 0}),  # the burst: its last count only
    ]
    assert errors_in(caplog) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_badge_counts_another_state_and_follows_a_reload(
    hass: HomeAssistant,
    api: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    """`unlocked` locks; saving the automation (a reload) sets the badge too."""
    write_state(hass, "lock.front", "unlocked")
    write_state(hass, "lock.back", "locked")
    await use_blueprint(
        hass,
        "badge_count.yaml",
        "Unlocked badge",
        {"entities": ["lock.front", "lock.back"], "counted_state": "unlocked"},
    )
    hass.bus.async_fire("automation_reloaded")
    await clock.settle(seconds=3)
    await change(hass, "lock.back", "unlocked")
    await clock.settle(seconds=3)
    await change(hass, "lock.back", "jammed")  # leaves unlocked
    await clock.settle(seconds=3)
    await change(hass, "lock.back", "locked")  # between two others: no new count
    await clock.settle(seconds=3)
    assert requests(api) == [
        ("POST", BADGE_URL, {"badge": 1}),
        ("POST", BADGE_URL, {"badge": 2}),
        ("POST", BADGE_URL, {"badge": 1}),
    ]
    assert errors_in(caplog) == []
