"""The request budget and the stream queue, on their own (no Home Assistant)."""

from __future__ import annotations

import pytest

from custom_components.activitysmith.client.budget import (
    WINDOW_MARGIN,
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
    assert budget.wait_time() == pytest.approx(60 + WINDOW_MARGIN - 29.5)
    clock.now = 1060.0
    assert not budget.try_spend()  # the first may not have reached the server yet
    clock.now += WINDOW_MARGIN
    assert budget.try_spend()
    assert budget.as_dict()["used_in_window"] == 60


def test_stream_sends_are_evenly_spaced_and_never_stall() -> None:
    """Streams go every 60.5/50 = 1.21 s, forever, never waiting for the window."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    spacing = (60 + WINDOW_MARGIN) / 50
    assert budget.stream_spacing == pytest.approx(spacing)
    for _ in range(200):  # more than three windows
        assert budget.try_spend(stream=True)
        assert not budget.try_spend(stream=True)
        assert budget.wait_time(stream=True) == pytest.approx(spacing)
        clock.now += spacing
    assert budget.as_dict()["used_in_window"] == 50


def test_direct_requests_keep_their_reserve_beside_streams() -> None:
    """With streams at their pace, ten more requests a minute are left for pushes."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    for _ in range(50):
        assert budget.try_spend(stream=True)
        clock.now += budget.stream_spacing
    clock.now -= budget.stream_spacing
    for _ in range(10):
        assert budget.try_spend()
    assert not budget.try_spend()


def test_streams_cannot_take_the_reserve_even_without_spacing() -> None:
    """Stream sends alone never use more than their share of any window."""
    clock = FakeClock()
    budget = RequestBudget(limit=12, window=6.0, stream_spacing=0.0, clock=clock)
    assert budget.stream_limit == 10
    for _ in range(10):
        assert budget.try_spend(stream=True)
    assert not budget.try_spend(stream=True)
    assert budget.wait_time(stream=True) == pytest.approx(6.0 + WINDOW_MARGIN)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()


def test_a_server_pause_stops_its_scope_only() -> None:
    """A 429 on the shared budget stops it; one on another endpoint stops that one."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.pause(12.0)
    budget.pause(5.0, "POST /live-activity/start")
    assert not budget.try_spend()
    assert budget.wait_time() == pytest.approx(12.0)
    assert budget.wait_time(scope="POST /live-activity/start") == pytest.approx(5.0)
    assert budget.wait_time(scope="POST /badge") == 0
    assert budget.as_dict()["paused_for_seconds"] == {
        "shared": 12.0,
        "POST /live-activity/start": 5.0,
    }
    clock.now += 12.0
    assert budget.try_spend()


def test_a_silent_resend_counts() -> None:
    """A request that reached the wire without asking is in the window all the same."""
    budget = RequestBudget(limit=2, window=60.0)
    assert budget.try_spend()
    budget.note_sent()
    assert not budget.try_spend()


def put(key: str, value: int) -> StreamRequest:
    return StreamRequest(key, "PUT", {"v": value})


def end(key: str, final: int | None = None) -> StreamRequest:
    return StreamRequest(key, "DELETE", None if final is None else {"final": final})


def test_queue_keeps_the_newest_state_per_stream_and_the_order_of_streams() -> None:
    """Many updates while waiting become one per stream, longest-waiting first."""
    queue = StreamQueue()
    for value in range(5):
        queue.enqueue(put("washer", value))
        queue.enqueue(put("dryer", value * 10))
    assert queue.pending == {"washer": ["PUT"], "dryer": ["PUT"]}
    assert queue.busy("washer")
    first = queue.next_request()
    assert first == put("washer", 4)
    queue.take(first)
    assert queue.next_request() == put("dryer", 40)
    assert queue.busy("washer")
    queue.done(first)
    assert not queue.busy("washer")


def test_an_end_is_never_dropped_nor_overtaken_by_an_older_update() -> None:
    """Updates before an end are moot; the end stays; a restart after it follows it."""
    queue = StreamQueue()
    queue.enqueue(put("washer", 1))
    queue.enqueue(end("washer", 1))
    queue.enqueue(put("washer", 2))
    queue.enqueue(put("washer", 3))
    assert queue.pending == {"washer": ["DELETE", "PUT"]}
    assert queue.next_request() == end("washer", 1)
    queue.enqueue(end("washer"))
    queue.enqueue(end("washer", 2))
    assert queue.take_all() == [end("washer", 2)]
    assert not queue


def test_nothing_of_a_stream_goes_while_one_of_its_requests_is_on_the_wire() -> None:
    """The next stream is offered instead; the busy one is offered once it is done."""
    queue = StreamQueue()
    on_the_wire = put("washer", 1)
    queue.take(on_the_wire)  # sent directly, never queued
    queue.enqueue(put("washer", 2))
    assert queue.next_request() is None
    queue.enqueue(put("dryer", 1))
    assert queue.next_request() == put("dryer", 1)
    queue.done(on_the_wire)
    assert queue.next_request() == put("washer", 2)


@pytest.mark.parametrize(
    ("refused", "newer", "sent_in_order"),
    [
        (put("washer", 10), [end("washer")], [end("washer")]),
        (put("washer", 10), [put("washer", 90)], [put("washer", 90)]),
        (end("washer"), [put("washer", 90)], [end("washer"), put("washer", 90)]),
        (end("washer", 1), [end("washer", 2)], [end("washer", 2)]),
        (put("washer", 10), [], [put("washer", 10)]),
        (
            put("washer", 10),
            [end("washer"), put("washer", 5)],
            [end("washer"), put("washer", 5)],
        ),
    ],
)
def test_a_refused_request_keeps_its_place_ahead_of_newer_ones(
    refused: StreamRequest,
    newer: list[StreamRequest],
    sent_in_order: list[StreamRequest],
) -> None:
    """The server sees states in the order they were made; the newest still wins."""
    queue = StreamQueue()
    queue.enqueue(put("dryer", 1))
    queue.take(refused)
    for request in newer:
        queue.enqueue(request)
    queue.requeue(refused)
    queue.done(refused)
    assert next(iter(queue.pending)) == "washer"
    sent = []
    while (request := queue.next_request()) is not None:
        queue.take(request)
        queue.done(request)
        sent.append(request)
    assert sent == [*sent_in_order, put("dryer", 1)]
