"""The client's contract: its options, what each endpoint spends and repeats, its waits.

The client is used on its own here, as a library would be: an `ActivitySmithClient` on
the session that `aioclient_mock` answers, with a `RequestBudget` on a fake clock where
the numbers matter.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
from types import SimpleNamespace
from typing import Any, NamedTuple
from unittest.mock import ANY, MagicMock, patch

import aiohttp
from aiohttp import web
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import (
    API_BASE_URL,
    ActivitySmithApiError,
    ActivitySmithBadRequestError,
    ActivitySmithBudgetExhaustedError,
    ActivitySmithClient,
    ActivitySmithClosedError,
    ActivitySmithConnectionError,
    ActivitySmithError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithResponseError,
    ActivitySmithServerError,
    ActivitySmithTimeoutError,
    RequestBudget,
    http,
)
from custom_components.activitysmith.client.budget import (
    BADGES,
    LIVE_ACTIVITIES,
    METRICS,
    NOTIFICATIONS,
)

from .client_support import (
    FakeClock,
    InstantWaits,
    badge_body,
    change_body,
    metric_body,
    push_body,
    start_body,
    stream_body,
)
from .conftest import API_KEY, answer_in_turn

# The real backoff, read before conftest's autouse fixture makes retries instant.
REAL_RETRY_DELAYS = http.RETRY_DELAYS
PUSH_URL = f"{API_BASE_URL}/push-notification"
BADGE_URL = f"{API_BASE_URL}/badge"
STREAM_URL = f"{API_BASE_URL}/live-activity/stream/washer"
OK = {"success": True, "activity_id": "act-1"}


@pytest.fixture
def aiohttp_requests() -> Generator[MagicMock]:
    """What the client asked aiohttp for (method, URL and options such as the timeout)."""
    with patch.object(
        aiohttp.ClientSession,
        "request",
        autospec=True,
        side_effect=aiohttp.ClientSession.request,
    ) as request:
        yield request


# Constructor options -------------------------------------------------------------


async def test_a_client_without_options_talks_to_activitysmith_as_a_json_client(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    aiohttp_requests: MagicMock,
) -> None:
    """The public API URL, JSON, the client's own User-Agent, 15 s per request."""
    aioclient_mock.post("https://activitysmith.com/api/badge", json={"success": True})
    client = make_client()

    assert await client.set_badge({"badge": 1}) == {"success": True}

    [(_, url, body, headers)] = aioclient_mock.mock_calls
    assert str(url) == "https://activitysmith.com/api/badge"
    assert body == {"badge": 1}
    assert headers == {
        "Authorization": f"Bearer {API_KEY}",
        "Accept": "application/json",
        "User-Agent": "activitysmith-python-client",
    }
    assert aiohttp_requests.call_args.kwargs["timeout"] == aiohttp.ClientTimeout(15.0)
    assert (
        repr(client) == "ActivitySmithClient(base_url='https://activitysmith.com/api')"
    )


@pytest.mark.api_contract_exempt(
    "the base_url option points the client at https://proxy.example/api, which is "
    "not the spec's server"
)
async def test_base_url_user_agent_and_timeout_options_shape_every_request(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    aiohttp_requests: MagicMock,
) -> None:
    """A trailing slash of the base URL does not double; the timeout is the one given."""
    aioclient_mock.post("https://proxy.example/api/badge", json={"success": True})
    client = make_client(
        base_url="https://proxy.example/api/", user_agent="ha/1", timeout=5
    )

    await client.set_badge({"badge": 1})

    [(_, url, _, headers)] = aioclient_mock.mock_calls
    assert str(url) == "https://proxy.example/api/badge"
    assert headers["User-Agent"] == "ha/1"
    assert aiohttp_requests.call_args.kwargs["timeout"] == aiohttp.ClientTimeout(5)
    assert repr(client) == "ActivitySmithClient(base_url='https://proxy.example/api')"


async def test_clients_given_one_budget_share_it_and_others_get_their_own(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The limit is the account's: two clients of one key spend one budget."""
    aioclient_mock.post(PUSH_URL, json={"success": True})
    budget = RequestBudget(limit=1, window=60.0)
    first, second = make_client(budget=budget), make_client(budget=budget)

    await first.send_push_notification({"title": "t"})
    with pytest.raises(ActivitySmithBudgetExhaustedError):
        await second.send_push_notification({"title": "t"})
    await make_client().send_push_notification({"title": "t"})

    assert aioclient_mock.call_count == 2


async def test_no_call_waits_longer_than_the_action_deadline_but_queued_sends_may(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    aiohttp_requests: MagicMock,
) -> None:
    """A 60 s timeout is cut to the 20 s a caller may wait; a queued send has no caller."""
    aioclient_mock.put(STREAM_URL, json=OK)
    client = make_client(timeout=60, budget=RequestBudget(stream_spacing=0.2))

    await client.put_stream("washer", stream_body(1))
    assert (await client.put_stream("washer", stream_body(2)))["queued"]
    await client.async_wait_for_streams()

    direct, queued = (
        call.kwargs["timeout"] for call in aiohttp_requests.call_args_list
    )
    assert direct.total == pytest.approx(20, abs=0.5)
    assert queued == aiohttp.ClientTimeout(60)


async def test_the_key_check_gets_the_whole_timeout(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    aiohttp_requests: MagicMock,
) -> None:
    """Checking a key is one request with the usual 15 s, like any other."""
    aioclient_mock.delete(
        f"{API_BASE_URL}/live-activity/stream/home-assistant-key-check-x",
        status=404,
    )
    with patch.object(http.secrets, "token_hex", return_value="x"):
        await make_client().check_api_key()
    assert aiohttp_requests.call_args.kwargs["timeout"] == aiohttp.ClientTimeout(15.0)


# What each endpoint is -------------------------------------------------------------


class Endpoint(NamedTuple):
    """One client method and what the endpoint behind it is."""

    method: str
    args: tuple[Any, ...]
    verb: str
    url: str
    name: str  # in diagnostics and in the 429 pause of an endpoint outside the budget
    feature: str  # whose allowance it spends (October 2026: one per feature)
    repeatable: bool  # retried after a transient failure
    not_found: type[ActivitySmithNotFoundError]  # what a 404 means


def endpoint_id(endpoint: Endpoint) -> str:
    return endpoint.method


DIRECT = [
    Endpoint(
        "start_live_activity",
        (start_body(),),
        "POST",
        f"{API_BASE_URL}/live-activity/start",
        "POST /live-activity/start",
        feature=LIVE_ACTIVITIES,
        repeatable=False,
        not_found=ActivitySmithNoRecipientsError,
    ),
    Endpoint(
        "update_live_activity",
        (change_body(),),
        "POST",
        f"{API_BASE_URL}/live-activity/update",
        "POST /live-activity/update",
        feature=LIVE_ACTIVITIES,
        repeatable=True,
        not_found=ActivitySmithNotFoundError,
    ),
    Endpoint(
        "end_live_activity",
        (change_body(),),
        "POST",
        f"{API_BASE_URL}/live-activity/end",
        "POST /live-activity/end",
        feature=LIVE_ACTIVITIES,
        repeatable=True,
        not_found=ActivitySmithNotFoundError,
    ),
    Endpoint(
        "send_push_notification",
        (push_body(),),
        "POST",
        PUSH_URL,
        "POST /push-notification",
        feature=NOTIFICATIONS,
        repeatable=False,
        not_found=ActivitySmithNoRecipientsError,
    ),
    Endpoint(
        "set_badge",
        (badge_body(),),
        "POST",
        BADGE_URL,
        "POST /badge",
        feature=BADGES,
        repeatable=True,
        not_found=ActivitySmithNoRecipientsError,
    ),
    Endpoint(
        "update_metric_value",
        ("temp", metric_body()),
        "POST",
        f"{API_BASE_URL}/metrics/temp/value",
        "POST /metrics/*/value",
        feature=METRICS,
        repeatable=True,
        not_found=ActivitySmithNotFoundError,
    ),
]
# Streams spend the Live Activity allowance; a failed one waits in the queue instead.
STREAMS = [
    Endpoint(
        "put_stream",
        ("washer", stream_body()),
        "PUT",
        STREAM_URL,
        "PUT /live-activity/stream/*",
        feature=LIVE_ACTIVITIES,
        repeatable=True,
        not_found=ActivitySmithNoRecipientsError,
    ),
    Endpoint(
        "end_stream",
        ("washer",),
        "DELETE",
        STREAM_URL,
        "DELETE /live-activity/stream/*",
        feature=LIVE_ACTIVITIES,
        repeatable=True,
        not_found=ActivitySmithNotFoundError,
    ),
]


@pytest.mark.parametrize("endpoint", DIRECT, ids=endpoint_id)
async def test_every_endpoint_spends_its_own_features_allowance_only(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    endpoint: Endpoint,
) -> None:
    """One allowance per feature: pushes, badges, Live Activities, metrics."""
    aioclient_mock.request(endpoint.verb, endpoint.url, json=OK)
    client = make_client()
    await getattr(client, endpoint.method)(*endpoint.args)
    assert {
        feature: client.budget.used_in_window(feature)
        for feature in (NOTIFICATIONS, BADGES, LIVE_ACTIVITIES, METRICS)
    } == {
        feature: int(feature == endpoint.feature)
        for feature in (NOTIFICATIONS, BADGES, LIVE_ACTIVITIES, METRICS)
    }


@pytest.mark.parametrize("endpoint", DIRECT, ids=endpoint_id)
async def test_only_requests_safe_to_repeat_are_retried_after_a_server_error(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    endpoint: Endpoint,
) -> None:
    """A 503 gets another try where a repeat shows nothing twice; start and push fail."""
    answers = [{"status": 503}, {"json": OK}]
    answer_in_turn(aioclient_mock, endpoint.verb, endpoint.url, answers)
    call = getattr(make_client(), endpoint.method)
    if endpoint.repeatable:
        assert await call(*endpoint.args) == OK
    else:
        with pytest.raises(ActivitySmithServerError):
            await call(*endpoint.args)
    assert aioclient_mock.call_count == 1 + endpoint.repeatable


@pytest.mark.parametrize("endpoint", DIRECT + STREAMS, ids=endpoint_id)
async def test_a_failure_is_remembered_under_its_endpoint_with_its_details(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    endpoint: Endpoint,
) -> None:
    """Diagnostics show the last failure per endpoint: when, what, status, message."""
    aioclient_mock.request(
        endpoint.verb,
        endpoint.url,
        status=400,
        json={"error": "Bad", "message": "no title"},
    )
    client = make_client()
    with pytest.raises(ActivitySmithBadRequestError):
        await getattr(client, endpoint.method)(*endpoint.args)
    assert client.last_errors == {
        endpoint.name: {
            "at": ANY,
            "error": "ActivitySmithBadRequestError",
            "status": 400,
            "message": "ActivitySmith answered 400: no title",
        }
    }


@pytest.mark.parametrize("endpoint", DIRECT + STREAMS, ids=endpoint_id)
async def test_a_404_means_no_recipient_for_deliveries_and_not_found_for_lookups(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    endpoint: Endpoint,
) -> None:
    """Start, push, badge and stream PUT deliver; update, end, DELETE, metric look up."""
    aioclient_mock.request(
        endpoint.verb, endpoint.url, status=404, json={"error": "Not found"}
    )
    with pytest.raises(ActivitySmithNotFoundError) as raised:
        await getattr(make_client(), endpoint.method)(*endpoint.args)
    assert type(raised.value) is endpoint.not_found


# What a 429 on a direct request does ---------------------------------------------


@pytest.mark.parametrize(
    ("headers", "retry_after", "paused"),
    [({"Retry-After": "12"}, 12.0, 12.0), ({}, None, 60.0)],
)
async def test_a_429_pauses_its_feature_as_long_as_it_says_and_no_other(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    headers: dict[str, str],
    retry_after: float | None,
    paused: float,
) -> None:
    """Retry-After seconds, or a whole window without one; metrics go on meanwhile."""
    clock = FakeClock()
    client = make_client(budget=RequestBudget(clock=clock))
    answers = [
        {"status": 429, "json": {"error": "Rate limit exceeded"}, "headers": headers},
        {"json": OK},
    ]
    answer_in_turn(aioclient_mock, "POST", PUSH_URL, answers)
    aioclient_mock.post(f"{API_BASE_URL}/metrics/temp/value", json=OK)

    with pytest.raises(ActivitySmithRateLimitError) as raised:
        await client.send_push_notification(push_body())
    assert raised.value.retry_after == retry_after
    with pytest.raises(ActivitySmithBudgetExhaustedError) as waiting:
        await client.send_push_notification(push_body())
    assert waiting.value.retry_after == paused
    assert await client.update_metric_value("temp", metric_body()) == OK

    clock.now += paused
    assert await client.send_push_notification(push_body()) == OK


async def test_a_429_of_the_badge_holds_back_badges_only(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The badge's 429 (Retry-After 7) holds back badges, not pushes or streams."""
    clock = FakeClock()
    client = make_client(budget=RequestBudget(clock=clock))
    aioclient_mock.post(BADGE_URL, status=429, headers={"Retry-After": "7"})

    with pytest.raises(ActivitySmithRateLimitError):
        await client.set_badge({"badge": 1})

    assert client.budget.wait_time(scope=BADGES) == 7.0
    assert client.budget.wait_time(scope=NOTIFICATIONS) == 0
    assert client.budget.wait_time() == 0


async def test_a_paused_endpoint_refuses_however_short_the_pause(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A quarter of a second left is still a wait: nothing is sent before it ends."""
    clock = FakeClock()
    client = make_client(budget=RequestBudget(clock=clock))
    client.budget.pause(0.25, BADGES)
    aioclient_mock.post(BADGE_URL, json={"success": True})

    with pytest.raises(ActivitySmithBudgetExhaustedError) as waiting:
        await client.set_badge({"badge": 1})

    assert waiting.value.retry_after == 0.25
    assert aioclient_mock.call_count == 0
    clock.now += 0.25
    assert await client.set_badge({"badge": 1}) == {"success": True}


@pytest.mark.parametrize(
    ("method", "args", "verb"),
    [
        ("put_stream", ("washer", stream_body()), "PUT"),
        ("end_stream", ("washer",), "DELETE"),
    ],
)
async def test_a_429_on_a_stream_request_pauses_live_activities_and_queues_it(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    method: str,
    args: tuple[Any, ...],
    verb: str,
) -> None:
    """Stream requests spend the Live Activity allowance: their 429 pauses it."""
    clock = FakeClock()
    client = make_client(budget=RequestBudget(clock=clock))
    aioclient_mock.request(verb, STREAM_URL, status=429, headers={"Retry-After": "3"})

    answer = await getattr(client, method)(*args)

    assert answer == {
        "success": True,
        "queued": True,
        "operation": "queued",
        "stream_key": "washer",
        "retry_after": 3.0,
    }
    assert client.streams.pending == {"washer": [verb]}
    assert client.budget.wait_time() == 3.0


# Retries and their waits ----------------------------------------------------------


@pytest.fixture
def instant_waits() -> Generator[InstantWaits]:
    """The client's waits take no time; the real backoff and a fixed jitter of 0.5."""
    waits = InstantWaits()
    with (
        patch.object(http, "asyncio", waits),
        patch.object(http, "RETRY_DELAYS", REAL_RETRY_DELAYS),
        patch.object(http, "random", SimpleNamespace(random=lambda: 0.5)),
    ):
        yield waits


async def test_retries_back_off_half_a_second_then_two_plus_up_to_half_again(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    instant_waits: InstantWaits,
) -> None:
    """Two retries after transient faults, each after its delay with jitter."""
    answer_in_turn(
        aioclient_mock,
        "post",
        BADGE_URL,
        [{"status": 503}, {"exc": TimeoutError()}, {"json": OK}],
    )
    assert await make_client().set_badge({"badge": 1}) == OK
    assert instant_waits.sleeps == [0.5 * 1.25, 2.0 * 1.25]
    assert aioclient_mock.call_count == 3


async def test_no_retry_waits_past_the_action_deadline(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    instant_waits: InstantWaits,
) -> None:
    """With 1 s left, the 0.6 s backoff is waited for, the 2.5 s one is not."""
    answer_in_turn(
        aioclient_mock, "post", BADGE_URL, [{"status": 503}, {"status": 504}]
    )
    with (
        patch.object(http, "ACTION_DEADLINE", 1.0),
        pytest.raises(ActivitySmithServerError) as raised,
    ):
        await make_client().set_badge({"badge": 1})
    assert raised.value.status == 504
    assert instant_waits.sleeps == [0.5 * 1.25]
    assert aioclient_mock.call_count == 2


async def test_a_timeout_names_the_endpoint_that_did_not_answer(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The message says which request timed out."""
    aioclient_mock.post(PUSH_URL, exc=TimeoutError())
    with pytest.raises(ActivitySmithTimeoutError) as raised:
        await make_client().send_push_notification({"title": "t"})
    assert str(raised.value) == (
        "ActivitySmith did not answer POST /push-notification in time"
    )


async def test_a_connection_failure_says_activitysmith_was_unreachable_and_why(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The message names the cause, with the key masked should the cause repeat it."""
    cause = aiohttp.ClientConnectionError(f"refused for {API_KEY}")
    aioclient_mock.post(PUSH_URL, exc=cause)
    with pytest.raises(ActivitySmithConnectionError) as raised:
        await make_client().send_push_notification({"title": "t"})
    assert str(raised.value) == (
        "Could not reach ActivitySmith: refused for **REDACTED**"
    )


async def test_a_closed_client_sends_nothing_new(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """After close (the entry unloads), stream calls fail at once and send nothing."""
    client = make_client()
    await client.async_close()
    with pytest.raises(ActivitySmithClosedError):
        await client.put_stream("washer", stream_body())
    with pytest.raises(ActivitySmithClosedError):
        await client.end_stream("washer")
    assert aioclient_mock.call_count == 0


@pytest.fixture
async def redirecting_api(socket_enabled: None) -> AsyncGenerator[str]:
    """A real HTTP server on 127.0.0.1 that answers each POST after a 307 redirect."""
    app = web.Application()

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"/api/answer{request.path}")

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"success": True})

    app.router.add_post("/api/answer/{path:.*}", answer)
    app.router.add_post("/api/{path:.*}", redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/api"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("method", "args", "feature"),
    [
        ("send_push_notification", (push_body(),), NOTIFICATIONS),
        ("update_metric_value", ("temp", metric_body()), METRICS),
        ("set_badge", (badge_body(),), BADGES),
    ],
)
async def test_a_request_aiohttp_sends_twice_spends_its_allowance_twice(
    redirecting_api: str, method: str, args: tuple[Any, ...], feature: str
) -> None:
    """A redirect puts a request on the wire twice; the vendor counts both."""
    async with aiohttp.ClientSession() as session:
        client = ActivitySmithClient(session, API_KEY, base_url=redirecting_api)
        assert await getattr(client, method)(*args) == {"success": True}
    assert client.budget.used_in_window(feature) == 2


# Reading answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (199, ActivitySmithResponseError),
        (200, None),
        (299, None),
        (300, ActivitySmithResponseError),
        (399, ActivitySmithResponseError),
        (400, ActivitySmithBadRequestError),
        (499, ActivitySmithApiError),
        (500, ActivitySmithServerError),
        (599, ActivitySmithServerError),
        (600, ActivitySmithApiError),
    ],
)
async def test_each_status_range_reads_as_an_answer_or_its_error(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    status: int,
    expected: type[Exception] | None,
) -> None:
    """2xx is the answer; 1xx and 3xx are unexpected; 4xx ours; 5xx the server's."""
    aioclient_mock.post(PUSH_URL, status=status, json={"success": True})
    client = make_client()
    if expected is None:
        assert await client.send_push_notification(push_body()) == {"success": True}
        return
    with pytest.raises(ActivitySmithError) as raised:
        await client.send_push_notification(push_body())
    assert type(raised.value) is expected
    if expected is ActivitySmithResponseError:
        assert str(raised.value) == (
            "ActivitySmith answered POST /push-notification with an unexpected "
            f"status {status}"
        )


@pytest.mark.parametrize(
    ("status", "error"),
    [(499, "HTTP 499"), (520, "HTTP 520"), (503, "Service Unavailable")],
)
async def test_an_error_without_a_body_is_named_by_its_status(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    status: int,
    error: str,
) -> None:
    """The reason phrase, or "HTTP <status>" for one Python does not know."""
    aioclient_mock.post(PUSH_URL, status=status, text="")
    with pytest.raises(ActivitySmithApiError) as raised:
        await make_client().send_push_notification(push_body())
    assert (raised.value.error, raised.value.message) == (error, "")
    assert str(raised.value) == f"ActivitySmith answered {status}: {error}"


@pytest.mark.parametrize(
    ("length", "expected_length", "cut"),
    [(299, 299, False), (300, 300, False), (301, 300, True), (5000, 300, True)],
)
async def test_a_long_server_message_is_cut_to_300_characters(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    length: int,
    expected_length: int,
    cut: bool,
) -> None:
    """Up to 300 characters pass whole; a longer text ends in an ellipsis at 300."""
    words = "x" * length
    aioclient_mock.post(PUSH_URL, status=400, json={"error": "x", "message": words})
    with pytest.raises(ActivitySmithBadRequestError) as raised:
        await make_client().send_push_notification(push_body())
    message = raised.value.message
    assert len(message) == expected_length
    assert message == (f"{words[:299]}…" if cut else words)


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"limit": 4, "active": 4}, ActivitySmithLiveActivityLimitError),
        ({"limit": 4}, ActivitySmithRateLimitError),
        ({"active": 4}, ActivitySmithRateLimitError),
        ({"limit": True, "active": 4}, ActivitySmithRateLimitError),
    ],
)
async def test_only_a_429_naming_both_numbers_is_the_live_activity_limit(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    details: dict[str, Any],
    expected: type[Exception],
) -> None:
    """The iOS limit needs the limit and the count; else it is a request-rate 429."""
    aioclient_mock.post(
        f"{API_BASE_URL}/live-activity/start",
        status=429,
        json={"error": "Too many", **details},
    )
    with pytest.raises(ActivitySmithApiError) as raised:
        await make_client().start_live_activity(start_body())
    assert type(raised.value) is expected


async def test_a_retry_after_date_in_the_past_means_now(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """An HTTP date already gone asks for no wait at all."""
    aioclient_mock.post(
        BADGE_URL,
        status=429,
        headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
    )
    with pytest.raises(ActivitySmithRateLimitError) as raised:
        await make_client().set_badge(badge_body())
    assert raised.value.retry_after == 0.0


@pytest.mark.parametrize(
    ("activity_id", "expected"),
    [("abc", "abc"), (123, "123"), ("", None), (None, None), (True, None), (1.5, None)],
)
async def test_a_start_answer_needs_an_activity_id_and_a_number_becomes_text(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    activity_id: Any,
    expected: str | None,
) -> None:
    """Without a usable id the start cannot be followed up, so it is an error."""
    aioclient_mock.post(
        f"{API_BASE_URL}/live-activity/start",
        json={"success": True, "activity_id": activity_id},
    )
    client = make_client()
    if expected is None:
        with pytest.raises(ActivitySmithResponseError) as raised:
            await client.start_live_activity(start_body())
        assert str(raised.value) == (
            "ActivitySmith answered POST /live-activity/start without an activity id"
        )
    else:
        answer = await client.start_live_activity(start_body())
        assert answer == {"success": True, "activity_id": expected}


async def test_the_key_is_replaced_by_a_marker_wherever_the_server_echoes_it(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The message stays readable: the key's place is marked, not silently cut out."""
    aioclient_mock.post(
        PUSH_URL, status=400, json={"error": "Bad", "message": f"key {API_KEY} is bad"}
    )
    with pytest.raises(ActivitySmithBadRequestError) as raised:
        await make_client().send_push_notification(push_body())
    assert raised.value.message == "key **REDACTED** is bad"


async def test_a_body_that_is_not_an_object_is_named_in_the_error(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A 200 with a JSON list is reported as such, naming the endpoint."""
    aioclient_mock.post(PUSH_URL, text="[1, 2]")
    with pytest.raises(ActivitySmithResponseError) as raised:
        await make_client().send_push_notification(push_body())
    assert str(raised.value) == (
        "ActivitySmith answered POST /push-notification with a body that is not a "
        "JSON object"
    )
