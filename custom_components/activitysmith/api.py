"""Async client for the ActivitySmith HTTP API.

One method per endpoint, JSON in and out, and one typed exception per way a request can
fail. It imports nothing from Home Assistant: it takes an `aiohttp.ClientSession` and could
become a library of its own. The API key is never part of a message, a log line or a repr.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import logging
import secrets
import time
from typing import Any, Final
from urllib.parse import quote

import aiohttp

_LOGGER = logging.getLogger(__name__)

API_BASE_URL: Final = "https://activitysmith.com/api"
DEFAULT_TIMEOUT: Final = 15.0
DEFAULT_USER_AGENT: Final = "activitysmith-python-client"

type JsonObject = dict[str, Any]


class ActivitySmithError(Exception):
    """Base of every error this client raises."""


class ActivitySmithConnectionError(ActivitySmithError):
    """The API could not be reached (DNS, refused connection, reset, TLS...)."""


class ActivitySmithTimeoutError(ActivitySmithConnectionError):
    """The API did not answer within the timeout."""


class ActivitySmithResponseError(ActivitySmithError):
    """The API answered success with a body that is not the JSON object it promises."""


class ActivitySmithApiError(ActivitySmithError):
    """The API answered with an error status; `message` is the server's own explanation."""

    def __init__(self, status: int, error: str, message: str) -> None:
        """Keep the status and the server's words for the caller."""
        super().__init__(f"ActivitySmith answered {status}: {message or error}")
        self.status = status
        self.error = error
        self.message = message


class ActivitySmithBadRequestError(ActivitySmithApiError):
    """400: the API rejected the payload."""


class ActivitySmithAuthError(ActivitySmithApiError):
    """401: the API key is missing, revoked or wrong."""


class ActivitySmithForbiddenError(ActivitySmithApiError):
    """403: the key may not do this (channel scope, or an activity of another account)."""


class ActivitySmithNotFoundError(ActivitySmithApiError):
    """404 on a lookup: the stream or metric does not exist."""


class ActivitySmithNoRecipientsError(ActivitySmithNotFoundError):
    """404 on a delivery: no device matched the key scope or channels."""


class ActivitySmithRateLimitError(ActivitySmithApiError):
    """429: too many requests; `retry_after` is in seconds when the API said so."""

    def __init__(
        self, status: int, error: str, message: str, retry_after: float | None
    ) -> None:
        """Remember when the API allows the next request."""
        super().__init__(status, error, message)
        self.retry_after = retry_after


class ActivitySmithLiveActivityLimitError(ActivitySmithApiError):
    """429: the account already shows as many Live Activities as iOS allows."""

    def __init__(
        self, status: int, error: str, message: str, limit: int, active: int
    ) -> None:
        """Remember the limit and how many activities are active."""
        super().__init__(status, error, message)
        self.limit = limit
        self.active = active


class ActivitySmithServerError(ActivitySmithApiError):
    """5xx: the API failed on its side."""


class ActivitySmithClient:
    """Talks to the ActivitySmith API with one API key over a shared session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        base_url: str = API_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create a client; no request is made until a method is called."""
        self._session = session
        self._api_key = api_key
        self._user_agent = user_agent
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)

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
            await self.end_stream(probe_key)
        except ActivitySmithNotFoundError:
            return

    async def start_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/start."""
        return await self._request("POST", "/live-activity/start", body)

    async def update_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/update."""
        return await self._request("POST", "/live-activity/update", body)

    async def end_live_activity(self, body: JsonObject) -> JsonObject:
        """POST /live-activity/end."""
        return await self._request("POST", "/live-activity/end", body)

    async def put_stream(self, stream_key: str, body: JsonObject) -> JsonObject:
        """PUT /live-activity/stream/{stream_key}: start or update a managed stream."""
        return await self._request("PUT", _stream_path(stream_key), body)

    async def end_stream(
        self, stream_key: str, body: JsonObject | None = None
    ) -> JsonObject:
        """DELETE /live-activity/stream/{stream_key}: end a managed stream."""
        return await self._request(
            "DELETE",
            _stream_path(stream_key),
            body,
            not_found=ActivitySmithNotFoundError,
        )

    async def send_push_notification(self, body: JsonObject) -> JsonObject:
        """POST /push-notification."""
        return await self._request("POST", "/push-notification", body)

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

    async def _request(
        self,
        method: str,
        path: str,
        body: JsonObject | None,
        *,
        not_found: type[ActivitySmithNotFoundError] = ActivitySmithNoRecipientsError,
    ) -> JsonObject:
        """Send one request and return the JSON object it answers, or raise."""
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": self._user_agent,
        }
        _LOGGER.debug("%s %s", method, path)
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                json=body,
                headers=headers,
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
