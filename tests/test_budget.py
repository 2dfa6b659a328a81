"""The request budget, its headers and the stream queue, on their own (no Home Assistant)."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.activitysmith.client.budget import (
    BADGES,
    LIVE_ACTIVITIES,
    METRICS,
    NOTIFICATIONS,
    QUOTAS,
    WINDOW_MARGIN,
    RequestBudget,
)
from custom_components.activitysmith.client.rate_limit_headers import (
    ServerLimit,
    ServerPolicy,
    parse_rate_limit,
)
from custom_components.activitysmith.client.stream_queue import (
    StreamQueue,
    StreamRequest,
)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_feature_has_its_own_allowance_and_window() -> None:
    """60 pushes, 60 badges, 300 Live Activity and 300 metric requests in any 60 s."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    for feature, quota in QUOTAS.items():
        for _ in range(quota):
            assert budget.try_spend(scope=feature)
        assert not budget.try_spend(scope=feature)
        assert budget.wait_time(scope=feature) == pytest.approx(60 + WINDOW_MARGIN)
    assert QUOTAS == {
        "notifications": 60,
        "badges": 60,
        "live-activities": 300,
        "metrics": 300,
    }
    clock.now += 60 + WINDOW_MARGIN
    assert all(budget.try_spend(scope=feature) for feature in QUOTAS)


def test_a_busy_feature_never_delays_another() -> None:
    """Pushes spent to the last one: streams, badges and metrics go as before."""
    budget = RequestBudget(clock=FakeClock())
    while budget.try_spend(scope=NOTIFICATIONS):
        pass
    assert budget.try_spend(stream=True)
    assert budget.try_spend(scope=BADGES)
    assert budget.try_spend(scope=METRICS)


def test_stream_sends_are_evenly_spaced_and_never_stall() -> None:
    """Streams go every 60.5/285 = 0.212 s, forever, never waiting for the window."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    spacing = (60 + WINDOW_MARGIN) / 285
    assert budget.stream_spacing == pytest.approx(spacing)
    for _ in range(1000):  # more than three windows
        assert budget.try_spend(stream=True)
        assert not budget.try_spend(stream=True)
        assert budget.wait_time(stream=True) == pytest.approx(spacing)
        clock.now += spacing + 1e-9  # past rounding, as a real clock always is
    assert budget.used_in_window() == pytest.approx(285, abs=1)


def test_start_update_and_end_keep_their_reserve_beside_streams() -> None:
    """With streams at their pace, 15 Live Activity requests a minute are left."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    for _ in range(285):
        assert budget.try_spend(stream=True)
        clock.now += budget.stream_spacing
    clock.now -= budget.stream_spacing
    for _ in range(15):
        assert budget.try_spend()
    assert not budget.try_spend()


def test_streams_cannot_take_the_reserve_even_without_spacing() -> None:
    """Stream sends alone never use more than their share of any window."""
    clock = FakeClock()
    budget = RequestBudget(limit=40, window=6.0, stream_spacing=0.0, clock=clock)
    for _ in range(38):
        assert budget.try_spend(stream=True)
    assert not budget.try_spend(stream=True)
    assert budget.wait_time(stream=True) == pytest.approx(6.0 + WINDOW_MARGIN)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()


def test_a_server_pause_stops_its_feature_only() -> None:
    """A 429 of pushes stops pushes; one of Live Activities stops those."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.pause(12.0, NOTIFICATIONS)
    budget.pause(5.0)
    assert not budget.try_spend(scope=NOTIFICATIONS)
    assert budget.wait_time(scope=NOTIFICATIONS) == pytest.approx(12.0)
    assert budget.wait_time(scope=LIVE_ACTIVITIES) == pytest.approx(5.0)
    assert budget.wait_time(scope=BADGES) == 0
    report = budget.as_dict()
    assert report["notifications"]["paused_for_seconds"] == 12.0
    assert report["live-activities"]["paused_for_seconds"] == 5.0
    clock.now += 12.0
    assert budget.try_spend(scope=NOTIFICATIONS)


def test_a_silent_resend_counts() -> None:
    """A request that reached the wire without asking is in the window all the same."""
    budget = RequestBudget(limit=2, window=60.0)
    assert budget.try_spend()
    budget.note_sent()
    assert not budget.try_spend()


# What the server says ----------------------------------------------------------


def rate_limit(
    remaining: int, reset: int, feature: str = "live-activities"
) -> dict[str, str]:
    """The headers of an answer, as ActivitySmith sends them."""
    return {
        "RateLimit": f'"public-api-ip:{feature}"; r=599; t=60, '
        f'"account:{feature}"; r={remaining}; t={reset}',
        "RateLimit-Policy": f'"public-api-ip:{feature}"; q=600; w=60, '
        f'"account:{feature}"; q=300; w=60',
    }


def test_the_headers_are_read_per_policy() -> None:
    """The vendor's own example reads as two policies of the badge feature."""
    limits, policies = parse_rate_limit(
        {
            "RateLimit": '"public-api-ip:badges"; r=599; t=60, "account:badges"; r=59; t=60',
            "RateLimit-Policy": '"account:badges"; q=60; w=60',
        }
    )
    assert limits == {
        "public-api-ip:badges": ServerLimit(599, 60.0),
        "account:badges": ServerLimit(59, 60.0),
    }
    assert policies == {"account:badges": ServerPolicy(60, 60.0)}


def test_fewer_left_than_the_log_thinks_waits_for_the_servers_reset() -> None:
    """Another client used the account: nothing more goes until the window resets."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.note_sent()
    budget.observe(rate_limit(remaining=1, reset=20), sent_at=clock.now)
    clock.now += 0.01
    assert budget.try_spend()  # the one the server says is left
    clock.now += 0.01
    assert not budget.try_spend()
    assert budget.wait_time() == pytest.approx(20.0 - 0.02)
    clock.now += 20.0
    assert budget.try_spend()


def test_streams_spread_what_the_server_says_is_left_until_its_reset() -> None:
    """20 left for 30 s: streams take 19 of them, one every 30/19 s; the rest waits."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.observe(rate_limit(remaining=20, reset=30), sent_at=clock.now)
    assert budget.try_spend(stream=True)
    assert budget.wait_time(stream=True) == pytest.approx(30 / 19, rel=0.01)


def test_requests_sent_before_the_answer_are_not_counted_twice() -> None:
    """What left after the answered request is not in the server's count yet."""
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.note_sent()  # the request whose answer comes
    sent_at = clock.now
    clock.now += 0.1
    budget.note_sent()  # another, still on the wire
    budget.observe(rate_limit(remaining=1, reset=10), sent_at=sent_at)
    assert not budget.try_spend()


def test_a_stated_quota_and_window_replace_the_documented_ones() -> None:
    """The server's policy for the account wins over the documentation."""
    budget = RequestBudget(clock=FakeClock())
    budget.observe(
        {"RateLimit-Policy": '"account:live-activities"; q=120; w=30'}, sent_at=0
    )
    assert budget.quota() == 120
    assert budget.stream_spacing == pytest.approx((30 + WINDOW_MARGIN) / 114)


def test_headers_of_another_feature_say_nothing_about_this_one() -> None:
    """A badge answer's policies are the badge's."""
    budget = RequestBudget(clock=FakeClock())
    budget.observe(rate_limit(0, 60, feature="badges"), sent_at=0)
    assert budget.try_spend()


@given(
    st.dictionaries(
        st.sampled_from(["RateLimit", "RateLimit-Policy", "Retry-After", "X"]),
        st.one_of(
            st.text(),
            st.from_regex(
                r'("account:(live-activities|badges|x)"|tok|"[^"]*")(; ?[a-z]=-?[0-9]{1,20})*(, ?.*)?',
                fullmatch=True,
            ),
        ),
    )
)
def test_any_header_value_is_read_safely_within_bounds(headers: dict[str, str]) -> None:
    """Hostile values never raise, and what is kept is a sane count and time."""
    limits, policies = parse_rate_limit(headers)
    for limit in limits.values():
        assert 0 <= limit.remaining <= 1_000_000
        assert 0 <= limit.reset_in <= 3600
    for policy in policies.values():
        assert 1 <= policy.quota <= 1_000_000
        assert 1 <= policy.window <= 3600
    budget = RequestBudget(clock=FakeClock())
    budget.observe(headers, sent_at=0)
    assert 0 <= budget.wait_time() <= 3600 + 61
    assert budget.wait_time(stream=True) <= 3600 + 61


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


def test_a_start_or_an_end_goes_before_other_streams_waiting_updates() -> None:
    """A start fills a slot on the phone and an end frees one: neither waits behind
    the updates of streams already shown; among them the longest-waiting goes first.
    A start whose state is replaced while it waits is still a start."""
    queue = StreamQueue()
    queue.enqueue(put("washer", 1))
    queue.enqueue(put("dryer", 1))
    doorbell = StreamRequest("doorbell", "PUT", {"v": 1}, starts=True)
    queue.enqueue(doorbell)
    queue.enqueue(StreamRequest("doorbell", "PUT", {"v": 2}))
    queue.enqueue(end("oven"))
    first = queue.next_request()
    assert (first.stream_key, first.starts, first.body) == ("doorbell", True, {"v": 2})
    queue.take(first)
    assert queue.next_request() == end("oven")
    queue.take(end("oven"))
    assert queue.next_request() == put("washer", 1)


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
