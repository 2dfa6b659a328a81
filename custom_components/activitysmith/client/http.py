"""Async client for the ActivitySmith HTTP API.

One method per endpoint, JSON in and out; a failure raises one of the typed errors of
`errors.py`. Requests spend the key's `RequestBudget`; stream requests that find it
spent wait in a `StreamQueue` that this client's background task drains. It imports
nothing from Home Assistant: it takes an `aiohttp.ClientSession` and could become a
library of its own. The API key is never part of a message, a log line or a repr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import UTC, datetime
import logging
import random
import re
import secrets
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from .budget import WINDOW_SECONDS, RequestBudget, StreamQueue, StreamRequest
from .errors import (
    ActivitySmithBudgetExhaustedError,
    ActivitySmithConnectionError,
    ActivitySmithError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithServerError,
    ActivitySmithTimeoutError,
)
from .response import JsonObject, read_answer

_LOGGER = logging.getLogger(__name__)

API_BASE_URL: Final = "https://activitysmith.com/api"
DEFAULT_TIMEOUT: Final = 15.0
DEFAULT_USER_AGENT: Final = "activitysmith-python-client"

# Transient failures worth another try, for requests that are safe to repeat.
RETRY_DELAYS: tuple[float, ...] = (0.5, 2.0)
RETRY_STATUSES: Final = frozenset({502, 503, 504})

type StreamResultListener = Callable[[StreamRequest, JsonObject | Exception], None]


class ActivitySmithClient:
    """Talks to the ActivitySmith API with one API key over a shared session.

    Requests that are safe to repeat are retried after a transient failure; start and
    push are not, so a phone never shows one twice. Stream requests that find the budget
    spent wait in the queue (newest state wins) and the call answers that it was queued;
    `on_stream_result` hears how each queued request ended.
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
        """Create a client; no request is made until a method is called."""
        self._session = session
        self._api_key = api_key
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._base_url = (base_url or API_BASE_URL).rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.budget = budget or RequestBudget()
        self.streams = StreamQueue()
        self._flush_task: asyncio.Task[None] | None = None
        self.on_stream_result: StreamResultListener | None = None
        self.last_errors: dict[str, dict[str, Any]] = {}

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
        try:
            await self._attempt(
                "DELETE",
                _stream_path(probe_key),
                None,
                ActivitySmithNotFoundError,
                spend=True,
            )
        except ActivitySmithNotFoundError:
            return

    async def start_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/start (not repeated: it would start a second one)."""
        return await self._request("POST", "/live-activity/start", body, retry=False)

    async def update_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/update."""
        return await self._request("POST", "/live-activity/update", body)

    async def end_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/end."""
        return await self._request("POST", "/live-activity/end", body)

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
        return await self._request("POST", "/push-notification", body, retry=False)

    async def set_badge(self, body: JsonObject) -> JsonObject:
        """POST /badge: the number on the ActivitySmith app icon."""
        return await self._request("POST", "/badge", body)

    async def update_metric_value(self, key: str, body: JsonObject) -> JsonObject:
        """POST /metrics/{key}/value: the latest value shown by a widget."""
        return await self._request(
            "POST",
            f"/metrics/{quote(key, safe='')}/value",
            body,
            not_found=ActivitySmithNotFoundError,
        )

    async def async_wait_for_streams(self) -> None:
        """Wait until every queued stream request was sent, or failed."""
        if self._flush_task is not None:
            await asyncio.shield(self._flush_task)

    async def async_close(self) -> None:
        """Stop sending queued stream requests; send the ends the budget allows now.

        Updates that still wait are dropped (a newer state will follow after a
        restart); an end is sent if the budget has room, else reported as dropped.
        """
        if self._flush_task is not None:
            self._flush_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush_task
        dropped: dict[str, list[str]] = {}
        for request in self.streams.take_all():
            if not request.is_update and self.budget.try_spend():
                with contextlib.suppress(ActivitySmithError):
                    await self._send_stream(request)
            else:
                dropped.setdefault(request.stream_key, []).append(request.method)
        if dropped:
            _LOGGER.warning(
                "Dropping stream requests that were waiting for the rate budget: %s",
                dropped,
            )

    async def _stream_request(self, request: StreamRequest) -> JsonObject:
        """Send a stream request now if the budget allows, else queue it.

        A request of a stream that has one waiting or on the wire always queues behind
        it, so an end is never overtaken by an older update.
        """
        key = request.stream_key
        if not self.streams.busy(key) and self.budget.try_spend(
            stream=request.is_update
        ):
            async with self.streams.sending(key):
                try:
                    return await self._send_stream(request)
                except ActivitySmithRateLimitError:
                    pass  # the budget is paused now; the request waits with the others
        self.streams.enqueue(request)
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(
                self._flush_streams(), name="activitysmith stream queue"
            )
        return {
            "success": True,
            "queued": True,
            "operation": "queued",
            "stream_key": key,
            "retry_after": round(self.budget.wait_time(stream=True), 1),
        }

    async def _flush_streams(self) -> None:
        """Send what waits, oldest stream first, each when the budget allows it."""
        while (request := self.streams.next_request()) is not None:
            if not self.budget.try_spend(stream=request.is_update):
                await asyncio.sleep(self.budget.wait_time(stream=request.is_update))
                continue
            self.streams.pop(request)
            async with self.streams.sending(request.stream_key):
                try:
                    result: JsonObject | Exception = await self._send_stream(request)
                except ActivitySmithRateLimitError:
                    self.streams.requeue(request)  # the budget is paused already
                    continue
                except ActivitySmithError as err:
                    result = err
            if self.on_stream_result is not None:
                self.on_stream_result(request, result)

    async def _send_stream(self, request: StreamRequest) -> JsonObject:
        """Send a stream request whose budget is already spent."""
        return await self._request(
            request.method,
            _stream_path(request.stream_key),
            request.body,
            not_found=(
                ActivitySmithNoRecipientsError
                if request.is_update
                else ActivitySmithNotFoundError
            ),
            spent=True,
        )

    async def _request(
        self,
        method: str,
        path: str,
        body: JsonObject | None,
        *,
        not_found: type[ActivitySmithNotFoundError] = ActivitySmithNoRecipientsError,
        retry: bool = True,
        spent: bool = False,
    ) -> JsonObject:
        """Send a request (retrying transient failures if `retry`) and return its JSON.

        `spent` says the budget for the first attempt was already taken.
        """
        delays = RETRY_DELAYS if retry else ()
        try:
            for attempt, delay in enumerate(delays):
                try:
                    return await self._attempt(
                        method, path, body, not_found, spend=attempt > 0 or not spent
                    )
                except ActivitySmithError as err:
                    if not _is_transient(err):
                        raise
                    _LOGGER.debug(
                        "%s failed (%s); retrying in %.1f s",
                        _endpoint(method, path),
                        err,
                        delay,
                    )
                await asyncio.sleep(delay * (1 + random.random() / 2))  # noqa: S311
            return await self._attempt(
                method, path, body, not_found, spend=bool(delays) or not spent
            )
        except ActivitySmithRateLimitError as err:
            self.budget.pause(err.retry_after or WINDOW_SECONDS)
            self._remember_failure(method, path, err)
            raise
        except ActivitySmithError as err:
            self._remember_failure(method, path, err)
            raise

    async def _attempt(
        self,
        method: str,
        path: str,
        body: JsonObject | None,
        not_found: type[ActivitySmithNotFoundError],
        *,
        spend: bool,
    ) -> JsonObject:
        """One try: spend the budget (unless already spent), then send."""
        if spend and not self.budget.try_spend():
            raise ActivitySmithBudgetExhaustedError(self.budget.wait_time())
        return await self._send_once(method, path, body, not_found)

    def _remember_failure(
        self, method: str, path: str, err: ActivitySmithError
    ) -> None:
        """Keep the last failure of each endpoint, for diagnostics."""
        self.last_errors[_endpoint(method, path)] = {
            "at": datetime.now(UTC).isoformat(),
            "error": type(err).__name__,
            "status": getattr(err, "status", None),
            "message": str(err),
        }

    async def _send_once(
        self,
        method: str,
        path: str,
        body: JsonObject | None,
        not_found: type[ActivitySmithNotFoundError],
    ) -> JsonObject:
        """One HTTP exchange, mapped to the answer or the error that names it."""
        _LOGGER.debug("%s %s", method, path)
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                json=body,
                headers=self._headers,
                timeout=self._timeout,
            ) as response:
                text = await response.text()
        except TimeoutError as err:
            raise ActivitySmithTimeoutError(
                f"ActivitySmith did not answer {method} {path} in time"
            ) from err
        except aiohttp.ClientError as err:
            raise ActivitySmithConnectionError(
                f"Could not reach ActivitySmith: {self._redact(str(err))}"
            ) from err
        return read_answer(
            response.status,
            response.headers,
            text,
            not_found=not_found,
            redact=self._redact,
            endpoint=f"{method} {path}",
        )

    def _redact(self, text: str) -> str:
        """Never let the key travel inside a message, even if a server echoes it."""
        return text.replace(self._api_key, "**REDACTED**") if self._api_key else text


def _is_transient(err: ActivitySmithError) -> bool:
    """A failure another try may not meet: no answer, or a gateway's 502/503/504."""
    if isinstance(err, ActivitySmithServerError):
        return err.status in RETRY_STATUSES
    return isinstance(err, ActivitySmithConnectionError)


def _endpoint(method: str, path: str) -> str:
    """Name an endpoint without the keys in its path, e.g. PUT /live-activity/stream/*."""
    return f"{method} {re.sub(r'/(stream|metrics)/[^/]+', r'/\1/*', path)}"


def _stream_path(stream_key: str) -> str:
    return f"/live-activity/stream/{quote(stream_key, safe='')}"
