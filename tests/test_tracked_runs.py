"""Runs, not states: an appliance cycle is one Live Activity, from its start to "done".

A power sensor tracked as the flow suggests starts its activity once it has drawn
more than 5 W for a minute and ends it once it has drawn less than 2 W for three
minutes, with an elapsed timer, a final "Done after ..." and one push per run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
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
from custom_components.activitysmith.tracked.conditions import RunConfig
from custom_components.activitysmith.tracked.runs import Run, RunPhase, duration_text

from .recipients_support import household
from .tracked_support import (
    StreamServer,
    add_tracked,
    quick_budget,  # noqa: F401 (a fixture)
    reconfigure_tracked,
    settle,
)

pytestmark = pytest.mark.usefixtures("quick_budget")

POWER = "sensor.washer_power"
POWER_ATTRIBUTES = {
    "device_class": "power",
    "unit_of_measurement": "W",
    "friendly_name": "Washer",
}
PUSH_URL = f"{API_BASE_URL}/push-notification"
PUSH_ANSWER = {
    "success": True,
    "devices_notified": 1,
    "users_notified": 1,
    "timestamp": "2026-11-26T08:00:00Z",
}


@pytest.fixture
def server(aioclient_mock: AiohttpClientMocker) -> StreamServer:
    aioclient_mock.post(PUSH_URL, json=PUSH_ANSWER)
    return StreamServer(aioclient_mock)


def pushes(aioclient_mock: AiohttpClientMocker) -> list[dict[str, Any]]:
    """The bodies of the push notifications sent so far."""
    return [
        body
        for method, url, body, _ in aioclient_mock.mock_calls
        if method == "POST" and str(url) == PUSH_URL
    ]


async def power(
    hass: HomeAssistant, entry: MockConfigEntry, watts: float | str
) -> None:
    """The washer's plug reports `watts`."""
    hass.states.async_set(POWER, str(watts), POWER_ATTRIBUTES)
    await settle(hass, entry)


async def wait(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    seconds: float,
) -> None:
    """Let `seconds` pass, in steps of at most 10 s (a timer due between fires)."""
    while seconds > 0:
        step = min(10.0, seconds)
        freezer.tick(timedelta(seconds=step))
        async_fire_time_changed(hass)
        await settle(hass, entry)
        seconds -= step


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Everything saved, then read back by a new set-up (as after a restart)."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hass.data.pop(f"{DOMAIN}_trackers", None)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, entry)


@pytest.fixture
async def washer(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> str:
    """The washer's power sensor at 0 W, tracked as the flow suggests."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    hass.states.async_set(POWER, "0", POWER_ATTRIBUTES)
    subentry_id = await add_tracked(hass, loaded_entry, POWER)
    await settle(hass, loaded_entry)
    return subentry_id


async def test_a_wash_with_dips_is_one_run_from_start_to_done(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
) -> None:
    """Start after a minute above 5 W; a 90 s dip stays the run; end 3 min below 2 W."""
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 50)
    assert server.received == []  # not a minute yet
    tracked = loaded_entry.runtime_data.tracked.by_subentry[washer]
    assert tracked.as_dict()["run"] == {  # as diagnostics show it
        "phase": "starting",
        "pending_since": "2026-11-26T08:00:00+00:00",
        "peak": 2000.0,
    }
    await wait(hass, loaded_entry, freezer, 10)
    [start] = server.states()
    assert (start["type"], start["counts_down"]) == ("timer", False)
    assert "duration_seconds" not in start  # an elapsed timer: no update a second
    await power(hass, loaded_entry, 1.5)  # a soak
    await wait(hass, loaded_entry, freezer, 90)
    await power(hass, loaded_entry, 300)
    await wait(hass, loaded_entry, freezer, 600)
    assert server.methods() == ["PUT"]
    await power(hass, loaded_entry, 0.5)  # done for good
    await wait(hass, loaded_entry, freezer, 170)
    assert server.methods() == ["PUT"]
    await wait(hass, loaded_entry, freezer, 10)
    assert server.methods() == ["PUT", "DELETE"]
    [end] = server.sent("DELETE")
    # From the first minute above 5 W to the moment it dropped for good.
    assert end["content_state"]["subtitle"] == "Done after 12 min"  # 12.5
    assert end["content_state"]["is_running"] is False
    [push] = pushes(aioclient_mock)
    assert push == {"title": "Washer", "message": "Done after 12 min"}
    await wait(hass, loaded_entry, freezer, 600)
    assert len(pushes(aioclient_mock)) == 1


async def test_a_short_rise_does_not_start_and_between_thresholds_nothing_changes(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
    washer: str,
) -> None:
    """30 s at 2 kW is not a run; 3 W neither starts one nor ends it (hysteresis)."""
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 30)
    await power(hass, loaded_entry, 3)
    await wait(hass, loaded_entry, freezer, 300)
    assert server.received == []
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 60)
    await power(hass, loaded_entry, 3)
    await wait(hass, loaded_entry, freezer, 3600)
    assert server.methods() == ["PUT"]


async def test_unavailable_pauses_the_clock_of_the_end_and_never_ends_the_run(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
    washer: str,
) -> None:
    """100 s below 2 W, 10 min unavailable, then 80 s more: the end is due only then."""
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 60)
    await power(hass, loaded_entry, 1)
    await wait(hass, loaded_entry, freezer, 100)
    for state in ("unavailable", "unknown"):
        await power(hass, loaded_entry, state)
        await wait(hass, loaded_entry, freezer, 300)
    await power(hass, loaded_entry, 1)
    await wait(hass, loaded_entry, freezer, 70)
    assert server.methods() == ["PUT"]
    await wait(hass, loaded_entry, freezer, 10)
    assert server.methods() == ["PUT", "DELETE"]


async def test_a_value_that_is_not_a_number_is_an_error_and_never_starts(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A value template that renders text: the sentence on the sensor, no start."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    hass.states.async_set("sensor.plug", "0", {"watts": 0})
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.plug",
        when={"condition": "above"},
        run={
            "run_value": "{{ entity.attributes.watts }}",
            "start_threshold": "5",
            "end_threshold": "2",
        },
    )
    hass.states.async_set("sensor.plug", "1", {"watts": "lots"})
    await settle(hass, loaded_entry)
    await wait(hass, loaded_entry, freezer, 120)
    assert server.received == []
    error = hass.states.get("sensor.plug_live_activity").attributes["error"]
    assert error == "The value lots is not a number; the run waits for a number."
    hass.states.async_set("sensor.plug", "1", {"watts": 900})
    await settle(hass, loaded_entry)
    await wait(hass, loaded_entry, freezer, 60)
    assert server.methods() == ["PUT"]
    assert "error" not in hass.states.get("sensor.plug_live_activity").attributes


@pytest.mark.parametrize("dropped", [False, True])
async def test_a_restart_in_the_middle_of_a_run_continues_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
    dropped: bool,
) -> None:
    """No second start; the run's clock and pending end go on; one end, one push."""
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 600)
    if dropped:  # the end was pending for 2 of its 3 minutes
        await power(hass, loaded_entry, 0)
        await wait(hass, loaded_entry, freezer, 120)
    await restart(hass, loaded_entry)
    # Reconciled as any tracked entity: its state again, which the stream updates.
    assert server.methods() == ["PUT", "PUT"]
    assert server.states()[0] == server.states()[1]
    await power(hass, loaded_entry, 0)
    await wait(hass, loaded_entry, freezer, 60 if dropped else 180)
    assert server.methods() == ["PUT", "PUT", "DELETE"]
    [push] = pushes(aioclient_mock)
    # From its start to the drop for good, the restart included.
    assert push["message"] == "Done after 10 min"


async def test_a_restart_in_the_middle_of_a_pending_start_counts_on(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
    washer: str,
) -> None:
    """40 s before the restart and 20 s after make the minute: one start."""
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 40)
    await restart(hass, loaded_entry)
    assert server.received == []
    await wait(hass, loaded_entry, freezer, 20)
    assert server.methods() == ["PUT"]
    await restart(hass, loaded_entry)
    assert server.methods() == ["PUT", "PUT"]  # reconciled, not started again


async def test_the_done_push_is_never_sent_again_after_a_restart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
) -> None:
    """An ended run stays ended: no start, no end, no push after the restart."""
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 60)
    await power(hass, loaded_entry, 0)
    await wait(hass, loaded_entry, freezer, 180)
    await restart(hass, loaded_entry)
    await wait(hass, loaded_entry, freezer, 600)
    assert server.methods() == ["PUT", "DELETE"]
    assert len(pushes(aioclient_mock)) == 1
    assert loaded_entry.runtime_data.activities.runs == {}


async def test_the_push_can_be_turned_off_and_the_final_words_changed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
) -> None:
    """Reconfigured: no push; the final subtitle is the user's template."""
    await reconfigure_tracked(
        hass,
        loaded_entry,
        washer,
        done={
            "done_push": False,
            "done_message": "{{ (run_elapsed / 60) | round }} min, peak {{ run_peak }} W",
        },
    )
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 60)
    await power(hass, loaded_entry, 2500)
    await power(hass, loaded_entry, 0)
    await wait(hass, loaded_entry, freezer, 180)
    [end] = server.sent("DELETE")
    assert end["content_state"]["subtitle"] == "1 min, peak 2500.0 W"
    assert pushes(aioclient_mock) == []


async def test_the_done_push_carries_a_button_that_runs_an_automation(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
) -> None:
    """A home_assistant button on the push is a signed webhook button."""
    await hass.config.async_update(external_url="https://home.example.com")
    await reconfigure_tracked(
        hass,
        loaded_entry,
        washer,
        done={"push_button_title": "Start dryer", "push_button_action": "dryer"},
    )
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 60)
    await power(hass, loaded_entry, 0)
    await wait(hass, loaded_entry, freezer, 180)
    [push] = pushes(aioclient_mock)
    [button] = push["actions"]
    assert (button["title"], button["type"]) == ("Start dryer", "webhook")
    assert button["body"]["action"] == "dryer"


async def test_a_percentage_is_shown_while_it_changes(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A phone sitting at 80 % is not shown; charging is, until 10 min without change."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    battery = {"device_class": "battery", "unit_of_measurement": "%"}
    hass.states.async_set("sensor.phone_battery", "80", battery)
    await add_tracked(hass, loaded_entry, "sensor.phone_battery")
    await wait(hass, loaded_entry, freezer, 1200)
    assert server.received == []
    for level in ("81", "82"):
        hass.states.async_set("sensor.phone_battery", level, battery)
        await wait(hass, loaded_entry, freezer, 300)
    assert [s["percentage"] for s in server.states()] == [81, 82]
    await wait(hass, loaded_entry, freezer, 290)
    assert server.methods() == ["PUT", "PUT"]
    await wait(hass, loaded_entry, freezer, 10)
    assert server.methods() == ["PUT", "PUT", "DELETE"]
    assert pushes(aioclient_mock) == []  # "while it changes" says nothing when done


async def end_a_run(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Two minutes at 2 kW, then 0 W until the run is done."""
    await power(hass, entry, 2000)
    await wait(hass, entry, freezer, 120)
    await power(hass, entry, 0)
    await wait(hass, entry, freezer, 180)


@pytest.mark.parametrize(
    "refusal",
    [
        {
            "status": 429,
            "json": {"error": "Rate limit exceeded"},
            "headers": {"Retry-After": "30"},
        },
        {"status": 429, "json": {"error": "Rate limit exceeded"}},
    ],
    ids=["429 with Retry-After", "429 without"],
)
async def test_a_done_push_refused_for_the_rate_is_sent_when_it_may(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
    refusal: dict[str, Any],
) -> None:
    """Nothing reached a phone: tried again once the wait is over, and sent once."""
    answers = [refusal, {"json": PUSH_ANSWER}]
    aioclient_mock.clear_requests()
    StreamServer(aioclient_mock)
    sent: list[dict[str, Any]] = []

    async def answer(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        sent.append(data)
        return AiohttpClientMockResponse(method, url, **answers.pop(0))

    aioclient_mock.post(PUSH_URL, side_effect=answer)
    await end_a_run(hass, loaded_entry, freezer)
    assert len(sent) == 1
    await wait(hass, loaded_entry, freezer, 70)
    assert len(sent) == 2
    assert sent[0] == sent[1]
    await wait(hass, loaded_entry, freezer, 600)
    assert len(sent) == 2


async def test_a_done_push_that_fails_is_logged_and_the_run_ends_all_the_same(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused push is a sentence in the log; it is not sent again."""
    aioclient_mock.clear_requests()
    server = StreamServer(aioclient_mock)
    aioclient_mock.post(
        PUSH_URL, status=403, json={"error": "Forbidden", "message": "scope"}
    )
    await end_a_run(hass, loaded_entry, freezer)
    await wait(hass, loaded_entry, freezer, 600)
    assert server.methods() == ["PUT", "DELETE"]
    assert len(pushes(aioclient_mock)) == 1
    assert "The done push of Washer was not sent" in caplog.text


async def test_a_push_template_that_fails_sends_no_push(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The activity still ends; the log says why no push came."""
    await reconfigure_tracked(
        hass, loaded_entry, washer, done={"push_message": "{{ 1 / 0 }}"}
    )
    await end_a_run(hass, loaded_entry, freezer)
    assert server.methods() == ["PUT", "DELETE"]
    assert pushes(aioclient_mock) == []
    assert "The done push of Washer was not sent" in caplog.text


async def test_the_done_push_goes_to_the_tracked_entitys_channels(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
) -> None:
    """The same recipients as its Live Activity."""
    await reconfigure_tracked(
        hass, loaded_entry, washer, when={"channels": ["laundry"]}
    )
    await end_a_run(hass, loaded_entry, freezer)
    [push] = pushes(aioclient_mock)
    assert push["target"] == {"channels": ["laundry"]}


async def test_a_value_template_that_fails_pauses_the_run_with_an_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A template error is the sensor's error; the pending start waits for a number."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    hass.states.async_set("sensor.plug", "0", {"amps": 1})
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.plug",
        when={"condition": "above"},
        run={
            "run_value": "{{ 230 / entity.attributes.amps }}",
            "start_threshold": "100",
            "end_threshold": "50",
        },
    )
    hass.states.async_set("sensor.plug", "1", {"amps": 2})  # 115 W
    await wait(hass, loaded_entry, freezer, 30)
    hass.states.async_set("sensor.plug", "1", {"amps": 0})
    await wait(hass, loaded_entry, freezer, 300)
    assert server.received == []
    assert "error" in hass.states.get("sensor.plug_live_activity").attributes
    hass.states.async_set("sensor.plug", "1", {"amps": 2})
    await wait(hass, loaded_entry, freezer, 20)
    assert server.received == []  # 30 s before the error, 20 s after: not a minute
    await wait(hass, loaded_entry, freezer, 10)
    assert server.methods() == ["PUT"]


async def test_a_changing_value_that_pauses_is_not_ended_by_the_pause(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unavailable for half an hour: the 10 minutes count without that half hour."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    battery = {"device_class": "battery", "unit_of_measurement": "%"}
    hass.states.async_set("sensor.phone_battery", "50", battery)
    await add_tracked(hass, loaded_entry, "sensor.phone_battery")
    hass.states.async_set("sensor.phone_battery", "51", battery)
    await wait(hass, loaded_entry, freezer, 300)
    hass.states.async_set("sensor.phone_battery", "unavailable", battery)
    await wait(hass, loaded_entry, freezer, 1800)
    hass.states.async_set("sensor.phone_battery", "51", battery)
    await wait(hass, loaded_entry, freezer, 290)
    assert server.methods() == ["PUT"]
    await wait(hass, loaded_entry, freezer, 10)
    assert server.methods() == ["PUT", "DELETE"]


def test_a_stored_run_that_cannot_be_read_starts_idle() -> None:
    """Junk in the store never starts or ends a run."""
    for junk in (
        "running",
        {"phase": "sprinting"},
        {"phase": "running"},  # on, but since when?
        {"phase": "starting", "pending_since": "yesterday"},
        {"phase": "running", "started": "2026-11-26T08:00:00+00:00", "peak": "inf"},
        {"phase": "running", "started": "2026-11-26T08:00:00+00:00", "peak": [1]},
    ):
        assert Run.from_stored(junk) == Run()
    run = Run.from_stored(
        {"phase": "running", "started": "2026-11-26T08:00:00+00:00", "peak": 2000}
    )
    assert (run.phase, run.peak) == (RunPhase.RUNNING, 2000.0)
    assert Run.from_stored(run.as_stored()) == run


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (60, "1 min"), (749, "12 min"), (3600, "1 h"), (4320, "1 h 12 min")],
)
def test_a_run_s_length_reads_as_people_write_it(seconds: int, text: str) -> None:
    """Whole minutes, as a clock counts them."""
    assert duration_text(seconds) == text


def test_a_run_condition_that_cannot_be_read_is_no_run() -> None:
    """Edited by hand or written by a newer version: shown by its states instead."""
    assert RunConfig.from_data({"condition": "sideways"}) is None
    assert RunConfig.from_data({"condition": "above", "start_threshold": "x"}) is None
    assert RunConfig.from_data({"condition": "states"}) is None


async def test_content_templates_can_show_the_run_s_clock(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    freezer: FrozenDateTimeFactory,
    washer: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """run_elapsed in a subtitle: rendered at each change, never undefined."""
    await reconfigure_tracked(
        hass,
        loaded_entry,
        washer,
        content={"subtitle": "{{ run_elapsed // 60 }} min, peak {{ run_peak }} W"},
    )
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 60)
    await wait(hass, loaded_entry, freezer, 600)
    await power(hass, loaded_entry, 300)
    assert [s["subtitle"] for s in server.states()] == [
        "1 min, peak 2000.0 W",
        "11 min, peak 2000.0 W",
    ]
    assert "undefined" not in caplog.text


async def test_a_shown_entity_switched_to_a_run_ends_until_its_run_starts(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No run is on yet: the activity ends without a "done", and no push goes."""
    freezer.move_to("2026-11-26 08:00:00+00:00")
    hass.states.async_set(POWER, "2000", POWER_ATTRIBUTES)
    subentry_id = await add_tracked(
        hass, loaded_entry, POWER, when={"condition": "states"}
    )
    await settle(hass, loaded_entry)
    await reconfigure_tracked(
        hass, loaded_entry, subentry_id, when={"condition": "above"}
    )
    await settle(hass, loaded_entry)
    assert server.methods() == ["PUT", "DELETE"]
    [end] = server.sent("DELETE")
    assert "subtitle" not in end["content_state"]
    assert pushes(aioclient_mock) == []
    await wait(hass, loaded_entry, freezer, 60)
    assert server.methods() == ["PUT", "DELETE", "PUT"]


async def test_a_done_push_the_rate_keeps_refusing_is_given_up_with_a_sentence(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    washer: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Four refusals: the first try and three more, then the log says so."""
    aioclient_mock.clear_requests()
    StreamServer(aioclient_mock)
    aioclient_mock.post(
        PUSH_URL,
        status=429,
        json={"error": "Rate limit exceeded"},
        headers={"Retry-After": "10"},
    )
    await end_a_run(hass, loaded_entry, freezer)
    await wait(hass, loaded_entry, freezer, 600)
    assert len(pushes(aioclient_mock)) == 4
    assert "The done push of Washer was not sent" in caplog.text


async def test_the_summary_is_in_home_assistant_s_language(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """German: "Fertig nach 2 min", on the phone and in the push."""
    hass.config.language = "de"
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    freezer.move_to("2026-11-26 08:00:00+00:00")
    hass.states.async_set(POWER, "0", POWER_ATTRIBUTES)
    await add_tracked(hass, loaded_entry, POWER)
    await end_a_run(hass, loaded_entry, freezer)
    [end] = server.sent("DELETE")
    assert end["content_state"]["subtitle"] == "Fertig nach 2 min"
    [push] = pushes(aioclient_mock)
    assert push["message"] == "Fertig nach 2 min"


async def test_the_done_push_goes_to_the_runs_recipients_only(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Only people who are home: Anna's channels get the push, Ben's never do.

    The run's recipients are fixed when it starts (README, Household): Ben coming
    home during the wash does not add him to its push.
    """
    people = await household(hass, loaded_entry)
    freezer.move_to("2026-11-26 08:00:00+00:00")
    hass.states.async_set(POWER, "0", POWER_ATTRIBUTES)
    await add_tracked(
        hass,
        loaded_entry,
        POWER,
        when={"recipients": [people["anna"], people["ben"]], "presence": "home"},
    )
    await settle(hass, loaded_entry)
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 70)
    hass.states.async_set("person.ben", "home")
    await power(hass, loaded_entry, 0)
    await wait(hass, loaded_entry, freezer, 190)
    [push] = pushes(aioclient_mock)
    assert push["target"] == {"channels": ["family", "anna"]}


async def test_no_done_push_when_the_runs_recipients_were_nobody(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: StreamServer,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Nobody away: nothing starts and no push goes, to anyone (never a broadcast)."""
    people = await household(hass, loaded_entry)
    hass.states.async_set("person.ben", "home")
    hass.states.async_set(POWER, "0", POWER_ATTRIBUTES)
    await add_tracked(
        hass,
        loaded_entry,
        POWER,
        when={"recipients": [people["anna"], people["ben"]], "presence": "away"},
    )
    await power(hass, loaded_entry, 2000)
    await wait(hass, loaded_entry, freezer, 70)
    await power(hass, loaded_entry, 0)
    await wait(hass, loaded_entry, freezer, 190)
    assert pushes(aioclient_mock) == []
    assert server.received == []
