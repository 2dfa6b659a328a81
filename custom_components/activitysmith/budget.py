"""The request budget of one API key, and the stream updates waiting for it.

ActivitySmith allows 60 requests per minute per account. `RequestBudget` keeps a log of
the requests sent in the last minute and says when the next one may go: direct requests
(start, push, badge, metric...) may use the whole budget; stream updates, which can wait
and be coalesced, leave a sixth of it free for them and go at most one per second, so a
stream that changes many times a second shows a steady pace instead of a burst and then
a minute of silence.

`StreamQueue` holds the stream requests that could not go yet: per stream key the newest
state wins, an end (DELETE) is never dropped and never overtaken by an older update, and
one background task sends them, oldest key first, as soon as the budget allows. Like the
client, this module imports nothing from Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
import logging
import time
from typing import Any, Final

_LOGGER = logging.getLogger(__name__)

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

    def try_spend(self, *, stream: bool = False) -> float:
        """Spend one request if allowed and return 0, else return the seconds to wait."""
        if (wait := self.wait_time(stream=stream)) > 0:
            return wait
        now = self._clock()
        self._sent.append(now)
        if stream:
            self._last_stream_send = now
        return 0.0

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


class RetryLater(Exception):
    """Raised by a sender when the server asked to wait (429): the request is kept."""

    def __init__(self, seconds: float | None) -> None:
        """Wait `seconds`, or a whole window when the server did not say."""
        super().__init__(seconds)
        self.seconds = WINDOW_SECONDS if seconds is None else seconds


@dataclass(slots=True)
class StreamRequest:
    """A stream PUT or DELETE waiting for the budget."""

    stream_key: str
    method: str
    body: dict[str, Any] | None


type Sender = Callable[[StreamRequest], Awaitable[dict[str, Any]]]
type ResultListener = Callable[[StreamRequest, dict[str, Any] | Exception], None]


class StreamQueue:
    """Coalesces stream requests per key and sends them when the budget allows."""

    def __init__(self, budget: RequestBudget, send: Sender) -> None:
        """`send` performs one request (budget already spent) and returns its answer."""
        self._budget = budget
        self._send = send
        self._pending: dict[str, list[StreamRequest]] = {}
        # Held while a request of a stream is on the wire, so none overtakes another.
        self._sending: dict[str, asyncio.Lock] = {}
        self._task: asyncio.Task[None] | None = None
        self.on_result: ResultListener | None = None

    @property
    def pending(self) -> dict[str, list[str]]:
        """What waits, per stream key (for diagnostics)."""
        return {
            key: [r.method for r in requests] for key, requests in self._pending.items()
        }

    @property
    def idle(self) -> bool:
        """Nothing waits and nothing is being sent."""
        return not self._pending and (self._task is None or self._task.done())

    def busy(self, stream_key: str) -> bool:
        """Whether a request of this stream waits or is on the wire (a new one queues)."""
        lock = self._sending.get(stream_key)
        return stream_key in self._pending or (lock is not None and lock.locked())

    def sending(self, stream_key: str) -> asyncio.Lock:
        """The lock to hold while a request of this stream is on the wire."""
        return self._sending.setdefault(stream_key, asyncio.Lock())

    def enqueue(self, request: StreamRequest) -> float:
        """Queue a request, coalescing it; return the seconds until it may go."""
        queue = self._pending.setdefault(request.stream_key, [])
        if request.method == "PUT":
            if queue and queue[-1].method == "PUT":
                queue[-1] = request  # the newest state wins
            else:
                queue.append(request)
        else:
            # An end makes the updates before it moot; it is never dropped itself.
            while queue and queue[-1].method == "PUT":
                queue.pop()
            if queue and queue[-1].method == "DELETE":
                queue[-1] = request
            else:
                queue.append(request)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._flush(), name="activitysmith stream queue"
            )
        return self._budget.wait_time(stream=True)

    async def _flush(self) -> None:
        """Send what waits, oldest stream first, each when the budget allows it."""
        while self._pending:
            key = next(iter(self._pending))
            request = self._pending[key][0]
            if (wait := self._budget.try_spend(stream=request.method == "PUT")) > 0:
                await asyncio.sleep(wait)
                continue
            self._pop(key)
            async with self.sending(key):
                try:
                    result: dict[str, Any] | Exception = await self._send(request)
                except RetryLater as err:
                    self._budget.pause(err.seconds)
                    self._requeue(request)
                    continue
                except Exception as err:
                    result = err
            if self.on_result is not None:
                self.on_result(request, result)

    def _requeue(self, request: StreamRequest) -> None:
        """Put a request the server refused back in front, unless something newer won."""
        queue = self._pending.pop(request.stream_key, [])
        if request.method == "DELETE" or not queue:
            queue.insert(0, request)
        self._pending = {request.stream_key: queue, **self._pending}

    def _pop(self, key: str) -> None:
        queue = self._pending[key]
        queue.pop(0)
        if not queue:
            del self._pending[key]

    async def async_close(self) -> None:
        """Stop the background task; send the ends the budget still allows now.

        Updates that still wait are dropped (a newer state will follow after a
        restart); an end is sent if the budget has room, else reported as dropped.
        """
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for key, queue in list(self._pending.items()):
            if queue[-1].method == "DELETE" and not self._budget.try_spend():
                with contextlib.suppress(Exception):
                    await self._send(queue[-1])
                del self._pending[key]
        if self._pending:
            _LOGGER.warning(
                "Dropping stream requests that were waiting for the rate budget: %s",
                self.pending,
            )
            self._pending.clear()
