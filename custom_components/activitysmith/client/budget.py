"""The request budget of one API key, and the stream requests waiting for it.

ActivitySmith allows 60 requests per minute per account. `RequestBudget` keeps a log of
the requests sent in the last minute and says when the next one may go: direct requests
(start, push, badge, metric...) may use the whole budget; stream updates, which can wait
and be coalesced, leave a sixth of it free for them and go at most one per second, so a
stream that changes many times a second shows a steady pace instead of a burst and then
a minute of silence.

`StreamQueue` holds the stream requests that could not go yet: per stream key the newest
state wins, and an end (DELETE) is never dropped and never overtaken by an older update.
It only keeps order; the client sends what it hands out. Like the client, this module
imports nothing from Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
import time
from typing import Any, Final

REQUESTS_PER_WINDOW: Final = 60
WINDOW_SECONDS: Final = 60.0
# The share of the budget that stream updates leave free for direct requests.
STREAM_RESERVE_SHARE: Final = 1 / 6


class RequestBudget:
    """A sliding-window request log with a pause the server can impose (429)."""

    def __init__(
        self,
        limit: int = REQUESTS_PER_WINDOW,
        window: float = WINDOW_SECONDS,
        *,
        stream_spacing: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Allow `limit` requests in any `window` seconds (on `clock`, monotonic).

        Stream updates leave a sixth of the budget free and go at most one per
        `stream_spacing` seconds (by default the budget's average rate, 1 s).
        """
        self.limit = limit
        self.window = window
        self.stream_limit = limit - int(limit * STREAM_RESERVE_SHARE)
        self.stream_spacing = (
            window / limit if stream_spacing is None else stream_spacing
        )
        # Looked up at each call, so a test's frozen clock applies.
        self._clock = clock or (lambda: time.monotonic())  # noqa: PLW0108
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._last_stream_send = -float("inf")

    def wait_time(self, *, stream: bool = False) -> float:
        """Seconds until a request of this kind may go (0 when it may go now)."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        waits = [self._paused_until - now]
        allowed = self.stream_limit if stream else self.limit
        if len(self._sent) >= allowed:
            waits.append(self._sent[len(self._sent) - allowed] + self.window - now)
        if stream:
            waits.append(self._last_stream_send + self.stream_spacing - now)
        return max(0.0, *waits)

    def try_spend(self, *, stream: bool = False) -> bool:
        """Spend one request and return True if one may go now; else spend nothing."""
        if self.wait_time(stream=stream) > 0:
            return False
        now = self._clock()
        self._sent.append(now)
        if stream:
            self._last_stream_send = now
        return True

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (the server answered 429)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def as_dict(self) -> dict[str, Any]:
        """The budget's state, for diagnostics."""
        wait = self.wait_time()
        return {
            "limit": self.limit,
            "window_seconds": self.window,
            "used_in_window": len(self._sent),
            "paused_for_seconds": round(
                max(0.0, self._paused_until - self._clock()), 1
            ),
            "next_request_in_seconds": round(wait, 1),
        }


@dataclass(slots=True)
class StreamRequest:
    """A stream PUT (start or update) or DELETE (end) of one stream key."""

    stream_key: str
    method: str
    body: dict[str, Any] | None

    @property
    def is_update(self) -> bool:
        """A PUT: it spends the streams' share of the budget and may be coalesced."""
        return self.method == "PUT"


class StreamQueue:
    """Stream requests waiting for the budget, coalesced per key, oldest key first."""

    def __init__(self) -> None:
        """Start empty."""
        self._pending: dict[str, list[StreamRequest]] = {}
        # Held while a request of a stream is on the wire, so none overtakes another.
        self._sending: dict[str, asyncio.Lock] = {}

    def __bool__(self) -> bool:
        """Whether anything waits."""
        return bool(self._pending)

    @property
    def pending(self) -> dict[str, list[str]]:
        """What waits, per stream key (for diagnostics)."""
        return {
            key: [r.method for r in requests] for key, requests in self._pending.items()
        }

    def busy(self, stream_key: str) -> bool:
        """Whether a request of this stream waits or is on the wire (a new one queues)."""
        lock = self._sending.get(stream_key)
        return stream_key in self._pending or (lock is not None and lock.locked())

    def sending(self, stream_key: str) -> asyncio.Lock:
        """The lock to hold while a request of this stream is on the wire."""
        return self._sending.setdefault(stream_key, asyncio.Lock())

    def enqueue(self, request: StreamRequest) -> None:
        """Queue a request: the newest state wins, an end is kept and goes last."""
        queue = self._pending.setdefault(request.stream_key, [])
        if request.is_update:
            if queue and queue[-1].is_update:
                queue[-1] = request
            else:
                queue.append(request)
            return
        # An end makes the updates before it moot; it is never dropped itself.
        while queue and queue[-1].is_update:
            queue.pop()
        if queue:
            queue[-1] = request
        else:
            queue.append(request)

    def next_request(self) -> StreamRequest | None:
        """The request to send next: the first of the stream that waits longest."""
        return next((queue[0] for queue in self._pending.values()), None)

    def pop(self, request: StreamRequest) -> None:
        """Take `request`, which `next_request` handed out, off the queue."""
        queue = self._pending[request.stream_key]
        queue.remove(request)
        if not queue:
            del self._pending[request.stream_key]

    def requeue(self, request: StreamRequest) -> None:
        """Put a request the server refused back in front, unless something newer won."""
        queue = self._pending.pop(request.stream_key, [])
        if not request.is_update or not queue:
            queue.insert(0, request)
        self._pending = {request.stream_key: queue, **self._pending}

    def take_all(self) -> list[StreamRequest]:
        """Empty the queue, returning every request that waited (on close)."""
        requests = [request for queue in self._pending.values() for request in queue]
        self._pending.clear()
        return requests
