"""Async client for the ActivitySmith HTTP API.

One method per endpoint, JSON in and out; a failure raises one of the typed errors of
`errors.py`. Requests in the account's shared limit spend the key's `RequestBudget`;
stream requests go through a `StreamSender`, which queues what finds the budget spent
and drains it in order. No call blocks its caller longer than `ACTION_DEADLINE`,
retries included. It imports nothing from Home Assistant: it takes an
`aiohttp.ClientSession` and could become a library of its own. The API key is never
part of a message, a log line or a repr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from .budget import RequestBudget
from .errors import (
    ActivitySmithBudgetExhaustedError,
    ActivitySmithError,
    ActivitySmithNotFoundError,
    ActivitySmithResponseError,
)
from .response import JsonObject
from .stream_queue import StreamQueue, StreamRequest
from .stream_sender import StreamResultListener, StreamSender
from .transport import (
    BADGE,
    DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT,
    END,
    METRIC,
    PUSH,
    REPLACE_PUSH,
    START,
    STREAM_DELETE,
    UPDATE,
    Endpoint,
    Transport,
    is_transient,
    stream_path,
)

_LOGGER = logging.getLogger(__name__)

# The longest a call may block its caller, retries included.
ACTION_DEADLINE: Final = 20.0
# Transient failures of requests that are safe to repeat get another try after these.
RETRY_DELAYS: tuple[float, ...] = (0.5, 2.0)
# How long closing may take to send the ends that still wait.
CLOSE_TIMEOUT: Final = 10.0


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
        self._transport = Transport(
            session,
            api_key,
            user_agent=user_agent,
            base_url=base_url,
            timeout=timeout,
            budget=budget or RequestBudget(),
        )
        self._streams = StreamSender(self._transport, ACTION_DEADLINE)

    def __repr__(self) -> str:
        """Show where the client talks to, never the key."""
        return f"ActivitySmithClient(base_url={self._transport.base_url!r})"

    @property
    def budget(self) -> RequestBudget:
        """The request budget this client spends (shared by the clients of its key)."""
        return self._transport.budget

    @property
    def streams(self) -> StreamQueue:
        """The stream requests waiting for the budget."""
        return self._streams.queue

    @property
    def on_stream_result(self) -> StreamResultListener | None:
        """Hears how each queued stream request ended."""
        return self._streams.on_result

    @on_stream_result.setter
    def on_stream_result(self, listener: StreamResultListener | None) -> None:
        self._streams.on_result = listener

    @property
    def last_errors(self) -> dict[str, dict[str, Any]]:
        """The last failure of each endpoint, for diagnostics."""
        return self._transport.last_errors

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
                STREAM_DELETE, "DELETE", stream_path(probe_key), None, deadline
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

    async def put_stream(
        self,
        stream_key: str,
        body: JsonObject,
        *,
        context: Any = None,
        min_interval: float | None = None,
        starts: bool = False,
    ) -> JsonObject:
        """PUT /live-activity/stream/{stream_key}: start or update a managed stream.

        `context` comes back with the request to `on_stream_result` if it is queued;
        `min_interval` is the least time between two updates of this stream (None: the
        default of one second); `starts` says the phone does not show it yet (a queued
        start goes before other streams' updates, like an end).
        """
        return await self._streams.send(
            StreamRequest(stream_key, "PUT", body, context, min_interval, starts)
        )

    async def end_stream(
        self, stream_key: str, body: JsonObject | None = None, *, context: Any = None
    ) -> JsonObject:
        """DELETE /live-activity/stream/{stream_key}: end a managed stream."""
        return await self._streams.send(
            StreamRequest(stream_key, "DELETE", body, context)
        )

    async def send_push_notification(self, body: JsonObject) -> JsonObject:
        """POST /push-notification (not repeated: the phone would buzz twice)."""
        return await self._request(PUSH, "POST", "/push-notification", body)

    async def replace_push_notification(
        self, notification_id: str, body: JsonObject
    ) -> JsonObject:
        """PUT /push-notification/{notification_id}: replace a sent push in place.

        Not repeated, like a push: a replacement is delivered again.
        """
        path = f"/push-notification/{quote(notification_id, safe='')}"
        return await self._request(REPLACE_PUSH, "PUT", path, body)

    async def set_badge(self, body: JsonObject) -> JsonObject:
        """POST /badge: the number on the ActivitySmith app icon."""
        return await self._request(BADGE, "POST", "/badge", body)

    async def update_metric_value(self, key: str, body: JsonObject) -> JsonObject:
        """POST /metrics/{key}/value: the latest value shown by a widget."""
        path = f"/metrics/{quote(key, safe='')}/value"
        return await self._request(METRIC, "POST", path, body)

    async def async_wait_for_streams(self) -> None:
        """Wait until every queued stream request was sent, or failed."""
        await self._streams.wait_until_sent()

    async def async_close(self, within: float = CLOSE_TIMEOUT) -> None:
        """Send nothing new; let a send on the wire finish; send the ends that wait.

        Within `within` seconds: ends still waiting are sent as soon as the budget allows;
        what cannot go in time is dropped with a warning naming its stream key, and
        reported to `on_stream_result` as `ActivitySmithDroppedError`.
        """
        await self._streams.close(within)

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
                    if not is_transient(err) or time.monotonic() + pause >= deadline:
                        raise
                    _LOGGER.debug("%s failed (%s); retrying", endpoint.name, err)
                await asyncio.sleep(pause)
            return await self._attempt(endpoint, method, path, body, deadline)
        except ActivitySmithError as err:
            self._transport.remember_failure(endpoint, err)
            raise

    async def _attempt(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        body: JsonObject | None,
        deadline: float,
    ) -> JsonObject:
        """One try: wait for nothing, spend the feature's allowance, send."""
        self._transport.refuse_unusable_key()
        if (wait := self.budget.wait_time(scope=endpoint.scope)) > 0:
            raise ActivitySmithBudgetExhaustedError(wait)
        self.budget.note_sent(scope=endpoint.scope)
        return await self._transport.send(endpoint, method, path, body, deadline)


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
