"""The request budget's edges: a clock from zero, its yes or no, its diagnostics."""

from __future__ import annotations

from custom_components.activitysmith.client import RequestBudget
from custom_components.activitysmith.client.budget import BADGES

from .client_support import FakeClock


def test_a_budget_on_a_clock_that_starts_at_zero_works_the_same() -> None:
    """A monotonic clock may read 0 at first: nothing is paused until told so."""
    clock = FakeClock()
    clock.now = 0.0
    budget = RequestBudget(clock=clock)
    assert budget.wait_time() == 0
    assert budget.wait_time(scope=BADGES) == 0
    budget.pause(0.5, BADGES)
    assert budget.wait_time(scope=BADGES) == 0.5


def test_try_spend_answers_true_or_false() -> None:
    """A plain bool, as its signature says, for callers that compare it."""
    budget = RequestBudget(limit=1, window=60.0)
    assert budget.try_spend() is True
    assert budget.try_spend() is False


def test_the_report_rounds_to_tenths_and_says_what_the_server_said() -> None:
    """Diagnostics show each feature: quota, use, the server's count, pauses."""
    clock = FakeClock()
    budget = RequestBudget(limit=1, window=60.0, clock=clock)
    budget.pause(12.34, BADGES)
    budget.observe(
        {"RateLimit": '"account:metrics"; r=7; t=30'},
        sent_at=clock.now,
        scope="metrics",
    )
    report = budget.as_dict()
    assert report["badges"] == {
        "quota": 1,
        "window_seconds": 60.0,
        "used_in_window": 0,
        "server_says_left": None,
        "paused_for_seconds": 12.3,
        "next_request_in_seconds": 12.3,
    }
    assert report["metrics"]["server_says_left"] == 7
    clock.now += 12.34
    assert budget.as_dict()["badges"]["paused_for_seconds"] == 0.0
