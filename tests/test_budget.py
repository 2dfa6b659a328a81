"""The request budget and the stream queue, on their own (no Home Assistant)."""

from __future__ import annotations

import pytest

from custom_components.activitysmith.client.budget import (
    RequestBudget,
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
        assert budget.try_spend()
    assert not budget.try_spend()
    assert budget.wait_time() == pytest.approx(60 - 29.5)
    clock.now = 1060.0
    assert budget.try_spend()
    assert budget.as_dict()["used_in_window"] == 60


def test_stream_updates_leave_a_reserve_and_keep_a_steady_pace() -> None:
    """Streams use 50 of 60 slots, one per second; direct requests still have room."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    assert budget.try_spend(stream=True)
    assert not budget.try_spend(stream=True)
    assert budget.wait_time(stream=True) == pytest.approx(1.0)
    for _ in range(49):
        clock.now += 1.0
        assert budget.try_spend(stream=True)
    clock.now += 1.0
    assert not budget.try_spend(stream=True)
    assert budget.wait_time(stream=True) == pytest.approx(10.0)
    for _ in range(10):
        assert budget.try_spend()
    assert not budget.try_spend()


def test_a_server_pause_stops_every_request() -> None:
    """After a 429 with Retry-After nothing goes until it has passed."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.pause(12.0)
    assert not budget.try_spend()
    assert budget.wait_time() == pytest.approx(12.0)
    assert budget.as_dict()["paused_for_seconds"] == 12.0
    clock.now += 12.0
    assert budget.try_spend()


def put(key: str, value: int) -> StreamRequest:
    return StreamRequest(key, "PUT", {"v": value})


def test_queue_keeps_the_newest_state_per_stream_and_the_order_of_streams() -> None:
    """Many updates while waiting become one per stream, oldest stream first."""
    queue = StreamQueue()
    for value in range(5):
        queue.enqueue(put("washer", value))
        queue.enqueue(put("dryer", value * 10))
    assert queue.pending == {"washer": ["PUT"], "dryer": ["PUT"]}
    assert queue.busy("washer")
    first = queue.next_request()
    assert first == put("washer", 4)
    queue.pop(first)
    assert queue.next_request() == put("dryer", 40)


def test_an_end_is_never_dropped_nor_overtaken_by_an_older_update() -> None:
    """Updates before an end are moot; the end stays; a restart after it follows it."""
    queue = StreamQueue()
    queue.enqueue(put("washer", 1))
    queue.enqueue(StreamRequest("washer", "DELETE", {"final": 1}))
    queue.enqueue(put("washer", 2))
    queue.enqueue(put("washer", 3))
    assert queue.pending == {"washer": ["DELETE", "PUT"]}
    assert queue.next_request() == StreamRequest("washer", "DELETE", {"final": 1})
    queue.enqueue(StreamRequest("washer", "DELETE", None))
    queue.enqueue(StreamRequest("washer", "DELETE", {"final": 2}))
    assert queue.take_all() == [StreamRequest("washer", "DELETE", {"final": 2})]
    assert not queue


def test_a_refused_request_goes_back_in_front() -> None:
    """A refused end keeps its place; a refused update yields to a newer one."""
    queue = StreamQueue()
    end = StreamRequest("washer", "DELETE", None)
    queue.enqueue(put("dryer", 1))
    queue.requeue(end)
    assert queue.next_request() == end
    queue.pop(end)
    queue.enqueue(put("washer", 2))
    queue.requeue(put("washer", 1))
    assert queue.pending == {"washer": ["PUT"], "dryer": ["PUT"]}
    assert queue.next_request() == put("washer", 2)
