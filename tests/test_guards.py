"""The test guards of conftest can fail: each is shown catching what it is for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import ActivitySmithClient

from .conftest import (
    API_BASE_URL,
    API_KEY,
    UsageReports,
    api_contract_verdict,
    setup_integration,
    stream_answer,
    usage_report_verdict,
)
from .openapi_contract import RecordedCalls, published_contract
from .tracked_support import StreamServer, add_tracked

ODD = "does something odd on purpose"
STREAM_URL = f"{API_BASE_URL}/live-activity/stream/washer"
CONTENT = {"title": "Washer", "type": "progress", "percentage": 40}


# Usage-report guard


@pytest.mark.expect_usage_report
@pytest.mark.parametrize("turn", [1, 2])
async def test_a_usage_report_is_caught_in_every_test_that_makes_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    usage_report_guard: UsageReports,
    turn: int,
) -> None:
    """Frame reports a usage once per process; the guard still sees it each time."""
    frame.report_usage(
        ODD, integration_domain="activitysmith", breaks_in_ha_version="2099.1.0"
    )
    [message] = usage_report_guard.ours()
    assert "custom integration 'activitysmith' does something odd" in message
    assert "2099.1.0" in message
    with pytest.raises(pytest.fail.Exception, match=ODD):
        usage_report_verdict(usage_report_guard, expected=False)


async def test_reports_about_other_integrations_pass(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, usage_report_guard: UsageReports
) -> None:
    """Only a report naming activitysmith fails the test."""
    frame.report_usage(
        ODD,
        integration_domain="webhook",
        breaks_in_ha_version="2099.1.0",
        core_integration_behavior=frame.ReportBehavior.LOG,
    )
    assert usage_report_guard.records
    assert usage_report_guard.ours() == []
    usage_report_verdict(usage_report_guard, expected=False)


def test_expecting_a_report_that_never_comes_fails() -> None:
    """The inverted check fails without a report."""
    with pytest.raises(pytest.fail.Exception, match="no usage"):
        usage_report_verdict(UsageReports(), expected=True)


# OpenAPI contract guard


@pytest.mark.api_contract_exempt(
    "sends target.channels [] on purpose: the spec refuses it"
)
async def test_the_contract_guard_names_a_refused_request_and_its_error(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    api_contract: RecordedCalls,
) -> None:
    """A stream PUT to no channel is refused; so is a field the spec does not know."""
    aioclient_mock.put(STREAM_URL, json=stream_answer("started", "act-1"))
    client = make_client()
    await client.put_stream(
        "washer", {"content_state": CONTENT, "target": {"channels": []}}
    )
    aioclient_mock.clear_requests()  # the guard still has the call
    aioclient_mock.post(f"{API_BASE_URL}/badge", json={"success": True})
    await client.set_badge({"badge": 3, "colour": "red"})

    [channels, unknown] = published_contract().violations(api_contract.every)
    assert channels.startswith(f"PUT {STREAM_URL} ")
    assert "$.target.channels: [] should be non-empty" in channels
    assert unknown.startswith(f"POST {API_BASE_URL}/badge ")
    assert "Additional properties are not allowed ('colour' was unexpected)" in unknown
    with pytest.raises(pytest.fail.Exception, match="should be non-empty"):
        api_contract_verdict(api_contract.every, None)


async def test_a_conforming_request_passes_and_an_idle_exemption_fails(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    api_contract: RecordedCalls,
) -> None:
    """A valid stream PUT passes; marking such a test exempt asks to drop the marker."""
    aioclient_mock.put(STREAM_URL, json=stream_answer("started", "act-1"))
    await make_client().put_stream("washer", {"content_state": CONTENT})
    assert len(api_contract.every) == 1
    api_contract_verdict(api_contract.every, None)
    exempt = pytest.mark.api_contract_exempt("no reason left").mark
    with pytest.raises(pytest.fail.Exception, match="drop the marker"):
        api_contract_verdict(api_contract.every, exempt)
    with pytest.raises(pytest.fail.Exception, match="needs a reason"):
        api_contract_verdict(api_contract.every, pytest.mark.api_contract_exempt.mark)


@pytest.mark.parametrize(
    ("method", "url", "body", "problem"),
    [
        ("GET", f"{API_BASE_URL}/badge", None, "/badge has no GET"),
        ("POST", f"{API_BASE_URL}/widgets", {}, "no path of the spec matches /widgets"),
        ("POST", "https://example.com/api/badge", {"badge": 1}, "not under the API"),
        ("POST", f"{API_BASE_URL}/badge", None, "requires a JSON body"),
        ("POST", f"{API_BASE_URL}/badge?x=1", {"badge": 1}, "query parameter x"),
        (
            "POST",
            f"{API_BASE_URL}/badge",
            {"badge": "8"},
            "$.badge: '8' is not of type",
        ),
        (
            "PUT",
            f"{API_BASE_URL}/live-activity/stream/a%20b",
            {"content_state": CONTENT},
            "stream_key='a b'",
        ),
        (
            "DELETE",
            f"{API_BASE_URL}/live-activity/stream/washer",
            {"auto_dismiss_minutes": 3},
            "'auto_dismiss_minutes' was unexpected",
        ),
    ],
)
def test_what_the_contract_refuses(
    method: str, url: str, body: Any, problem: str
) -> None:
    """Each kind of refusal the contract knows, one request each."""
    problems = published_contract().problems(method, url, body)
    assert any(problem in text for text in problems), problems


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        (
            "DELETE",
            f"{API_BASE_URL}/live-activity/stream/home-assistant-key-check-0123456789abcdef",
            None,
        ),
        ("DELETE", f"{API_BASE_URL}/live-activity/stream/washer", {}),
        ("POST", f"{API_BASE_URL}/metrics/temp.in/value", {"value": 21.5}),
        ("POST", f"{API_BASE_URL}/push-notification", {"title": "Hi"}),
    ],
)
def test_what_the_contract_accepts(method: str, url: str, body: Any) -> None:
    """The key check's DELETE without a body, an empty end, a metric, a push."""
    assert published_contract().problems(method, url, body) == []


async def test_the_key_check_is_checked_against_the_contract(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, api_contract: RecordedCalls
) -> None:
    """Setting up sends the key check's DELETE; the guard sees it and it conforms."""
    [(method, url, body, _)] = api_contract.every
    assert method.upper() == "DELETE"
    assert "/live-activity/stream/home-assistant-key-check-" in str(url)
    assert published_contract().problems(method, url, body) == []


# What the integration sends


async def test_a_tracked_entity_without_channels_never_sends_an_empty_list(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """No channels configured: no `channels` and no `target` in any stream request."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("input_boolean.alarm", "on")
    await add_tracked(hass, loaded_entry, "input_boolean.alarm")
    await loaded_entry.runtime_data.client.async_wait_for_streams()
    hass.states.async_set("input_boolean.alarm", "off")
    await hass.async_block_till_done(wait_background_tasks=True)
    await loaded_entry.runtime_data.client.async_wait_for_streams()
    assert server.methods() == ["PUT", "DELETE"]
    for body in server.sent():
        assert body is not None
        assert "channels" not in body
        assert "target" not in body


async def test_a_stored_empty_channel_list_is_not_sent_either(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, valid_key: Any
) -> None:
    """A subentry whose data holds `channels: []` sends no `channels` at all."""
    server = StreamServer(aioclient_mock)
    hass.states.async_set("input_boolean.alarm", "on")
    entry = MockConfigEntry(
        domain="activitysmith",
        title="ActivitySmith",
        data={"api_key": API_KEY},
        unique_id="test-empty-channels",
        subentries_data=[
            ConfigSubentryData(
                subentry_type="tracked_entity",
                title="Alarm",
                unique_id="input_boolean.alarm",
                data={
                    "entity_id": "input_boolean.alarm",
                    "type": "alert",
                    "fields": {"title": "Alarm", "message": "{{ states(entity_id) }}"},
                    "channels": [],
                },
            )
        ],
    )
    await setup_integration(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    await entry.runtime_data.client.async_wait_for_streams()
    [body] = server.sent("PUT")
    assert body is not None
    assert "channels" not in body
    assert "target" not in body
