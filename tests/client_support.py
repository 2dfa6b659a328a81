"""Test doubles for the client's time: a clock moved by hand, waits that take none."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class FakeClock:
    """A clock the test moves by hand (for `RequestBudget(clock=...)`)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class InstantWaits:
    """`asyncio` as the client module sees it: every wait is noted and takes no time.

    Patched in as a client module's `asyncio` (`http` for retries, `stream_sender` for
    the queue); everything else is the real `asyncio`. With a
    `FakeClock` budget, the queue then looks again at once, and goes when the test has
    moved the clock far enough.
    """

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.timeouts: list[float | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        await asyncio.sleep(0)

    # Same signature as asyncio.wait_for, which the client calls.
    async def wait_for(self, awaitable: Awaitable[Any], timeout: float | None) -> Any:  # noqa: ASYNC109
        self.timeouts.append(timeout)
        return await asyncio.wait_for(
            awaitable, None if timeout is None else min(timeout, 0.001)
        )


async def until(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    """Let the event loop run until `condition()` holds."""
    for _ in range(int(seconds / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


async def settle(seconds: float = 0.05) -> None:
    """Let the event loop run a moment (for checking that something does not happen)."""
    await asyncio.sleep(seconds)


# Minimal bodies the published OpenAPI spec accepts, for tests of the client itself.
# What such a test checks is how a request goes or how its answer is read, not what
# the body holds; `n` tells the calls of one test apart (0 to 100). Each call makes a
# new dict, so a test may compare what reached the server with a body it made.


def content_state(n: int = 1) -> dict[str, Any]:
    """A progress content state: every type needs a title; `n` is the percentage."""
    return {"title": "T", "type": "progress", "percentage": n}


def stream_body(n: int = 1) -> dict[str, Any]:
    """PUT /live-activity/stream/{key}, or the optional body of its DELETE."""
    return {"content_state": content_state(n)}


def start_body(n: int = 1) -> dict[str, Any]:
    """POST /live-activity/start."""
    return {"content_state": content_state(n)}


def change_body(n: int = 1, activity_id: str = "act-1") -> dict[str, Any]:
    """POST /live-activity/update or /live-activity/end."""
    return {"activity_id": activity_id, "content_state": content_state(n)}


def push_body(n: int = 1) -> dict[str, Any]:
    """POST /push-notification (and PUT /push-notification/{id})."""
    return {"title": f"T{n}"}


def badge_body(n: int = 1) -> dict[str, Any]:
    """POST /badge."""
    return {"badge": n}


def metric_body(n: int = 1) -> dict[str, Any]:
    """POST /metrics/{key}/value."""
    return {"value": n}


# The body each client method takes, by the method's name.
VALID_BODY: dict[str, Callable[[int], dict[str, Any]]] = {
    "start_live_activity": start_body,
    "update_live_activity": change_body,
    "end_live_activity": change_body,
    "put_stream": stream_body,
    "end_stream": stream_body,
    "send_push_notification": push_body,
    "set_badge": badge_body,
    "update_metric_value": metric_body,
}
