"""Async client for the ActivitySmith HTTP API.

One method per endpoint, JSON in and out; a failure raises one of the typed exceptions of
`exceptions.py`. It imports nothing from Home Assistant: it takes an
`aiohttp.ClientSession` and could become a library of its own. The API key is never part
of a message, a log line or a repr.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import logging
import random
import re
import secrets
import time
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from .budget import (
    RequestBudget,
    RetryLater,
    StreamQueue,
    StreamRequest,
)
from .exceptions import (
    ActivitySmithApiError,
    ActivitySmithAuthError,
    ActivitySmithBadRequestError,
    ActivitySmithBudgetExhaustedError,
    ActivitySmithConnectionError,
    ActivitySmithError,
    ActivitySmithForbiddenError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithResponseError,
    ActivitySmithServerError,
    ActivitySmithTimeoutError,
)

_LOGGER = logging.getLogger(__name__)

API_BASE_URL: Final = "https://activitysmith.com/api"
DEFAULT_TIMEOUT: Final = 15.0
DEFAULT_USER_AGENT: Final = "activitysmith-python-client"

type JsonObject = dict[str, Any]


# Transient failures worth another try, for requests that are safe to repeat.
RETRY_DELAYS: tuple[float, ...] = (0.5, 2.0)
RETRY_STATUSES: Final = frozenset({502, 503, 504})


class ActivitySmithClient:
    """Talks to the ActivitySmith API with one API key over a shared session.

    Every request spends the key's `RequestBudget`. Requests that are safe to repeat
    are retried after a transient failure; start and push are not, so a phone never
    shows one twice. Stream requests that find the budget spent wait in a
    `StreamQueue` (newest state wins) and the call answers that it was queued.
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
        self.streams = StreamQueue(self.budget, self._send_stream)
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
        if wait := self.budget.try_spend():
            raise ActivitySmithBudgetExhaustedError(wait)
        try:
            await self._send_once(
                "DELETE", _stream_path(probe_key), None, ActivitySmithNotFoundError
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

    async def async_close(self) -> None:
        """Stop the stream queue (on unload)."""
        await self.streams.async_close()

    async def _stream_request(self, request: StreamRequest) -> JsonObject:
        """Send a stream request now if the budget allows, else queue it.

        A request of a stream that has one waiting or on the wire always queues behind
        it, so an end is never overtaken by an older update.
        """
        key = request.stream_key
        if not self.streams.busy(key) and not self.budget.try_spend(
            stream=request.method == "PUT"
        ):
            async with self.streams.sending(key):
                try:
                    return await self._send_stream(request)
                except RetryLater:
                    pass  # the budget is paused now; the request waits with the others
        wait = self.streams.enqueue(request)
        return {
            "success": True,
            "queued": True,
            "operation": "queued",
            "stream_key": request.stream_key,
            "retry_after": round(wait, 1),
        }

    async def _send_stream(self, request: StreamRequest) -> JsonObject:
        """Send a stream request whose budget is already spent."""
        try:
            return await self._request(
                request.method,
                _stream_path(request.stream_key),
                request.body,
                not_found=(
                    ActivitySmithNotFoundError
                    if request.method == "DELETE"
                    else ActivitySmithNoRecipientsError
                ),
                spent=True,
            )
        except ActivitySmithRateLimitError as err:
            raise RetryLater(err.retry_after) from err

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
        delays = iter(RETRY_DELAYS if retry else ())
        try:
            while True:
                if not spent and (wait := self.budget.try_spend()):
                    raise ActivitySmithBudgetExhaustedError(wait)
                spent = False
                try:
                    return await self._send_once(method, path, body, not_found)
                except (ActivitySmithConnectionError, ActivitySmithServerError) as err:
                    transient = not isinstance(err, ActivitySmithServerError) or (
                        err.status in RETRY_STATUSES
                    )
                    if not transient or (delay := next(delays, None)) is None:
                        raise
                    _LOGGER.debug(
                        "%s failed (%s); retrying in %.1f s",
                        _endpoint(method, path),
                        err,
                        delay,
                    )
                    await asyncio.sleep(delay * (1 + random.random() / 2))  # noqa: S311
        except ActivitySmithError as err:
            if isinstance(err, ActivitySmithRateLimitError) and not isinstance(
                err, ActivitySmithBudgetExhaustedError
            ):
                self.budget.pause(err.retry_after or self.budget.window)
            self.last_errors[_endpoint(method, path)] = {
                "at": datetime.now(UTC).isoformat(),
                "error": type(err).__name__,
                "status": getattr(err, "status", None),
                "message": str(err),
            }
            raise

    async def _send_once(
        self,
        method: str,
        path: str,
        body: JsonObject | None,
        not_found: type[ActivitySmithNotFoundError],
    ) -> JsonObject:
        """One HTTP exchange, mapped to the answer or the exception that names it."""
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
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError as err:
            raise ActivitySmithTimeoutError(
                f"ActivitySmith did not answer {method} {path} in time"
            ) from err
        except aiohttp.ClientError as err:
            raise ActivitySmithConnectionError(
                f"Could not reach ActivitySmith: {self._redact(str(err))}"
            ) from err

        payload = _parse_json(text)
        if status < 400:
            if not isinstance(payload, dict):
                raise ActivitySmithResponseError(
                    f"ActivitySmith answered {method} {path} with a body that is not "
                    "a JSON object"
                )
            return payload
        raise self._error_for(status, payload, retry_after, not_found)

    def _error_for(
        self,
        status: int,
        payload: object,
        retry_after: str | None,
        not_found: type[ActivitySmithNotFoundError],
    ) -> ActivitySmithApiError:
        """Map an error status and its body to the exception that names it."""
        details = payload if isinstance(payload, dict) else {}
        error = self._redact(str(details.get("error") or HTTPStatus(status).phrase))
        message = self._redact(str(details.get("message") or ""))
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            limit, active = details.get("limit"), details.get("active")
            if isinstance(limit, int) and isinstance(active, int):
                return ActivitySmithLiveActivityLimitError(
                    status, error, message, limit, active
                )
            return ActivitySmithRateLimitError(
                status, error, message, _parse_retry_after(retry_after)
            )
        exception_for_status: dict[int, type[ActivitySmithApiError]] = {
            HTTPStatus.BAD_REQUEST: ActivitySmithBadRequestError,
            HTTPStatus.UNAUTHORIZED: ActivitySmithAuthError,
            HTTPStatus.FORBIDDEN: ActivitySmithForbiddenError,
            HTTPStatus.NOT_FOUND: not_found,
        }
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            return ActivitySmithServerError(status, error, message)
        return exception_for_status.get(status, ActivitySmithApiError)(
            status, error, message
        )

    def _redact(self, text: str) -> str:
        """Never let the key travel inside a message, even if a server echoes it."""
        return text.replace(self._api_key, "**REDACTED**") if self._api_key else text


def _endpoint(method: str, path: str) -> str:
    """Name an endpoint without the keys in its path, e.g. PUT /live-activity/stream/*."""
    return f"{method} {re.sub(r'/(stream|metrics)/[^/]+', r'/\1/*', path)}"


def _stream_path(stream_key: str) -> str:
    return f"/live-activity/stream/{quote(stream_key, safe='')}"


def _parse_json(text: str) -> object:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _parse_retry_after(value: str | None) -> float | None:
    """Read Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except TypeError, ValueError:
        return None
    return max(0.0, when.timestamp() - time.time())
