"""Answers the client must read whatever a server (or a CDN in front of it) sends.

Every answer becomes a parsed JSON object or one typed error with a short message; the
user gets a translated error and the next call works.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
import json
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import (
    ActivitySmithError,
    ActivitySmithNoRecipientsError,
)
from custom_components.activitysmith.client.budget import NOTIFICATIONS
from custom_components.activitysmith.client.response import (
    MAX_MESSAGE,
    MAX_RETRY_AFTER,
    parse_retry_after,
    read_answer,
)

from .conftest import (
    ACTIVITY_ID,
    EXAMPLE_CONTENT,
    START_RESPONSE,
    START_URL,
    UPDATE_URL,
    act,
    mock_key_check,
    setup_integration,
)

SENSOR = "sensor.activitysmith_live_activity"


def read(status: int, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return read_answer(
        status,
        headers or {},
        body,
        not_found=ActivitySmithNoRecipientsError,
        redact=lambda text: text.replace("SECRET", "**REDACTED**"),
        endpoint="POST /x",
    )


@settings(
    max_examples=600,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    status=st.integers(min_value=100, max_value=999),
    retry_after=st.one_of(
        st.none(),
        st.text(max_size=40),
        st.sampled_from(["inf", "-inf", "nan", "1e999", "-30", "0", "1.5", "9" * 400]),
        st.datetimes().map(lambda d: format_datetime(d.replace(tzinfo=UTC))),
    ),
    body=st.one_of(
        st.binary(max_size=300),
        st.sampled_from(
            [
                b'{"error": "x", "message": "SECRET"}',
                b'{"limit": true, "active": false}',
                b'{"limit": 4, "active": 4}',
                b"[1, 2]",
                b"null",
                "<html>caf\xe9</html>".encode("latin-1"),
                b'{"message": "' + b"y" * 5000 + b'"}',
            ]
        ),
        st.dictionaries(
            st.sampled_from(["error", "message", "limit", "active", "activity_id"]),
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.floats()),
        ).map(lambda d: json.dumps(d).encode()),
    ),
)
def test_any_answer_is_a_json_object_or_one_typed_error_with_a_short_message(
    status: int, retry_after: str | None, body: bytes
) -> None:
    """Any status 100-999, any Retry-After, any bytes: nothing else comes out."""
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    outcome: object
    try:
        outcome = read(status, body, headers)
    except ActivitySmithError as err:
        outcome = err
    if isinstance(outcome, ActivitySmithError):
        assert len(str(outcome)) <= MAX_MESSAGE + 100
        assert "SECRET" not in str(outcome)
        wait = getattr(outcome, "retry_after", None)
        assert wait is None or 0 <= wait <= MAX_RETRY_AFTER
    else:
        assert 200 <= status < 300
        assert isinstance(outcome, dict)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30.0),
        ("0", 0.0),
        ("-30", None),
        ("nan", None),
        ("inf", None),
        ("1e999", None),
        ("86400", MAX_RETRY_AFTER),
        ("soon", None),
        (format_datetime(datetime(2000, 1, 1, tzinfo=UTC)), 0.0),
    ],
)
def test_retry_after_is_finite_seconds_or_a_date_and_capped(
    header: str, seconds: float | None
) -> None:
    """Anything but a usable wait counts as missing; an hour at most."""
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize(
    ("header", "said"),
    [("inf", "60"), ("1e999", "60"), ("-30", "60"), ("nan", "60"), ("30", "30")],
)
async def test_the_message_and_the_pause_agree(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    header: str,
    said: str,
) -> None:
    """'Try again in N seconds' is what the budget waits, never forever."""
    push = "https://activitysmith.com/api/push-notification"
    aioclient_mock.post(push, status=429, headers={"Retry-After": header})
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "send_push_notification", {"title": "Door"})
    assert raised.value.translation_placeholders["retry_after"] == said
    budget = loaded_entry.runtime_data.client.budget
    assert budget.wait_time(scope=NOTIFICATIONS) == pytest.approx(float(said), abs=1)


async def test_a_retry_after_of_zero_lets_the_next_call_go_at_once(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> None:
    """'0' is no reason to pause a minute."""
    push = "https://activitysmith.com/api/push-notification"
    aioclient_mock.post(push, status=429, headers={"Retry-After": "0"})
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "send_push_notification", {"title": "Door"})
    assert raised.value.translation_placeholders["retry_after"] == "1"
    aioclient_mock.clear_requests()
    aioclient_mock.post(push, json={"success": True, "timestamp": "t"})
    await act(hass, "send_push_notification", {"title": "Door"})
    assert aioclient_mock.call_count == 1


@pytest.mark.parametrize("status", [499, 520, 527, 599])
async def test_statuses_python_does_not_know_leave_setup_retrying(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
    status: int,
) -> None:
    """A CDN's 52x (or a 499) is a failure to reach the API, not a broken entry."""
    mock_key_check(aioclient_mock, status=status, text="<html>cdn</html>")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("status", [520, 599])
async def test_cdn_errors_are_retried_like_other_server_errors(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, status: int
) -> None:
    """An update meeting a 52x is tried three times, then reported."""
    aioclient_mock.post(UPDATE_URL, status=status, text="origin down")
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "update_live_activity", {"activity_id": "a", "title": "T"})
    assert raised.value.translation_key == "server_error"
    assert aioclient_mock.call_count == 1 + 3


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ({"status": 502, "content": "caf\xe9".encode("latin-1")}, "server_error"),
        ({"status": 200, "content": b"\x89PNG\r\n\x1a\n\x00"}, "unreadable_answer"),
        ({"status": 400, "json": {"message": "x" * 2_000_000}}, "bad_request"),
    ],
)
async def test_bodies_that_are_not_utf8_or_huge_give_a_short_translated_error(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    key: str,
) -> None:
    """No raw UnicodeDecodeError, no 2 MB message in the UI."""
    content = answer.pop("content", None)
    aioclient_mock.post(
        "https://activitysmith.com/api/push-notification",
        **answer,
        **({"text": content.decode("latin-1")} if content is not None else {}),
    )
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "send_push_notification", {"title": "Door"})
    assert raised.value.translation_key == key
    assert len(str(raised.value.translation_placeholders)) < 1000


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("activity_id", [None, {"id": 1}, ["a"], "", True], ids=repr)
async def test_a_start_answer_without_an_activity_id_says_it_may_be_on_the_phone(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, activity_id: Any
) -> None:
    """A clear, translated error; the sensor keeps what it knew."""
    answer = {**START_RESPONSE, "activity_id": activity_id}
    if activity_id is None:
        del answer["activity_id"]
    aioclient_mock.post(START_URL, json=answer)
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert raised.value.translation_key == "unreadable_answer"
    assert hass.states.get(SENSOR).state == "unknown"


@pytest.mark.usefixtures("loaded_entry")
async def test_a_numeric_activity_id_is_kept_and_sent_back_as_text(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """The spec's id is a string; an int from a sloppy server is treated as one."""
    aioclient_mock.post(START_URL, json={**START_RESPONSE, "activity_id": 12345})
    aioclient_mock.post(UPDATE_URL, json={"success": True, "activity_id": "12345"})
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert hass.states.get(SENSOR).state == "12345"
    await act(hass, "update_live_activity", {"message": "m2"})
    assert aioclient_mock.mock_calls[-1][2]["activity_id"] == "12345"


@pytest.mark.usefixtures("loaded_entry")
async def test_a_429_with_boolean_limits_is_a_rate_limit_not_the_activity_limit(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """`limit: true` is not a number of Live Activities."""
    aioclient_mock.post(
        START_URL, status=429, json={"limit": True, "active": False, "message": "m"}
    )
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert raised.value.translation_key == "rate_limited"


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("action", ["update_live_activity", "end_live_activity"])
async def test_a_404_on_update_or_end_names_the_unknown_activity(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, action: str
) -> None:
    """Not "no device received it": the activity itself is unknown."""
    url = UPDATE_URL if action == "update_live_activity" else UPDATE_URL[:-6] + "end"
    aioclient_mock.post(url, status=404, json={"message": "Activity not found"})
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, action, {"activity_id": ACTIVITY_ID, "title": "T"})
    assert raised.value.translation_key == "activity_not_found"
    assert raised.value.translation_placeholders["activity_id"] == ACTIVITY_ID


async def test_a_start_that_failed_after_setup_leaves_the_next_call_working(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """After an unreadable answer the integration is not stuck."""
    mock_key_check(aioclient_mock)
    await setup_integration(hass, mock_config_entry)
    aioclient_mock.post(START_URL, text="<html>")
    with pytest.raises(HomeAssistantError):
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    aioclient_mock.clear_requests()
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert hass.states.get(SENSOR).state == ACTIVITY_ID
