"""The request budget's edges: a clock from zero, its yes or no, its diagnostics."""

from __future__ import annotations

from custom_components.activitysmith.client import RequestBudget

from .client_support import FakeClock


def test_a_budget_on_a_clock_that_starts_at_zero_works_the_same() -> None:
    """A monotonic clock may read 0 at first: nothing is paused until told so."""
    clock = FakeClock()
    clock.now = 0.0
    budget = RequestBudget(clock=clock)
    assert budget.wait_time() == 0
    assert budget.wait_time(scope="POST /badge") == 0
    budget.pause(0.5, "POST /badge")
    assert budget.wait_time(scope="POST /badge") == 0.5


def test_try_spend_answers_true_or_false() -> None:
    """A plain bool, as its signature says, for callers that compare it."""
    budget = RequestBudget(limit=1, window=60.0)
    assert budget.try_spend() is True
    assert budget.try_spend() is False


def test_the_report_rounds_to_tenths_and_leaves_out_pauses_that_are_over() -> None:
    """Diagnostics show each running pause, and when the next request may go."""
    clock = FakeClock()
    budget = RequestBudget(limit=1, window=60.0, clock=clock)
    budget.pause(12.34)
    budget.pause(0.26, "POST /badge")
    assert budget.as_dict() == {
        "limit": 1,
        "window_seconds": 60.0,
        "stream_share": 1,
        "used_in_window": 0,
        "paused_for_seconds": {"shared": 12.3, "POST /badge": 0.3},
        "next_request_in_seconds": 12.3,
    }
    clock.now += 0.26
    assert budget.as_dict()["paused_for_seconds"] == {"shared": 12.1}
