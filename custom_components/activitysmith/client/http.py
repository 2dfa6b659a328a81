"""Async client for the ActivitySmith HTTP API.

One method per endpoint, JSON in and out; a failure raises one of the typed errors of
`errors.py`. Requests in the account's shared limit spend the key's `RequestBudget`;
stream requests that find it spent wait in a `StreamQueue` that this client's
background task drains, in order. No call blocks its caller longer than
`ACTION_DEADLINE`, retries included. It imports nothing from Home Assistant: it takes
an `aiohttp.ClientSession` and could become a library of its own. The API key is never
part of a message, a log line or a repr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
import logging
import random
import secrets
import time
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from .budget import SHARED, WINDOW_SECONDS, RequestBudget, StreamQueue, StreamRequest
from .errors import (
    ActivitySmithBudgetExhaustedError,
    ActivitySmithClosedError,
    ActivitySmithConnectionError,
    ActivitySmithDroppedError,
    ActivitySmithError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithResponseError,
    ActivitySmithServerError,
    ActivitySmithTimeoutError,
)
from .response import JsonObject, read_answer

_LOGGER = logging.getLogger(__name__)

API_BASE_URL: Final = "https://activitysmith.com/api"
DEFAULT_TIMEOUT: Final = 15.0
DEFAULT_USER_AGENT: Final = "activitysmith-python-client"
# The longest a call may block its caller, retries included.
ACTION_DEADLINE: Final = 20.0
# Transient failures of requests that are safe to repeat get another try after these.
RETRY_DELAYS: tuple[float, ...] = (0.5, 2.0)
# A queued stream request that failed transiently is tried again after this, doubling.
QUEUE_RETRY_DELAY: Final = 2.0
QUEUE_RETRY_MAX_DELAY: Final = 60.0
# How long closing may take to send the ends that still wait.
CLOSE_TIMEOUT: Final = 10.0

type StreamResultListener = Callable[[StreamRequest, JsonObject | Exception], None]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How one endpoint is called: its budget scope, retries and meaning of 404."""

    name: str
    shared: bool  # spends the account's shared 60/min budget
    retry: bool  # safe to repeat after a transient failure
    not_found: type[ActivitySmithNotFoundError] = ActivitySmithNoRecipientsError


START = Endpoint("POST /live-activity/start", shared=False, retry=False)
UPDATE = Endpoint("POST /live-activity/update", False, True, ActivitySmithNotFoundError)
END = Endpoint("POST /live-activity/end", False, True, ActivitySmithNotFoundError)
STREAM_PUT = Endpoint("PUT /live-activity/stream/*", shared=True, retry=True)
STREAM_DELETE = Endpoint(
    "DELETE /live-activity/stream/*", True, True, ActivitySmithNotFoundError
)
PUSH = Endpoint("POST /push-notification", shared=True, retry=False)
BADGE = Endpoint("POST /badge", shared=False, retry=True)
METRIC = Endpoint("POST /metrics/*/value", True, True, ActivitySmithNotFoundError)


class ActivitySmithClient:
    """Talks to the ActivitySmith API with one API key over a shared session.

    Requests that are safe to repeat are retried after a transient failure; start and
    push are not, so a phone never shows one twice. Stream requests that find the
    budget spent, or meet a transient failure, wait in the queue (newest state wins)
    and the call answers that it was queued; `on_stream_result` hears how each queued
    request ended.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        budget: RequestBudget | None = None,
    ) -> None:
        """Create a client; no request is made until a method is called.

        Clients of one API key should share one `budget`: the limit is the account's.
        """
        self._session = session
        self._api_key = api_key
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._base_url = (base_url or API_BASE_URL).rstrip("/")
        self._timeout = timeout
        self.budget = budget or RequestBudget()
        self.streams = StreamQueue()
        self.on_stream_result: StreamResultListener | None = None
        self.last_errors: dict[str, dict[str, Any]] = {}
        self._flush_task: asyncio.Task[None] | None = None
        # Set when the queue has new work (or the client closes): the sender looks again.
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()

    def __repr__(self) -> str:
        """Show where the client talks to, never the key."""
        return f"ActivitySmithClient(base_url={self._base_url!r})"

    async def check_api_key(self) -> None:
        """Raise `ActivitySmithAuthError` unless the key is accepted.

        The API has no "who am I" endpoint, so this ends a stream that cannot exist: a
        random key never used before. A valid key gets 404 (no such stream) and a bad one
        401; nothing reaches any phone.
        """
        probe_key = f"home-assistant-key-check-{secrets.token_hex(8)}"
        deadline = time.monotonic() + ACTION_DEADLINE
        with contextlib.suppress(ActivitySmithNotFoundError):
            await self._attempt(
                STREAM_DELETE, "DELETE", _stream_path(probe_key), None, deadline
            )

    async def start_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/start (not repeated: it would start a second one)."""
        answer = await self._request(START, "POST", "/live-activity/start", body)
        return _with_activity_id(answer, START.name)

    async def update_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/update."""
        return await self._request(UPDATE, "POST", "/live-activity/update", body)

    async def end_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/end."""
        return await self._request(END, "POST", "/live-activity/end", body)

    async def put_stream(self, stream_key: str, body: JsonObject) -> JsonObject:
        """PUT /live-activity/stream/{stream_key}: start or update a managed stream."""
        return await self._stream_request(StreamRequest(stream_key, "PUT", body))

    async def end_stream(
        self, stream_key: str, body: JsonObject | None = None
    ) -> JsonObject:
        """DELETE /live-activity/stream/{stream_key}: end a managed stream."""
        return await self._stream_request(StreamRequest(stream_key, "DELETE", body))

    async def send_push_notification(self, body: JsonObject) -> JsonObject:
        """POST /push-notification (not repeated: the phone would buzz twice)."""
        return await self._request(PUSH, "POST", "/push-notification", body)

    async def set_badge(self, body: JsonObject) -> JsonObject:
        """POST /badge: the number on the ActivitySmith app icon."""
        return await self._request(BADGE, "POST", "/badge", body)

    async def update_metric_value(self, key: str, body: JsonObject) -> JsonObject:
        """POST /metrics/{key}/value: the latest value shown by a widget."""
        path = f"/metrics/{quote(key, safe='')}/value"
        return await self._request(METRIC, "POST", path, body)

    async def async_wait_for_streams(self) -> None:
        """Wait until every queued stream request was sent, or failed."""
        while self._flush_task is not None and not self._flush_task.done():
            await asyncio.shield(self._flush_task)

    async def async_close(self, within: float = CLOSE_TIMEOUT) -> None:
        """Send nothing new; let a send on the wire finish; send the ends that wait.

        Within `within` seconds: ends still waiting are sent as soon as the budget allows;
        what cannot go in time is dropped with a warning naming its stream key, and
        reported to `on_stream_result` as `ActivitySmithDroppedError`.
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
        for request in self.streams.take_all():
            wait = self.budget.wait_time()
            if request.is_update or time.monotonic() + wait > deadline:
                self._report(request, ActivitySmithDroppedError(request.method))
                continue
            await asyncio.sleep(wait)
            self.budget.note_sent()
            await self._send_stream(request, deadline)

    @property
    def _closed(self) -> bool:
        return self._closing.is_set()

    async def _stream_request(self, request: StreamRequest) -> JsonObject:
        """Send a stream request now if the budget allows, else queue it.

        A request of a stream that has one waiting or on the wire always queues behind
        it, so an end is never overtaken by an older update. A request refused (429) or
        failing transiently keeps its place ahead of newer ones, in the queue.
        """
        if self._closed:
            raise ActivitySmithClosedError
        key = request.stream_key
        if not self.streams.busy(key) and self.budget.try_spend(
            stream=request.is_update
        ):
            endpoint = _stream_endpoint(request)
            self.streams.take(request)
            try:
                return await self._send_once(
                    endpoint,
                    request.method,
                    _stream_path(key),
                    request.body,
                    time.monotonic() + ACTION_DEADLINE,
                )
            except ActivitySmithError as err:
                self._remember_failure(endpoint, err)
                if self._closed or not _worth_another_try(err):
                    raise
                self.streams.requeue(request)  # the queue sends it later, in order
            finally:
                self.streams.done(request)
                self._wake.set()
        else:
            self.streams.enqueue(request)
        self._start_flushing()
        return {
            "success": True,
            "queued": True,
            "operation": "queued",
            "stream_key": key,
            "retry_after": round(self.budget.wait_time(stream=True), 1),
        }

    def _start_flushing(self) -> None:
        self._wake.set()
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(
                self._flush_streams(), name="activitysmith stream queue"
            )

    async def _flush_streams(self) -> None:
        """Send what waits, longest-waiting stream first, each when the budget allows."""
        retry_delay = QUEUE_RETRY_DELAY
        while not self._closed and self.streams:
            request = self.streams.next_request()
            wait = self.budget.wait_time(stream=request is None or request.is_update)
            if request is None or wait > 0:
                # Woken early by a new request or by closing; otherwise when allowed.
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait or None)
                continue
            self.budget.note_sent(stream=request.is_update)
            self.streams.take(request)
            try:
                result = await self._send_stream(request, None)
            finally:
                self.streams.done(request)
            if result is None:  # put back: give the server a rest first
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), retry_delay)
                retry_delay = min(retry_delay * 2, QUEUE_RETRY_MAX_DELAY)
            else:
                retry_delay = QUEUE_RETRY_DELAY

    async def _send_stream(
        self, request: StreamRequest, deadline: float | None
    ) -> JsonObject | Exception | None:
        """Send a queued request (budget spent) and report how it ended.

        Returns None when it was put back for a later try (429, transient failure).
        """
        endpoint = _stream_endpoint(request)
        path = _stream_path(request.stream_key)
        try:
            answer = await self._send_once(
                endpoint, request.method, path, request.body, deadline
            )
        except ActivitySmithError as err:
            self._remember_failure(endpoint, err)
            if _worth_another_try(err) and not self._closed:
                self.streams.requeue(request)
                return None
            self._report(request, err)
            return err
        self._report(request, answer)
        return answer

    def _report(self, request: StreamRequest, result: JsonObject | Exception) -> None:
        if isinstance(result, ActivitySmithDroppedError) and not request.is_update:
            _LOGGER.warning(
                "Could not end stream %s before stopping: the request budget did "
                "not allow it in time",
                request.stream_key,
            )
        if self.on_stream_result is not None:
            self.on_stream_result(request, result)

    async def _request(
        self, endpoint: Endpoint, method: str, path: str, body: JsonObject | None
    ) -> JsonObject:
        """Send a request, retrying transient failures if allowed, within the deadline."""
        deadline = time.monotonic() + ACTION_DEADLINE
        delays = RETRY_DELAYS if endpoint.retry else ()
        try:
            for delay in delays:
                try:
                    return await self._attempt(endpoint, method, path, body, deadline)
                except ActivitySmithError as err:
                    pause = delay * (1 + random.random() / 2)  # noqa: S311
                    if not _is_transient(err) or time.monotonic() + pause >= deadline:
                        raise
                    _LOGGER.debug("%s failed (%s); retrying", endpoint.name, err)
                await asyncio.sleep(pause)
            return await self._attempt(endpoint, method, path, body, deadline)
        except ActivitySmithError as err:
            self._remember_failure(endpoint, err)
            raise

    async def _attempt(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        body: JsonObject | None,
        deadline: float,
    ) -> JsonObject:
        """One try: wait for nothing, spend the budget if the endpoint is in it, send."""
        scope = SHARED if endpoint.shared else endpoint.name
        if (wait := self.budget.wait_time(scope=scope)) > 0:
            raise ActivitySmithBudgetExhaustedError(wait)
        if endpoint.shared:
            self.budget.note_sent()
        return await self._send_once(endpoint, method, path, body, deadline)

    async def _send_once(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        body: JsonObject | None,
        deadline: float | None,
    ) -> JsonObject:
        """One HTTP exchange (budget already spent), read as an answer or typed error.

        A 429 also pauses what it names: the shared budget, or this endpoint.
        """
        timeout = self._timeout
        if deadline is not None:
            timeout = max(0.1, min(timeout, deadline - time.monotonic()))
        _LOGGER.debug("%s %s", method, path)
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                json=body,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                middlewares=(self._count_resends(endpoint),),
            ) as response:
                status, headers = response.status, response.headers
                raw = await response.read()
        except TimeoutError as err:
            raise ActivitySmithTimeoutError(
                f"ActivitySmith did not answer {endpoint.name} in time"
            ) from err
        except aiohttp.ClientError as err:
            raise ActivitySmithConnectionError(
                f"Could not reach ActivitySmith: {self._redact(str(err))}"
            ) from err
        try:
            return read_answer(
                status,
                headers,
                raw,
                not_found=endpoint.not_found,
                redact=self._redact,
                endpoint=endpoint.name,
            )
        except ActivitySmithRateLimitError as err:
            wait = WINDOW_SECONDS if err.retry_after is None else err.retry_after
            self.budget.pause(wait, SHARED if endpoint.shared else endpoint.name)
            raise

    def _count_resends(self, endpoint: Endpoint) -> aiohttp.ClientMiddlewareType:
        """A middleware that counts aiohttp's silent re-send of a request on the wire."""
        sent = 0

        async def count(
            request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
        ) -> aiohttp.ClientResponse:
            nonlocal sent
            sent += 1
            if sent > 1 and endpoint.shared:
                self.budget.note_sent()
            return await handler(request)

        return count

    def _remember_failure(self, endpoint: Endpoint, err: ActivitySmithError) -> None:
        """Keep the last failure of each endpoint, for diagnostics."""
        self.last_errors[endpoint.name] = {
            "at": datetime.now(UTC).isoformat(),
            "error": type(err).__name__,
            "status": getattr(err, "status", None),
            "message": str(err),
        }

    def _redact(self, text: str) -> str:
        """Never let the key travel inside a message, even if a server echoes it."""
        return text.replace(self._api_key, "**REDACTED**") if self._api_key else text


def _is_transient(err: ActivitySmithError) -> bool:
    """A failure another try may not meet: no answer, or a server error (5xx)."""
    return isinstance(err, ActivitySmithConnectionError | ActivitySmithServerError)


def _worth_another_try(err: ActivitySmithError) -> bool:
    """A stream request that met this is kept for later: refused for now, or no answer."""
    return isinstance(err, ActivitySmithRateLimitError) or _is_transient(err)


def _stream_endpoint(request: StreamRequest) -> Endpoint:
    return STREAM_PUT if request.is_update else STREAM_DELETE


def _stream_path(stream_key: str) -> str:
    return f"/live-activity/stream/{quote(stream_key, safe='')}"


def _with_activity_id(answer: JsonObject, endpoint: str) -> JsonObject:
    """The answer, its `activity_id` as text; without a usable one it is an error."""
    activity_id = answer.get("activity_id")
    if type(activity_id) is int:
        answer["activity_id"] = activity_id = str(activity_id)
    if not isinstance(activity_id, str) or not activity_id:
        raise ActivitySmithResponseError(
            f"ActivitySmith answered {endpoint} without an activity id"
        )
    return answer
