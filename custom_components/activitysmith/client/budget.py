"""The request budget of one API key, and the stream requests waiting for it.

ActivitySmith allows 60 requests per minute per account, shared by pushes, stream PUTs and
DELETEs and metric values (the vendor's Rate Limits page); start, update, end and the
badge are outside it. `RequestBudget` logs the shared requests of the last minute and
says when the next may go. Stream sends, which can wait and be coalesced, use at most
50 of the 60 and go evenly, one every (60 + `WINDOW_MARGIN`) / 50 = 1.21 s, so a
stream that changes many times a second shows a steady pace and never a burst followed
by a stall; pushes and metrics may use the other 10 at any time. A 429 pauses what the server names: the
shared budget, or the one endpoint outside it.

`StreamQueue` holds the stream requests that could not go yet, and keeps their order:
per stream key the newest state wins, an end (DELETE) is never dropped nor overtaken,
a refused request keeps its place ahead of newer ones, and no two requests of one key
are on the wire at once. The stream whose unsent change has waited longest goes next.
It only keeps order; the client sends what it hands out. Like the client, this module
imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
import time
from typing import Any, Final

REQUESTS_PER_WINDOW: Final = 60
WINDOW_SECONDS: Final = 60.0
# The scope of the shared budget; an endpoint outside it is its own scope.
SHARED: Final = "shared"
# A request stays in the window this much longer than the window: it reaches the server
# a little after it was counted here, and the server counts arrivals.
WINDOW_MARGIN: Final = 0.5


class RequestBudget:
    """A sliding-window request log with pauses the server can impose (429)."""

    def __init__(
        self,
        limit: int = REQUESTS_PER_WINDOW,
        window: float = WINDOW_SECONDS,
        *,
        stream_share: int | None = None,
        stream_spacing: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Allow `limit` shared requests in any `window` seconds (on `clock`).

        Streams may use `stream_share` of them (5/6 by default), one every `window /
        stream_share` seconds (plus the margin's share) unless `stream_spacing` says
        otherwise.
        """
        self.limit = limit
        self.window = window
        # Streams leave a sixth for pushes and metrics, which cannot wait: 50 of 60.
        self.stream_limit = stream_share or limit - limit // 6
        self.stream_spacing = (
            (window + WINDOW_MARGIN) / self.stream_limit
            if stream_spacing is None
            else stream_spacing
        )
        # Looked up at each call, so a test's frozen clock applies.
        self._clock = clock or (lambda: time.monotonic())  # noqa: PLW0108
        self._sent: deque[float] = deque()
        self._stream_sent: deque[float] = deque()
        self._paused_until: dict[str, float] = {}

    def wait_time(self, *, stream: bool = False, scope: str = SHARED) -> float:
        """Seconds until a request of this kind may go (0 when it may go now)."""
        now = self._clock()
        waits = [self._paused_until.get(scope, 0.0) - now]
        if scope == SHARED:
            span = self.window + WINDOW_MARGIN
            for log in (self._sent, self._stream_sent):
                while log and log[0] <= now - span:
                    log.popleft()
            if len(self._sent) >= self.limit:
                waits.append(self._sent[-self.limit] + span - now)
            if stream:
                if len(self._stream_sent) >= self.stream_limit:
                    oldest = self._stream_sent[-self.stream_limit]
                    waits.append(oldest + span - now)
                if self._stream_sent:
                    waits.append(self._stream_sent[-1] + self.stream_spacing - now)
        return max(0.0, *waits)

    def try_spend(self, *, stream: bool = False) -> bool:
        """Spend one shared request and return True if one may go now, else False."""
        if self.wait_time(stream=stream) > 0:
            return False
        self.note_sent(stream=stream)
        return True

    def note_sent(self, *, stream: bool = False) -> None:
        """Count a request that reached the wire without asking (a silent re-send)."""
        now = self._clock()
        self._sent.append(now)
        if stream:
            self._stream_sent.append(now)

    def pause(self, seconds: float, scope: str = SHARED) -> None:
        """Send nothing of `scope` for `seconds` (the server answered 429)."""
        until = self._clock() + seconds
        self._paused_until[scope] = max(self._paused_until.get(scope, 0.0), until)

    def as_dict(self) -> dict[str, Any]:
        """The budget's state, for diagnostics."""
        now = self._clock()
        return {
            "limit": self.limit,
            "window_seconds": self.window,
            "stream_share": self.stream_limit,
            "used_in_window": len(self._sent),
            "paused_for_seconds": {
                scope: round(until - now, 1)
                for scope, until in self._paused_until.items()
                if until > now
            },
            "next_request_in_seconds": round(self.wait_time(), 1),
        }


@dataclass(slots=True)
class StreamRequest:
    """A stream PUT (start or update) or DELETE (end) of one stream key."""

    stream_key: str
    method: str
    body: dict[str, Any] | None
    # What the caller records when the request is answered, handed back untouched.
    context: Any = None

    @property
    def is_update(self) -> bool:
        """A PUT: it may be coalesced with newer states of its stream."""
        return self.method == "PUT"


class StreamQueue:
    """Stream requests waiting for the budget, in the order they must reach the server."""

    def __init__(self) -> None:
        """Start empty."""
        # Per key, in the order the keys started waiting (oldest first).
        self._pending: dict[str, list[StreamRequest]] = {}
        # Keys with a request on the wire: nothing else of theirs goes meanwhile.
        self._in_flight: set[str] = set()

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
        return stream_key in self._pending or stream_key in self._in_flight

    def enqueue(self, request: StreamRequest) -> None:
        """Queue a request behind the others of its stream, coalescing with them."""
        queue = self._pending.setdefault(request.stream_key, [])
        _coalesce(queue, request)

    def requeue(self, request: StreamRequest) -> None:
        """Put back a request that was refused: ahead of its stream's newer ones.

        Newer requests of its stream still win where they coalesce (a newer state
        replaces it; an end makes it moot). The stream goes first again.
        """
        queue = [request]
        for newer in self._pending.pop(request.stream_key, []):
            _coalesce(queue, newer)
        self._pending = {request.stream_key: queue, **self._pending}

    def next_request(self) -> StreamRequest | None:
        """The request to send next: the first of the longest-waiting idle stream."""
        return next(
            (
                queue[0]
                for key, queue in self._pending.items()
                if key not in self._in_flight
            ),
            None,
        )

    def take(self, request: StreamRequest) -> None:
        """`request` (from `next_request`, or sent directly) is now on the wire."""
        if (queue := self._pending.get(request.stream_key)) and queue[0] is request:
            queue.pop(0)
            if not queue:
                del self._pending[request.stream_key]
        self._in_flight.add(request.stream_key)

    def done(self, request: StreamRequest) -> None:
        """`request` is off the wire (answered, refused or failed)."""
        self._in_flight.discard(request.stream_key)

    def take_all(self) -> list[StreamRequest]:
        """Empty the queue, returning every request that waited (on close)."""
        requests = [request for queue in self._pending.values() for request in queue]
        self._pending.clear()
        return requests


def _coalesce(queue: list[StreamRequest], request: StreamRequest) -> None:
    """Add `request` at the end of one stream's queue: the newest state wins."""
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
