"""The client's stream queue: it waits for the budget, obeys 429s, keeps order, closes.

An `ActivitySmithClient` on the mocked session; where the waits matter, its budget runs
on a `FakeClock` and its waits take no time (`InstantWaits`), so the test decides when
the budget has room.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
import logging
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)

from custom_components.activitysmith.client import (
    API_BASE_URL,
    ActivitySmithBadRequestError,
    ActivitySmithBudgetExhaustedError,
    ActivitySmithClient,
    ActivitySmithDroppedError,
    RequestBudget,
    StreamRequest,
    stream_sender,
)

from .client_support import FakeClock, InstantWaits, settle, stream_body, until
from .conftest import answer_in_turn, stream_answer


def stream_url(key: str) -> str:
    return f"{API_BASE_URL}/live-activity/stream/{key}"


WASHER_URL = stream_url("washer")
RATE_LIMITED = {"status": 429, "json": {"error": "Rate limit exceeded"}}


class Results:
    """What `on_stream_result` heard, in order, as (method, stream key, result)."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str, Any]] = []

    def __call__(self, request: StreamRequest, result: Any) -> None:
        self.heard.append((request.method, request.stream_key, result))


@pytest.fixture
def make_client(
    make_client: Callable[..., ActivitySmithClient],
) -> Callable[..., ActivitySmithClient]:
    """conftest's clients, each reporting to a `Results`."""

    def make(**options: Any) -> ActivitySmithClient:
        client = make_client(**options)
        client.on_stream_result = Results()
        return client

    return make


@pytest.fixture
def instant_waits() -> Generator[InstantWaits]:
    """The stream queue's waits take no time (use with a FakeClock budget)."""
    waits = InstantWaits()
    with patch.object(stream_sender, "asyncio", waits):
        yield waits


def heard(client: ActivitySmithClient) -> list[tuple[str, str, Any]]:
    assert isinstance(client.on_stream_result, Results)
    return client.on_stream_result.heard


def sent(aioclient_mock: AiohttpClientMocker) -> list[tuple[str, str]]:
    """(method, stream key) of each request that reached the server."""
    return [
        (method.upper(), str(url).rsplit("/", 1)[-1])
        for method, url, _, _ in aioclient_mock.mock_calls
    ]


@pytest.mark.usefixtures("instant_waits")
async def test_a_queued_update_goes_once_the_budget_allows_and_not_before(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Stream sends go 0.212 s apart: the queue holds the second until then, and spends."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    client = make_client(budget=budget)
    aioclient_mock.put(stream_url("dryer"), json=stream_answer("started", "d"))
    aioclient_mock.put(WASHER_URL, json=stream_answer("started", "w"))

    await client.put_stream("dryer", stream_body(1))
    clock.now = 1000.03
    queued = await client.put_stream("washer", stream_body(1))
    assert queued["retry_after"] == 0.2  # 0.182 s, in tenths

    await settle()
    clock.now = 1000.0 + budget.stream_spacing - 0.01
    await settle()
    assert sent(aioclient_mock) == [("PUT", "dryer")]

    clock.now = 1000.0 + budget.stream_spacing
    await until(lambda: len(heard(client)) == 1)
    assert sent(aioclient_mock) == [("PUT", "dryer"), ("PUT", "washer")]
    assert heard(client) == [("PUT", "washer", stream_answer("started", "w"))]
    assert budget.used_in_window() == 2
    assert budget.wait_time(stream=True) == pytest.approx(budget.stream_spacing)


@pytest.mark.usefixtures("instant_waits")
@pytest.mark.parametrize(
    ("headers", "paused"), [({"Retry-After": "7"}, 7.0), ({}, 60.0)]
)
async def test_a_429_inside_the_queue_pauses_it_as_long_as_the_server_says(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    headers: dict[str, str],
    paused: float,
) -> None:
    """The refused update stays queued and goes when Retry-After (or a minute) is over."""
    clock = FakeClock()
    client = make_client(budget=RequestBudget(clock=clock))
    aioclient_mock.put(stream_url("dryer"), json=stream_answer("started", "d"))
    answer_in_turn(
        aioclient_mock,
        "put",
        WASHER_URL,
        [{**RATE_LIMITED, "headers": headers}, {"json": stream_answer("started", "w")}],
    )
    await client.put_stream("dryer", stream_body(1))
    await client.put_stream("washer", stream_body(1))
    clock.now += client.budget.stream_spacing
    await until(lambda: len(aioclient_mock.mock_calls) == 2)

    await settle()
    assert client.streams.pending == {"washer": ["PUT"]}
    assert client.budget.wait_time() == pytest.approx(paused)
    assert client.last_errors["PUT /live-activity/stream/*"]["status"] == 429
    clock.now += paused - 0.01
    await settle()
    assert len(aioclient_mock.mock_calls) == 2

    clock.now += 0.01
    await until(lambda: bool(heard(client)))
    assert sent(aioclient_mock) == [
        ("PUT", "dryer"),
        ("PUT", "washer"),
        ("PUT", "washer"),
    ]
    assert heard(client) == [("PUT", "washer", stream_answer("started", "w"))]


async def test_a_queued_request_that_keeps_failing_is_retried_ever_later(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    instant_waits: InstantWaits,
) -> None:
    """Transient failures in the queue back off 2, 4, 8... seconds, at most a minute."""
    client = make_client(budget=RequestBudget(limit=1000, stream_spacing=0))
    failures: list[dict[str, Any]] = [
        {"status": 503},
        {"exc": TimeoutError()},
        {**RATE_LIMITED, "headers": {"Retry-After": "0"}},
    ] + [{"status": 502}] * 5
    answer_in_turn(
        aioclient_mock,
        "put",
        WASHER_URL,
        [*failures, {"json": stream_answer("started", "w")}],
    )

    assert (await client.put_stream("washer", stream_body(1)))["queued"]
    await until(lambda: bool(heard(client)))

    assert instant_waits.timeouts == [2, 4, 8, 16, 32, 60, 60]
    assert heard(client) == [("PUT", "washer", stream_answer("started", "w"))]


async def test_a_refused_end_goes_again_before_the_newer_update_behind_it(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """An end on the wire gets 429 while a restart waits: the end is still sent first."""
    client = make_client()
    release = asyncio.Event()
    answers = [{**RATE_LIMITED, "headers": {"Retry-After": "0"}}, {"json": {}}]

    async def delete(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        await release.wait()
        return AiohttpClientMockResponse(method, url, **answers.pop(0))

    aioclient_mock.delete(WASHER_URL, side_effect=delete)
    aioclient_mock.put(WASHER_URL, json=stream_answer("started", "w2"))
    ending = asyncio.create_task(client.end_stream("washer", stream_body(100)))
    await until(lambda: len(aioclient_mock.mock_calls) == 1)
    assert (await client.put_stream("washer", stream_body(2)))["queued"]

    release.set()
    assert (await ending)["queued"]
    await client.async_wait_for_streams()

    assert sent(aioclient_mock) == [
        ("DELETE", "washer"),
        ("DELETE", "washer"),
        ("PUT", "washer"),
    ]
    assert [(method, result) for method, _, result in heard(client)] == [
        ("DELETE", {}),
        ("PUT", stream_answer("started", "w2")),
    ]


@pytest.mark.usefixtures("instant_waits")
async def test_a_queued_end_refused_while_an_update_arrives_keeps_its_place(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The same inside the queue: end, then the newer update, each when allowed."""
    clock = FakeClock()
    client = make_client(budget=RequestBudget(clock=clock))
    release = asyncio.Event()
    answers = [{**RATE_LIMITED, "headers": {"Retry-After": "5"}}, {"json": {}}]

    async def delete(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        await release.wait()
        return AiohttpClientMockResponse(method, url, **answers.pop(0))

    aioclient_mock.put(stream_url("dryer"), json=stream_answer("started", "d"))
    aioclient_mock.delete(WASHER_URL, side_effect=delete)
    aioclient_mock.put(WASHER_URL, json=stream_answer("started", "w2"))
    await client.put_stream("dryer", stream_body(1))  # streams must now wait 1.21 s
    await client.put_stream("washer", stream_body(1))
    await client.end_stream("washer")  # the waiting update is moot; the end goes
    await until(lambda: len(aioclient_mock.mock_calls) == 2)
    await client.put_stream("washer", stream_body(2))
    assert client.streams.pending == {"washer": ["PUT"]}

    release.set()
    await until(lambda: client.streams.pending == {"washer": ["DELETE", "PUT"]})
    clock.now += 5
    await until(lambda: len(heard(client)) == 2)

    assert sent(aioclient_mock) == [
        ("PUT", "dryer"),
        ("DELETE", "washer"),
        ("DELETE", "washer"),
        ("PUT", "washer"),
    ]
    assert [method for method, _, _ in heard(client)] == ["DELETE", "PUT"]


async def test_a_request_refused_for_good_does_not_hold_up_the_queue(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A 400 is reported and the next stream goes at its pace, with no backoff."""
    client = make_client(budget=RequestBudget(stream_spacing=0.05))
    aioclient_mock.put(stream_url("tumbler"), json=stream_answer("started", "t"))
    aioclient_mock.put(WASHER_URL, status=400, json={"error": "Bad", "message": "m"})
    aioclient_mock.put(stream_url("dryer"), json=stream_answer("started", "d"))
    await client.put_stream("tumbler", stream_body(1))
    assert (await client.put_stream("washer", stream_body(1)))["queued"]
    assert (await client.put_stream("dryer", stream_body(1)))["queued"]

    await until(lambda: len(heard(client)) == 2, seconds=1)

    [(_, washer, refused), (_, dryer, answer)] = heard(client)
    assert (washer, type(refused)) == ("washer", ActivitySmithBadRequestError)
    assert (dryer, answer) == ("dryer", stream_answer("started", "d"))


async def test_a_new_end_does_not_wait_for_the_stream_pace(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """An end replacing a waiting update goes at once; only updates keep the pace."""
    client = make_client(budget=RequestBudget(stream_spacing=30))
    aioclient_mock.put(stream_url("dryer"), json=stream_answer("started", "d"))
    aioclient_mock.delete(WASHER_URL, json=stream_answer("ended"))
    await client.put_stream("dryer", stream_body(1))
    await client.put_stream("washer", stream_body(1))
    await settle()

    await client.end_stream("washer")
    await until(lambda: len(heard(client)) == 1, seconds=2)

    assert sent(aioclient_mock) == [("PUT", "dryer"), ("DELETE", "washer")]


# Closing -------------------------------------------------------------------------


async def test_closing_sends_the_waiting_end_not_the_first_waiting_update(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Updates that wait are dropped (reported); the end behind them still goes."""
    client = make_client(budget=RequestBudget(stream_spacing=60))
    for key in ("tumbler", "dryer", "washer"):
        aioclient_mock.put(stream_url(key), json=stream_answer("started", key))
    aioclient_mock.delete(WASHER_URL, json=stream_answer("ended"))
    await client.put_stream("tumbler", stream_body(1))  # streams must now wait a minute
    await client.put_stream("dryer", stream_body(1))
    await client.put_stream("washer", stream_body(1))
    await client.end_stream("washer")
    assert client.streams.pending == {"dryer": ["PUT"], "washer": ["DELETE"]}

    async with asyncio.timeout(2):
        await client.async_close()

    assert sent(aioclient_mock) == [("PUT", "tumbler"), ("DELETE", "washer")]
    [(method, key, dropped), ended] = heard(client)
    assert (method, key) == ("PUT", "dryer")
    assert isinstance(dropped, ActivitySmithDroppedError)
    assert ended == ("DELETE", "washer", stream_answer("ended"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert client.budget.used_in_window() == 2  # the end spent it too


async def test_closing_drops_an_end_the_budget_cannot_fit_in_time_and_says_so(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Paused for 30 s with 0.2 s to close: the end is dropped and logged by its key."""
    client = make_client()
    client.budget.pause(30)
    assert (await client.end_stream("washer"))["queued"]

    async with asyncio.timeout(2):
        await client.async_close(within=0.2)

    assert aioclient_mock.call_count == 0
    [(method, key, dropped)] = heard(client)
    assert (method, key) == ("DELETE", "washer")
    assert isinstance(dropped, ActivitySmithDroppedError)
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.getMessage() == (
        "Could not end stream washer before stopping: the request budget did not "
        "allow it in time"
    )


async def test_closing_waits_for_the_budget_before_sending_a_waiting_end(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Paused for 0.3 s with 3 s to close: the end goes, but only after the pause."""
    loop = asyncio.get_running_loop()
    sent_at: list[float] = []

    async def delete(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        sent_at.append(loop.time())
        return AiohttpClientMockResponse(method, url, json=stream_answer("ended"))

    aioclient_mock.delete(WASHER_URL, side_effect=delete)
    client = make_client()
    client.budget.pause(0.3)
    assert (await client.end_stream("washer"))["queued"]

    closing_at = loop.time()
    await client.async_close(within=3)

    assert len(sent_at) == 1
    assert sent_at[0] - closing_at >= 0.25
    assert heard(client) == [("DELETE", "washer", stream_answer("ended"))]


async def test_closing_wakes_a_queue_that_waits_for_the_budget(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A queue waiting 30 s for the stream pace does not hold closing up."""
    client = make_client(budget=RequestBudget(stream_spacing=30))
    aioclient_mock.put(WASHER_URL, json=stream_answer("started", "w"))
    await client.put_stream("washer", stream_body(1))
    await client.put_stream("washer", stream_body(2))
    await settle()

    loop = asyncio.get_running_loop()
    closing_at = loop.time()
    await client.async_close(within=5)

    assert loop.time() - closing_at < 1
    assert aioclient_mock.call_count == 1
    [(method, _, dropped)] = heard(client)
    assert method == "PUT"
    assert isinstance(dropped, ActivitySmithDroppedError)


async def queued_put_held_on_the_wire(
    client: ActivitySmithClient, aioclient_mock: AiohttpClientMocker
) -> asyncio.Event:
    """A washer PUT that waited in the queue, now sent; the server answers once set."""
    release = asyncio.Event()

    async def slow_put(method: str, url: Any, data: Any) -> AiohttpClientMockResponse:
        await release.wait()
        return AiohttpClientMockResponse(method, url, json=stream_answer("updated"))

    client.budget.pause(0.05)
    aioclient_mock.put(WASHER_URL, side_effect=slow_put)
    assert (await client.put_stream("washer", stream_body(1)))["queued"]
    await until(lambda: aioclient_mock.call_count == 1)
    return release


async def test_closing_abandons_a_queued_send_that_outlasts_it(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A send still on the wire when the time to close is up is cancelled, and said.

    Its listener hears it was not delivered (cancelled on the wire), so the stream's
    sensor does not claim the phone got it.
    """
    client = make_client()
    release = await queued_put_held_on_the_wire(client, aioclient_mock)

    await client.async_close(within=0.1)
    release.set()
    await settle()

    [(method, key, result)] = heard(client)
    assert (method, key) == ("PUT", "washer")
    assert isinstance(result, ActivitySmithDroppedError)
    assert result.on_the_wire


async def test_closing_warns_of_an_end_cancelled_on_the_wire(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An end still unanswered when the time to close is up: a warning names its key."""
    client = make_client()
    release = asyncio.Event()

    async def slow_delete(
        method: str, url: Any, data: Any
    ) -> AiohttpClientMockResponse:
        await release.wait()
        return AiohttpClientMockResponse(method, url, json=stream_answer("ended"))

    client.budget.pause(0.05)
    aioclient_mock.delete(WASHER_URL, side_effect=slow_delete)
    assert (await client.end_stream("washer"))["queued"]
    await until(lambda: aioclient_mock.call_count == 1)

    await client.async_close(within=0.1)
    release.set()
    await settle()

    [(method, _, result)] = heard(client)
    assert method == "DELETE"
    assert isinstance(result, ActivitySmithDroppedError)
    assert result.on_the_wire
    assert "Could not end stream washer before stopping" in caplog.text
    assert "may still be on the phone" in caplog.text


@pytest.mark.usefixtures("instant_waits")
@pytest.mark.parametrize(("paused", "sent"), [(9.5, True), (10.5, False)])
async def test_closing_gives_a_waiting_end_ten_seconds_by_default(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
    paused: float,
    sent: bool,
) -> None:
    """An end the budget allows within 10 s is sent on the way out; later, dropped."""
    client = make_client(budget=RequestBudget(clock=FakeClock()))
    aioclient_mock.delete(WASHER_URL, json=stream_answer("ended"))
    client.budget.pause(paused)
    assert (await client.end_stream("washer"))["queued"]

    await client.async_close()

    assert aioclient_mock.call_count == int(sent)
    [(method, _, result)] = heard(client)
    assert method == "DELETE"
    assert isinstance(result, ActivitySmithDroppedError) is not sent


async def test_closing_can_be_cancelled_by_its_caller(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A caller that stops waiting (a timeout at shutdown) is not held up any longer."""
    client = make_client()
    release = await queued_put_held_on_the_wire(client, aioclient_mock)

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.async_close(within=5)
    release.set()


# Each stream's own minimum interval ------------------------------------------------


async def test_one_stream_is_updated_at_most_once_a_second_by_default(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A busy stream never spends the account's allowance on one Lock Screen."""
    client = make_client(budget=RequestBudget(stream_spacing=0.0))
    aioclient_mock.put(WASHER_URL, json=stream_answer("updated", "w"))
    aioclient_mock.put(stream_url("dryer"), json=stream_answer("updated", "d"))
    await client.put_stream("washer", stream_body(1))
    queued = await client.put_stream("washer", stream_body(2))
    assert queued["queued"]
    assert 0.8 <= queued["retry_after"] <= 1.0
    # Another stream is not held back by the washer's interval.
    assert not (await client.put_stream("dryer", stream_body(1))).get("queued")
    await settle(0.5)
    assert sent(aioclient_mock) == [("PUT", "washer"), ("PUT", "dryer")]
    await until(lambda: len(heard(client)) == 1)
    assert sent(aioclient_mock)[-1] == ("PUT", "washer")


async def test_a_stream_may_set_its_own_interval_and_an_end_never_waits_for_it(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """0.1 s between updates when asked; the end right after an update goes at once."""
    client = make_client(budget=RequestBudget(stream_spacing=0.0))
    aioclient_mock.put(WASHER_URL, json=stream_answer("updated", "w"))
    aioclient_mock.delete(WASHER_URL, json=stream_answer("ended", "w"))
    await client.put_stream("washer", stream_body(1), min_interval=0.1)
    queued = await client.put_stream("washer", stream_body(2), min_interval=0.1)
    assert queued["retry_after"] <= 0.1
    await until(lambda: len(heard(client)) == 1)
    assert not (await client.end_stream("washer")).get("queued")
    assert sent(aioclient_mock) == [
        ("PUT", "washer"),
        ("PUT", "washer"),
        ("DELETE", "washer"),
    ]


async def test_a_failed_update_does_not_start_the_streams_interval(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Nothing reached the phone, so the next try is not held back a second."""
    client = make_client(budget=RequestBudget(stream_spacing=0.0))
    answer_in_turn(
        aioclient_mock,
        "put",
        WASHER_URL,
        [{"status": 400, "json": {"error": "bad"}}, {"json": stream_answer("updated")}],
    )
    with pytest.raises(ActivitySmithBadRequestError):
        await client.put_stream("washer", stream_body(1))
    assert not (await client.put_stream("washer", stream_body(2))).get("queued")


# The server's count -------------------------------------------------------------


async def test_an_answer_saying_nothing_is_left_holds_its_feature_until_the_reset(
    make_client: Callable[..., ActivitySmithClient],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Another client spent the account's pushes: the next push waits, streams go."""
    clock = FakeClock()
    client = make_client(budget=RequestBudget(clock=clock))
    aioclient_mock.post(
        f"{API_BASE_URL}/push-notification",
        json={"success": True},
        headers={
            "RateLimit": '"account:notifications"; r=0; t=42',
            "RateLimit-Policy": '"account:notifications"; q=60; w=60',
        },
    )
    aioclient_mock.put(WASHER_URL, json=stream_answer("updated", "w"))
    await client.send_push_notification({"title": "T"})
    with pytest.raises(ActivitySmithBudgetExhaustedError) as waiting:
        await client.send_push_notification({"title": "T"})
    assert waiting.value.retry_after == pytest.approx(42.0)
    assert not (await client.put_stream("washer", stream_body(1))).get("queued")
    clock.now += 42.0
    await client.send_push_notification({"title": "T"})
