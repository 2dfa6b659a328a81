"""The HTTP client: requests it sends and how it maps every failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import (
    API_BASE_URL,
    ActivitySmithApiError,
    ActivitySmithAuthError,
    ActivitySmithBadRequestError,
    ActivitySmithBudgetExhaustedError,
    ActivitySmithClient,
    ActivitySmithConnectionError,
    ActivitySmithDroppedError,
    ActivitySmithForbiddenError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithResponseError,
    ActivitySmithServerError,
    ActivitySmithTimeoutError,
    RequestBudget,
)

from .client_support import VALID_BODY, start_body, stream_body
from .conftest import API_KEY, mock_key_check

START_URL = f"{API_BASE_URL}/live-activity/start"


@pytest.fixture
async def client(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> ActivitySmithClient:
    """A client on the session that aioclient_mock answers."""
    return ActivitySmithClient(
        async_get_clientsession(hass), API_KEY, user_agent="test-agent/1"
    )


@pytest.mark.parametrize(
    ("method_name", "key", "http_method", "path"),
    [
        ("start_live_activity", None, "POST", "/live-activity/start"),
        ("update_live_activity", None, "POST", "/live-activity/update"),
        ("end_live_activity", None, "POST", "/live-activity/end"),
        ("put_stream", "washer", "PUT", "/live-activity/stream/washer"),
        ("end_stream", "washer", "DELETE", "/live-activity/stream/washer"),
        ("send_push_notification", None, "POST", "/push-notification"),
        ("set_badge", None, "POST", "/badge"),
        ("update_metric_value", "temp.in", "POST", "/metrics/temp.in/value"),
    ],
)
async def test_each_endpoint_sends_json_with_bearer_key_and_user_agent(
    client: ActivitySmithClient,
    aioclient_mock: AiohttpClientMocker,
    method_name: str,
    key: str | None,
    http_method: str,
    path: str,
) -> None:
    """Every endpoint method sends its body to its path and returns the answer."""
    answer_sent = {"success": True, "activity_id": "act-1"}
    aioclient_mock.request(http_method, API_BASE_URL + path, json=answer_sent)
    body_given = VALID_BODY[method_name](7)
    args = (body_given,) if key is None else (key, body_given)

    answer = await getattr(client, method_name)(*args)

    assert answer == answer_sent
    [(method, url, body, headers)] = aioclient_mock.mock_calls
    assert (method, str(url)) == (http_method, API_BASE_URL + path)
    assert body == VALID_BODY[method_name](7)
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["User-Agent"] == "test-agent/1"


@pytest.mark.api_contract_exempt(
    "stream key 'a/b' (refused by the spec's pattern) shows a slash is quoted "
    "and cannot reach another endpoint"
)
async def test_path_segments_are_escaped(
    client: ActivitySmithClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A key with a slash cannot reach another endpoint."""
    aioclient_mock.put(
        f"{API_BASE_URL}/live-activity/stream/a%2Fb", json={"success": True}
    )
    await client.put_stream("a/b", stream_body())
    assert str(aioclient_mock.mock_calls[0][1]).endswith("/stream/a%2Fb")


@pytest.mark.parametrize(
    ("status", "body", "expected", "attributes"),
    [
        (
            400,
            {"error": "Bad", "message": "title is required"},
            ActivitySmithBadRequestError,
            {"message": "title is required"},
        ),
        (
            401,
            {"error": "Unauthorized", "message": "Invalid API key"},
            ActivitySmithAuthError,
            {"status": 401},
        ),
        (
            403,
            {"error": "Invalid channel targeting", "message": "outside scope"},
            ActivitySmithForbiddenError,
            {"message": "outside scope"},
        ),
        (
            404,
            {"error": "No recipients found", "message": "No devices matched"},
            ActivitySmithNoRecipientsError,
            {"error": "No recipients found"},
        ),
        (
            429,
            {"error": "Rate limit exceeded", "message": "Too many requests"},
            ActivitySmithRateLimitError,
            {"retry_after": None},
        ),
        (
            429,
            {
                "error": "Live Activity limit reached",
                "message": "Only 4",
                "limit": 4,
                "active": 4,
            },
            ActivitySmithLiveActivityLimitError,
            {"limit": 4, "active": 4},
        ),
        (500, {"error": "Internal"}, ActivitySmithServerError, {"status": 500}),
        (503, None, ActivitySmithServerError, {"error": "Service Unavailable"}),
        (418, None, ActivitySmithApiError, {"status": 418}),
    ],
)
async def test_error_statuses_map_to_typed_exceptions(
    client: ActivitySmithClient,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any] | None,
    expected: type[Exception],
    attributes: dict[str, Any],
) -> None:
    """Each documented status has its own exception carrying the server's details."""
    aioclient_mock.post(START_URL, status=status, json=body)

    with pytest.raises(expected) as raised:
        await client.start_live_activity(start_body())

    assert type(raised.value) is expected
    for name, value in attributes.items():
        assert getattr(raised.value, name) == value


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("30", 30.0),
        ("1.5", 1.5),
        ("soon", None),
        ("-3", None),
        ("inf", None),
        ("nan", None),
        ("1e999", None),
        ("0", 0.0),
        ("99999", 3600.0),
    ],
)
async def test_rate_limit_reads_retry_after_seconds(
    client: ActivitySmithClient,
    aioclient_mock: AiohttpClientMocker,
    header: str,
    expected: float | None,
) -> None:
    """Retry-After in seconds is passed on; nonsense is ignored."""
    aioclient_mock.post(
        START_URL,
        status=429,
        json={"error": "Rate limit exceeded", "message": "later"},
        headers={"Retry-After": header},
    )
    with pytest.raises(ActivitySmithRateLimitError) as raised:
        await client.start_live_activity(start_body())
    assert raised.value.retry_after == expected


async def test_rate_limit_reads_retry_after_http_date(
    client: ActivitySmithClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Retry-After may be an HTTP date; it becomes seconds from now."""
    when = datetime.now(UTC) + timedelta(seconds=120)
    aioclient_mock.post(
        START_URL,
        status=429,
        text="",
        headers={"Retry-After": format_datetime(when, usegmt=True)},
    )
    with pytest.raises(ActivitySmithRateLimitError) as raised:
        await client.start_live_activity(start_body())
    assert raised.value.retry_after is not None
    assert 100 < raised.value.retry_after <= 120


async def test_timeout_and_connection_errors(
    client: ActivitySmithClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Network faults become the client's own exceptions."""
    aioclient_mock.post(START_URL, exc=TimeoutError())
    with pytest.raises(ActivitySmithTimeoutError):
        await client.start_live_activity(start_body())

    aioclient_mock.clear_requests()
    aioclient_mock.post(START_URL, exc=aiohttp.ClientConnectionError("refused"))
    with pytest.raises(ActivitySmithConnectionError) as raised:
        await client.start_live_activity(start_body())
    assert not isinstance(raised.value, ActivitySmithTimeoutError)


@pytest.mark.parametrize("text", ["<html>oops</html>", "[1, 2]", ""])
async def test_success_without_a_json_object_is_a_response_error(
    client: ActivitySmithClient, aioclient_mock: AiohttpClientMocker, text: str
) -> None:
    """A 200 whose body is not the promised JSON object is reported, not returned."""
    aioclient_mock.post(START_URL, text=text)
    with pytest.raises(ActivitySmithResponseError):
        await client.start_live_activity(start_body())


async def test_key_never_appears_in_errors_or_repr(
    client: ActivitySmithClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Even a server that echoes the key does not get it into an exception."""
    aioclient_mock.post(
        START_URL,
        status=400,
        json={"error": f"bad key {API_KEY}", "message": f"key {API_KEY} is wrong"},
    )
    with pytest.raises(ActivitySmithBadRequestError) as raised:
        await client.start_live_activity(start_body())
    assert API_KEY not in str(raised.value)
    assert API_KEY not in raised.value.message
    assert API_KEY not in raised.value.error
    assert API_KEY not in repr(client)

    aioclient_mock.clear_requests()
    aioclient_mock.post(START_URL, exc=aiohttp.ClientConnectionError(API_KEY))
    with pytest.raises(ActivitySmithConnectionError) as raised_connection:
        await client.start_live_activity(start_body())
    assert API_KEY not in str(raised_connection.value)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, None),
        (200, None),
        (401, ActivitySmithAuthError),
        (500, ActivitySmithServerError),
    ],
)
async def test_key_check_accepts_404_and_rejects_401(
    client: ActivitySmithClient,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    expected: type[Exception] | None,
) -> None:
    """The key check ends a stream that cannot exist: 404 means the key is good."""
    mock_key_check(aioclient_mock, status, json={"success": True, "error": "x"})
    if expected is None:
        await client.check_api_key()
    else:
        with pytest.raises(expected):
            await client.check_api_key()
    [(method, url, _, _)] = aioclient_mock.mock_calls
    assert method == "DELETE"
    assert "/live-activity/stream/home-assistant-key-check-" in str(url)


async def test_metric_404_is_not_found_and_remembered_without_the_key(
    client: ActivitySmithClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A missing metric is a lookup failure, not a delivery failure.

    Diagnostics remember it under the endpoint, not under the metric key.
    """
    aioclient_mock.post(
        f"{API_BASE_URL}/metrics/temp/value",
        status=404,
        json={"error": "Metric not found"},
    )
    with pytest.raises(ActivitySmithNotFoundError) as raised:
        await client.update_metric_value("temp", {"value": 1})
    assert not isinstance(raised.value, ActivitySmithNoRecipientsError)
    assert client.last_errors["POST /metrics/*/value"]["status"] == 404


async def test_key_check_respects_the_budget(
    client: ActivitySmithClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """With the budget spent, the key check fails fast without a request."""
    client.budget.pause(30)
    with pytest.raises(ActivitySmithBudgetExhaustedError) as raised:
        await client.check_api_key()
    assert raised.value.retry_after == pytest.approx(30, abs=1)
    assert aioclient_mock.call_count == 0


async def test_close_sends_waiting_ends_and_drops_waiting_updates(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """On unload an end still goes if the budget has room; updates are dropped and
    reported as dropped (the sensor says so), never sent."""
    budget = RequestBudget(limit=60, window=60, stream_spacing=60)
    client = ActivitySmithClient(async_get_clientsession(hass), API_KEY, budget=budget)
    reported: list[tuple[str, str, object]] = []
    client.on_stream_result = lambda request, result: reported.append(
        (request.method, request.stream_key, result)
    )
    aioclient_mock.put(f"{API_BASE_URL}/live-activity/stream/dryer", json={})
    aioclient_mock.delete(f"{API_BASE_URL}/live-activity/stream/washer", json={})
    await client.put_stream("dryer", stream_body(0))  # streams must now wait a minute
    assert (await client.put_stream("washer", stream_body(1)))["queued"]
    assert (await client.end_stream("washer"))["queued"]
    assert (await client.put_stream("dryer", stream_body(1)))["queued"]
    await client.async_close()
    assert [(method, str(url)) for method, url, _, _ in aioclient_mock.mock_calls] == [
        ("PUT", f"{API_BASE_URL}/live-activity/stream/dryer"),
        ("DELETE", f"{API_BASE_URL}/live-activity/stream/washer"),
    ]
    assert client.streams.pending == {}
    assert [(method, key) for method, key, _ in reported] == [
        ("DELETE", "washer"),
        ("PUT", "dryer"),
    ]
    assert isinstance(reported[1][2], ActivitySmithDroppedError)
