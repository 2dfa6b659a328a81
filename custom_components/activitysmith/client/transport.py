"""One HTTP exchange with the ActivitySmith API, and how each endpoint is called.

`Transport.send` makes one request whose budget is already spent and reads the answer
as a JSON object or one typed error (`response.py`); a 429 also pauses what it names in
the budget. The `Endpoint` table says, per endpoint, which budget it spends, whether it
may be repeated and what a 404 means. Like the client, it imports nothing from Home
Assistant, and the API key is never part of a message or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import logging
import time
from typing import Any, Final
import unicodedata
from urllib.parse import quote

import aiohttp

from .budget import (
    BADGES,
    LIVE_ACTIVITIES,
    METRICS,
    NOTIFICATIONS,
    WINDOW_SECONDS,
    RequestBudget,
)
from .errors import (
    ActivitySmithConnectionError,
    ActivitySmithError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithServerError,
    ActivitySmithTimeoutError,
    ActivitySmithUnusableKeyError,
)
from .response import JsonObject, read_answer

_LOGGER = logging.getLogger(__name__)

API_BASE_URL: Final = "https://activitysmith.com/api"
DEFAULT_TIMEOUT: Final = 15.0
DEFAULT_USER_AGENT: Final = "activitysmith-python-client"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How one endpoint is called: its allowance, retries and meaning of 404."""

    name: str
    scope: str  # the feature whose allowance it spends, waits on and a 429 pauses
    retry: bool  # safe to repeat after a transient failure
    not_found: type[ActivitySmithNotFoundError] = ActivitySmithNoRecipientsError


START = Endpoint("POST /live-activity/start", LIVE_ACTIVITIES, retry=False)
UPDATE = Endpoint(
    "POST /live-activity/update", LIVE_ACTIVITIES, True, ActivitySmithNotFoundError
)
END = Endpoint(
    "POST /live-activity/end", LIVE_ACTIVITIES, True, ActivitySmithNotFoundError
)
STREAM_PUT = Endpoint("PUT /live-activity/stream/*", LIVE_ACTIVITIES, retry=True)
STREAM_DELETE = Endpoint(
    "DELETE /live-activity/stream/*", LIVE_ACTIVITIES, True, ActivitySmithNotFoundError
)
PUSH = Endpoint("POST /push-notification", NOTIFICATIONS, retry=False)
# Not repeated either; it spends the push notifications' allowance, as a push does.
REPLACE_PUSH = Endpoint(
    "PUT /push-notification/*", NOTIFICATIONS, False, ActivitySmithNotFoundError
)
BADGE = Endpoint("POST /badge", BADGES, retry=True)
METRIC = Endpoint("POST /metrics/*/value", METRICS, True, ActivitySmithNotFoundError)


class Transport:
    """Sends one request at a time over a shared session, with one API key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        user_agent: str,
        base_url: str | None,
        timeout: float,
        budget: RequestBudget,
    ) -> None:
        """Keep what every request needs; nothing is sent yet."""
        self._session = session
        self._api_key = api_key
        self._key_unusable = has_control_character(api_key)
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self.base_url = (base_url or API_BASE_URL).rstrip("/")
        self._timeout = timeout
        self.budget = budget
        self.last_errors: dict[str, dict[str, Any]] = {}

    async def send(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        body: JsonObject | None,
        deadline: float | None,
    ) -> JsonObject:
        """One HTTP exchange (budget already spent), read as an answer or typed error.

        The answer's rate-limit headers tell the budget what is left of the feature;
        a 429 also pauses the feature.
        """
        self.refuse_unusable_key()
        timeout = self._timeout
        sent_at = time.monotonic()
        if deadline is not None:
            timeout = max(0.1, min(timeout, deadline - sent_at))
        _LOGGER.debug("%s %s", method, path)
        try:
            async with self._session.request(
                method,
                self.base_url + path,
                json=body,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                middlewares=(self._count_resends(endpoint),),
            ) as response:
                status, headers = response.status, response.headers
                raw = await response.read()
                self.budget.observe(headers, sent_at, endpoint.scope)
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
            self.budget.pause(wait, endpoint.scope)
            raise

    def refuse_unusable_key(self) -> None:
        """Raise `ActivitySmithUnusableKeyError` if the key holds a control character.

        Called before a request spends the budget: such a key is never sent (aiohttp
        would refuse a line break in a header, and pass a tab or NUL on).
        """
        if self._key_unusable:
            raise ActivitySmithUnusableKeyError

    def _count_resends(self, endpoint: Endpoint) -> aiohttp.ClientMiddlewareType:
        """A middleware that counts aiohttp's silent re-send of a request on the wire."""
        sent = 0

        async def count(
            request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
        ) -> aiohttp.ClientResponse:
            nonlocal sent
            sent += 1
            if sent > 1:
                self.budget.note_sent(scope=endpoint.scope)
            return await handler(request)

        return count

    def remember_failure(self, endpoint: Endpoint, err: ActivitySmithError) -> None:
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


def has_control_character(text: str) -> bool:
    """Whether `text` holds a control character (C0, DEL, C1) or a line separator."""
    return any(unicodedata.category(char) in {"Cc", "Zl", "Zp"} for char in text)


def is_transient(err: ActivitySmithError) -> bool:
    """A failure another try may not meet: no answer, or a server error (5xx)."""
    return isinstance(err, ActivitySmithConnectionError | ActivitySmithServerError)


def worth_another_try(err: ActivitySmithError) -> bool:
    """A stream request that met this is kept for later: refused for now, or no answer."""
    return isinstance(err, ActivitySmithRateLimitError) or is_transient(err)


def stream_path(stream_key: str) -> str:
    """The path of a stream's endpoint, its key quoted."""
    return f"/live-activity/stream/{quote(stream_key, safe='')}"
