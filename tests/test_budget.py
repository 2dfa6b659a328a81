"""The request budget and the stream queue, on their own (no Home Assistant)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.activitysmith.budget import (
    RequestBudget,
    RetryLater,
    StreamQueue,
    StreamRequest,
)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_direct_requests_use_the_whole_budget_then_wait_for_the_oldest() -> None:
    """60 in any 60 s; the 61st waits until the first leaves the window."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    for second in range(60):
        clock.now = 1000.0 + second * 0.5
        assert budget.try_spend() == 0
    assert budget.try_spend() == pytest.approx(60 - 29.5)
    clock.now = 1060.0
    assert budget.try_spend() == 0
    assert budget.as_dict()["used_in_window"] == 60


def test_stream_updates_leave_a_reserve_and_keep_a_steady_pace() -> None:
    """Streams use 50 of 60 slots, one per second; direct requests still have room."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    assert budget.try_spend(stream=True) == 0
    assert budget.try_spend(stream=True) == pytest.approx(1.0)
    for _ in range(49):
        clock.now += 1.0
        assert budget.try_spend(stream=True) == 0
    clock.now += 1.0
    assert budget.try_spend(stream=True) == pytest.approx(10.0)
    for _ in range(10):
        assert budget.try_spend() == 0
    assert budget.try_spend() > 0


def test_a_server_pause_stops_every_request() -> None:
    """After a 429 with Retry-After nothing goes until it has passed."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.pause(12.0)
    assert budget.try_spend() == pytest.approx(12.0)
    assert budget.as_dict()["paused_for_seconds"] == 12.0
    clock.now += 12.0
    assert budget.try_spend() == 0


class Recorder:
    """A sender that records what it sent, with scripted failures."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.sent: list[tuple[str, str, Any]] = []
        self.failures = failures or []
        self.results: list[tuple[StreamRequest, Any]] = []

    async def send(self, request: StreamRequest) -> dict[str, Any]:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((request.stream_key, request.method, request.body))
        return {"success": True, "operation": request.method}

    def on_result(self, request: StreamRequest, result: Any) -> None:
        self.results.append((request, result))


async def drain(queue: StreamQueue) -> None:
    """Wait until the queue sent everything."""
    for _ in range(200):
        if queue.idle:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still pending: {queue.pending}")


def spent_budget() -> RequestBudget:
    """A small budget (6 per 0.3 s) with its stream share already used."""
    budget = RequestBudget(limit=6, window=0.3, stream_spacing=0.0)
    while not budget.try_spend(stream=True):
        pass
    return budget


async def test_queue_keeps_the_newest_state_per_stream_and_the_order_of_streams() -> (
    None
):
    """Many updates while waiting become one per stream, oldest stream first."""
    recorder = Recorder()
    queue = StreamQueue(spent_budget(), recorder.send)
    queue.on_result = recorder.on_result
    for value in range(5):
        queue.enqueue(StreamRequest("washer", "PUT", {"v": value}))
        queue.enqueue(StreamRequest("dryer", "PUT", {"v": value * 10}))
    assert queue.pending == {"washer": ["PUT"], "dryer": ["PUT"]}
    assert queue.busy("washer")
    await drain(queue)
    assert recorder.sent == [("washer", "PUT", {"v": 4}), ("dryer", "PUT", {"v": 40})]
    assert [result for _, result in recorder.results] == [
        {"success": True, "operation": "PUT"}
    ] * 2


async def test_an_end_is_never_dropped_nor_overtaken_by_an_older_update() -> None:
    """Updates before an end are moot; the end goes; a restart after it follows it."""
    recorder = Recorder()
    queue = StreamQueue(spent_budget(), recorder.send)
    queue.enqueue(StreamRequest("washer", "PUT", {"v": 1}))
    queue.enqueue(StreamRequest("washer", "DELETE", {"final": 1}))
    queue.enqueue(StreamRequest("washer", "PUT", {"v": 2}))
    queue.enqueue(StreamRequest("washer", "PUT", {"v": 3}))
    assert queue.pending == {"washer": ["DELETE", "PUT"]}
    queue.enqueue(StreamRequest("washer", "DELETE", None))
    queue.enqueue(StreamRequest("washer", "DELETE", {"final": 2}))
    assert queue.pending == {"washer": ["DELETE"]}
    await drain(queue)
    assert recorder.sent == [("washer", "DELETE", {"final": 2})]


async def test_a_429_keeps_the_request_and_pauses_the_budget() -> None:
    """The server's wait is honoured and the request is sent afterwards."""
    recorder = Recorder(failures=[RetryLater(0.05)])
    budget = RequestBudget(limit=6, window=0.3, stream_spacing=0.0)
    queue = StreamQueue(budget, recorder.send)
    queue.enqueue(StreamRequest("washer", "PUT", {"v": 1}))
    await drain(queue)
    assert recorder.sent == [("washer", "PUT", {"v": 1})]


async def test_a_refused_update_yields_to_a_newer_one() -> None:
    """If a newer state arrived meanwhile, the refused older one is not sent again."""
    gate = asyncio.Event()
    sent: list[Any] = []

    async def send(request: StreamRequest) -> dict[str, Any]:
        if not sent and not gate.is_set():
            gate.set()
            await asyncio.sleep(0.02)
            sent.append(("refused", request.body))
            raise RetryLater(0.0)
        sent.append(("sent", request.body))
        return {}

    queue = StreamQueue(RequestBudget(limit=6, window=0.3, stream_spacing=0.0), send)
    queue.enqueue(StreamRequest("washer", "PUT", {"v": 1}))
    await gate.wait()
    queue.enqueue(StreamRequest("washer", "PUT", {"v": 2}))
    await drain(queue)
    assert sent == [("refused", {"v": 1}), ("sent", {"v": 2})]


async def test_other_failures_are_reported_and_the_queue_goes_on() -> None:
    """A failed request reaches the listener; the next stream is still sent."""
    boom = ValueError("boom")
    recorder = Recorder(failures=[boom])
    queue = StreamQueue(spent_budget(), recorder.send)
    queue.on_result = recorder.on_result
    queue.enqueue(StreamRequest("washer", "PUT", {"v": 1}))
    queue.enqueue(StreamRequest("dryer", "PUT", {"v": 2}))
    await drain(queue)
    assert recorder.results[0][1] is boom
    assert recorder.sent == [("dryer", "PUT", {"v": 2})]


async def test_close_sends_waiting_ends_and_drops_waiting_updates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On unload an end still goes if the budget has room; updates are dropped."""
    recorder = Recorder()
    budget = RequestBudget(limit=60, window=60, stream_spacing=60)
    budget.try_spend(stream=True)  # streams must wait a minute; direct room is left
    queue = StreamQueue(budget, recorder.send)
    queue.enqueue(StreamRequest("washer", "DELETE", None))
    queue.enqueue(StreamRequest("dryer", "PUT", {"v": 1}))
    await queue.async_close()
    assert recorder.sent == [("washer", "DELETE", None)]
    assert queue.pending == {}
    assert "dryer" in caplog.text
