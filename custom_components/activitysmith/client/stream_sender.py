"""Stream requests: sent at once when the budget allows, else from the queue, in order.

A request of a stream that has one waiting or on the wire always queues behind it, so
an end is never overtaken by an older update. A background task drains the queue
(`budget.StreamQueue`: newest state wins, longest-waiting stream first) as the budget
allows, and tells `on_result` how each queued request ended. Closing sends the ends that
still wait, within a deadline. Like the client, it imports nothing from Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import logging
import time
from typing import Final

from .errors import (
    ActivitySmithClosedError,
    ActivitySmithDroppedError,
    ActivitySmithError,
)
from .response import JsonObject
from .stream_queue import StreamQueue, StreamRequest
from .transport import (
    STREAM_DELETE,
    STREAM_PUT,
    Endpoint,
    Transport,
    stream_path,
    worth_another_try,
)

_LOGGER = logging.getLogger(__name__)

# A queued stream request that failed transiently is tried again after this, doubling.
QUEUE_RETRY_DELAY: Final = 2.0
QUEUE_RETRY_MAX_DELAY: Final = 60.0

type StreamResultListener = Callable[[StreamRequest, JsonObject | Exception], None]


class StreamSender:
    """Sends one API key's stream requests, now or from its queue."""

    def __init__(self, transport: Transport, action_deadline: float) -> None:
        """Start with an empty queue; the draining task starts with the first wait."""
        self._transport = transport
        self._action_deadline = action_deadline
        self.queue = StreamQueue()
        self.on_result: StreamResultListener | None = None
        self._flush_task: asyncio.Task[None] | None = None
        # Set when the queue has new work (or the sender closes): the task looks again.
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()
        # When each stream's last update left (monotonic), for its minimum interval.
        self._last_update: dict[str, float] = {}

    @property
    def closed(self) -> bool:
        """Whether closing has begun: nothing new is taken."""
        return self._closing.is_set()

    async def send(self, request: StreamRequest) -> JsonObject:
        """Send `request` now if the budget allows, else queue it.

        A request refused (429) or failing transiently keeps its place ahead of newer
        ones, in the queue; the answer then says it was queued.
        """
        if self.closed:
            raise ActivitySmithClosedError
        self._transport.refuse_unusable_key()
        budget = self._transport.budget
        if (
            not self.queue.busy(request.stream_key)
            and self._interval_wait(request) <= 0
            and budget.try_spend(stream=request.is_update)
        ):
            endpoint = _endpoint(request)
            self.queue.take(request)
            sent_at = time.monotonic()
            try:
                answer = await self._transport.send(
                    endpoint,
                    request.method,
                    stream_path(request.stream_key),
                    request.body,
                    sent_at + self._action_deadline,
                )
            except ActivitySmithError as err:
                self._transport.remember_failure(endpoint, err)
                if self.closed or not worth_another_try(err):
                    raise
                self.queue.requeue(request)  # the task sends it later, in order
            else:
                self._delivered(request, sent_at)
                return answer
            finally:
                self.queue.done(request)
                self._wake.set()
        else:
            self.queue.enqueue(request)
        self._start_flushing()
        return {
            "success": True,
            "queued": True,
            "operation": "queued",
            "stream_key": request.stream_key,
            "retry_after": round(
                max(budget.wait_time(stream=True), self._interval_wait(request)), 1
            ),
        }

    def _interval_wait(self, request: StreamRequest) -> float:
        """Seconds until this stream may be updated again (ends never wait for it)."""
        if not request.is_update or request.stream_key not in self._last_update:
            return 0.0
        interval = (
            self._transport.budget.min_interval
            if request.min_interval is None
            else request.min_interval
        )
        return self._last_update[request.stream_key] + interval - time.monotonic()

    def _delivered(self, request: StreamRequest, sent_at: float) -> None:
        """An update reached the phone: the stream's interval counts from its send."""
        if request.is_update:
            self._last_update[request.stream_key] = sent_at

    async def wait_until_sent(self) -> None:
        """Wait until every queued stream request was sent, or failed."""
        while self._flush_task is not None and not self._flush_task.done():
            await asyncio.shield(self._flush_task)

    async def close(self, within: float) -> None:
        """Take nothing new; let a send on the wire finish; send the ends that wait.

        Within `within` seconds: ends still waiting are sent as soon as the budget allows;
        what cannot go in time is dropped with a warning naming its stream key, and
        reported to `on_result` as `ActivitySmithDroppedError`.
        """
        self._closing.set()
        self._wake.set()
        deadline = time.monotonic() + within
        if self._flush_task is not None:
            with contextlib.suppress(TimeoutError):
                try:
                    await asyncio.wait_for(asyncio.shield(self._flush_task), within)
                except asyncio.CancelledError:
                    # Only the queue's task was cancelled: go on. The caller was: stop.
                    if (current := asyncio.current_task()) and current.cancelling():
                        raise
            self._flush_task.cancel()
        budget = self._transport.budget
        for request in self.queue.take_all():
            wait = budget.wait_time()
            if request.is_update or time.monotonic() + wait > deadline:
                self._report(request, ActivitySmithDroppedError(request.method))
                continue
            await asyncio.sleep(wait)
            budget.note_sent()
            await self._send_queued(request, deadline)

    def _start_flushing(self) -> None:
        self._wake.set()
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(
                self._flush(), name="activitysmith stream queue"
            )

    async def _flush(self) -> None:
        """Send what waits, longest-waiting stream first, each when the budget allows."""
        budget = self._transport.budget
        retry_delay = QUEUE_RETRY_DELAY
        while not self.closed and self.queue:
            request = self.queue.next_request(
                lambda waiting: self._interval_wait(waiting) <= 0
            )
            if request is None:
                heads = self.queue.heads()
                wait = min((self._interval_wait(head) for head in heads), default=0.0)
            else:
                wait = budget.wait_time(stream=request.is_update)
            if request is None or wait > 0:
                # Woken early by a new request or by closing; otherwise when allowed.
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait or None)
                continue
            budget.note_sent(stream=request.is_update)
            self.queue.take(request)
            try:
                result = await self._send_queued(request, None)
            except asyncio.CancelledError:
                # Closing ran out of time while this was on the wire: say so.
                self._report(
                    request, ActivitySmithDroppedError(request.method, on_the_wire=True)
                )
                raise
            finally:
                self.queue.done(request)
            if result is None:  # put back: give the server a rest first
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), retry_delay)
                retry_delay = min(retry_delay * 2, QUEUE_RETRY_MAX_DELAY)
            else:
                retry_delay = QUEUE_RETRY_DELAY

    async def _send_queued(
        self, request: StreamRequest, deadline: float | None
    ) -> JsonObject | Exception | None:
        """Send a queued request (budget spent) and report how it ended.

        Returns None when it was put back for a later try (429, transient failure).
        """
        endpoint = _endpoint(request)
        path = stream_path(request.stream_key)
        sent_at = time.monotonic()
        try:
            answer = await self._transport.send(
                endpoint, request.method, path, request.body, deadline
            )
            self._delivered(request, sent_at)
        except ActivitySmithError as err:
            self._transport.remember_failure(endpoint, err)
            if worth_another_try(err) and not self.closed:
                self.queue.requeue(request)
                return None
            self._report(request, err)
            return err
        self._report(request, answer)
        return answer

    def _report(self, request: StreamRequest, result: JsonObject | Exception) -> None:
        if isinstance(result, ActivitySmithDroppedError) and not request.is_update:
            if result.on_the_wire:
                _LOGGER.warning(
                    "Could not end stream %s before stopping: ActivitySmith did not "
                    "answer in time, so the Live Activity may still be on the phone",
                    request.stream_key,
                )
            else:
                _LOGGER.warning(
                    "Could not end stream %s before stopping: the request budget did "
                    "not allow it in time",
                    request.stream_key,
                )
        if self.on_result is not None:
            self.on_result(request, result)


def _endpoint(request: StreamRequest) -> Endpoint:
    return STREAM_PUT if request.is_update else STREAM_DELETE
