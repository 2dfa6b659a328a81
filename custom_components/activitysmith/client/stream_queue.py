"""The stream requests waiting for the budget, in the order they must reach the server.

`StreamQueue` holds the stream requests that could not go yet, and keeps their order:
per stream key the newest state wins, an end (DELETE) is never dropped nor overtaken,
a refused request keeps its place ahead of newer ones, and no two requests of one key
are on the wire at once. The stream whose unsent change has waited longest goes next,
among those whose own minimum interval has passed; but a start or an end goes before
updates of other streams (a start fills a slot on the phone, an end frees one, and
both are few: an update waits at most for them). It only keeps order; the client sends
what it hands out.
Like the client, this module imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class StreamRequest:
    """A stream PUT (start or update) or DELETE (end) of one stream key."""

    stream_key: str
    method: str
    body: dict[str, Any] | None
    # What the caller records when the request is answered, handed back untouched.
    context: Any = None
    # The least time between two sends of this stream; None: the sender's default.
    min_interval: float | None = None
    # A start (of a stream the phone does not show yet): it goes before updates.
    starts: bool = False

    @property
    def is_update(self) -> bool:
        """A PUT: it may be coalesced with newer states of its stream."""
        return self.method == "PUT"

    @property
    def goes_first(self) -> bool:
        """A start or an end: it goes before other streams' waiting updates."""
        return self.starts or not self.is_update


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

    def next_request(
        self, ready: Callable[[StreamRequest], bool] | None = None
    ) -> StreamRequest | None:
        """The request to send next: the first of the longest-waiting idle stream.

        A start or an end goes first, the longest-waiting of them. With `ready`, only
        among the streams whose first request it accepts (their own minimum interval
        has passed).
        """
        heads = [
            queue[0]
            for key, queue in self._pending.items()
            if key not in self._in_flight and (ready is None or ready(queue[0]))
        ]
        return next((r for r in heads if r.goes_first), heads[0] if heads else None)

    def heads(self) -> list[StreamRequest]:
        """The first waiting request of each stream not on the wire."""
        return [
            queue[0]
            for key, queue in self._pending.items()
            if key not in self._in_flight
        ]

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
            # The newest state wins, and a start it replaces is still a start.
            request.starts = request.starts or queue[-1].starts
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
