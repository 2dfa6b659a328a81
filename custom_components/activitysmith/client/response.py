"""Reading an HTTP answer of the ActivitySmith API: the JSON object, or the typed error.

Whatever a server sends (any status from 100 to 999, any headers, any bytes),
`read_answer` returns the JSON object of a 2xx or raises one `ActivitySmithError` whose
message is short and readable: bodies are decoded leniently and the server's words are
cut to `MAX_MESSAGE`. Every text the server sends back, in an error or a success, is
redacted: an answer that echoes the API key never carries it further. Like the client, this module imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import math
import time
from typing import Any, Final
from urllib.parse import urlsplit

from .errors import (
    ActivitySmithApiError,
    ActivitySmithAuthError,
    ActivitySmithBadgeUpdateError,
    ActivitySmithBadRequestError,
    ActivitySmithBillingBlockedError,
    ActivitySmithForbiddenError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithResponseError,
    ActivitySmithServerError,
    TrialPeriod,
)

type JsonObject = dict[str, Any]

# The longest server message passed on to the user (a 2 MB error page would not help).
MAX_MESSAGE: Final = 300
# The longest wait a Retry-After may impose; a longer one is read as this.
MAX_RETRY_AFTER: Final = 3600.0
# The codes of a badge answer that could not set the count on every device.
BADGE_ERROR_CODES: Final = frozenset(
    {"badge_device_disconnected", "badge_update_failed"}
)
# At most this many channel names are passed on (a long list would not help either).
MAX_CHANNELS: Final = 10
# The longest upgrade link passed on, and the hosts it may point to.
MAX_URL: Final = 2048
UPGRADE_HOST: Final = "activitysmith.com"

_ERROR_FOR_STATUS: Final[dict[int, type[ActivitySmithApiError]]] = {
    HTTPStatus.BAD_REQUEST: ActivitySmithBadRequestError,
    HTTPStatus.UNAUTHORIZED: ActivitySmithAuthError,
    HTTPStatus.FORBIDDEN: ActivitySmithForbiddenError,
}


def read_answer(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    not_found: type[ActivitySmithNotFoundError],
    redact: Callable[[str], str],
    endpoint: str,
) -> JsonObject:
    """The JSON object of a success, or raise the error the answer stands for.

    `not_found` is the error a 404 means for this endpoint; `redact` scrubs the API key
    from anything the server echoes; `endpoint` names the request in messages.
    """
    payload = _parse_json(body)
    if 200 <= status < 300:
        if not isinstance(payload, dict):
            raise ActivitySmithResponseError(
                f"ActivitySmith answered {endpoint} with a body that is not a JSON "
                "object"
            )
        return _redact_all(payload, redact)
    if status < 400:
        raise ActivitySmithResponseError(
            f"ActivitySmith answered {endpoint} with an unexpected status {status}"
        )
    raise _error_for(status, payload, headers.get("Retry-After"), not_found, redact)


def _error_for(  # noqa: PLR0911 (one return per kind of failure)
    status: int,
    payload: object,
    retry_after: str | None,
    not_found: type[ActivitySmithNotFoundError],
    redact: Callable[[str], str],
) -> ActivitySmithApiError:
    """Map an error status and its body to the exception that names it."""
    details = payload if isinstance(payload, dict) else {}
    error = _readable(redact, details.get("error")) or _phrase(status)
    message = _readable(redact, details.get("message"))
    code = details.get("code")
    if status == HTTPStatus.PAYMENT_REQUIRED:
        return ActivitySmithBillingBlockedError(
            status,
            error,
            message,
            upgrade_url=_upgrade_url(details.get("upgrade_url"), redact),
            trial=_trial_period(details.get("trial_period")),
        )
    if status in (HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.BAD_GATEWAY) and (
        isinstance(code, str) and code in BADGE_ERROR_CODES
    ):
        return ActivitySmithBadgeUpdateError(
            status,
            error,
            message,
            code=code,
            devices_updated=_count(details.get("devices_updated")),
            devices_targeted=_count(details.get("devices_targeted")),
        )
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        limit, active = _count(details.get("limit")), _count(details.get("active"))
        if limit is not None and active is not None:
            blocked = _count(details.get("blocked_devices"))
            targeted = _count(details.get("targeted_devices"))
            both = blocked is not None and targeted is not None
            return ActivitySmithLiveActivityLimitError(
                status,
                error,
                message,
                limit,
                active,
                blocked_devices=blocked if both else None,
                targeted_devices=targeted if both else None,
            )
        return ActivitySmithRateLimitError(
            status, error, message, parse_retry_after(retry_after)
        )
    if 500 <= status < 600:
        return ActivitySmithServerError(status, error, message)
    delivery = issubclass(not_found, ActivitySmithNoRecipientsError)
    if status == HTTPStatus.NOT_FOUND or (
        # No recipients is a 422 since October (a 404 before), on deliveries only.
        status == HTTPStatus.UNPROCESSABLE_ENTITY and delivery
    ):
        if delivery:
            channels = _channels(details.get("effective_channel_slugs"), redact)
            return ActivitySmithNoRecipientsError(
                status, error, message, channels=channels
            )
        return not_found(status, error, message)
    return _ERROR_FOR_STATUS.get(status, ActivitySmithApiError)(status, error, message)


def _count(value: object) -> int | None:
    """A count the server gave: an int >= 0 (not a bool, which is an int), else None."""
    return value if type(value) is int and value >= 0 else None


def _channels(value: object, redact: Callable[[str], str]) -> tuple[str, ...]:
    """The channel names an answer lists, readable, at most MAX_CHANNELS of them."""
    if not isinstance(value, list):
        return ()
    names = (_readable(redact, name) for name in value if isinstance(name, str))
    return tuple(name for name in names if name)[:MAX_CHANNELS]


def _upgrade_url(value: object, redact: Callable[[str], str]) -> str | None:
    """The upgrade link, if it is a plain HTTPS address of ActivitySmith; else None.

    Shown to the user as a link, so nothing else passes: no other scheme or host, no
    credentials, no spaces, quotes or angle brackets (no markup), nothing the redaction
    had to change, nothing longer than MAX_URL.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    if redact(value) != value or any(
        char.isspace() or not char.isprintable() or char in "<>\"'`\\{}|^"
        for char in value
    ):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        credentials = parts.username is not None or parts.password is not None
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return None
    if (
        parts.scheme != "https"
        or credentials
        or not (host == UPGRADE_HOST or host.endswith(f".{UPGRADE_HOST}"))
    ):
        return None
    return value


def _trial_period(value: object) -> TrialPeriod | None:
    """The trial period of a billing answer, when its end is a readable time."""
    if not isinstance(value, dict):
        return None
    ends_at = _timestamp(value.get("ends_at"))
    if ends_at is None:
        return None
    return TrialPeriod(started_at=_timestamp(value.get("started_at")), ends_at=ends_at)


def _timestamp(value: object) -> datetime | None:
    """An ISO 8601 time with a time zone, or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _readable(redact: Callable[[str], str], value: object) -> str:
    """A server-given text as a short line: redacted, one line, at most MAX_MESSAGE."""
    if value is None or value == "":
        return ""
    text = " ".join(redact(str(value)).split())
    return text if len(text) <= MAX_MESSAGE else f"{text[: MAX_MESSAGE - 1]}…"


def _redact_all(payload: JsonObject, redact: Callable[[str], str]) -> JsonObject:
    """A copy of `payload` whose every string (names included) is redacted.

    Walked with a stack of its own, not by recursion: a JSON nested as deep as the
    parser allows must not exhaust Python's stack here.
    """
    root: JsonObject = {}
    pending: list[tuple[dict[str, Any] | list[Any], dict[str, Any] | list[Any]]] = [
        (payload, root)
    ]
    while pending:
        source, target = pending.pop()
        if isinstance(source, dict) and isinstance(target, dict):
            for name, value in source.items():
                target[redact(name)] = _redacted_copy(value, redact, pending)
        elif isinstance(source, list) and isinstance(target, list):
            target.extend(_redacted_copy(value, redact, pending) for value in source)
    return root


def _redacted_copy(
    value: object,
    redact: Callable[[str], str],
    pending: list[tuple[dict[str, Any] | list[Any], dict[str, Any] | list[Any]]],
) -> object:
    """A redacted string, the value itself, or an empty container filled later."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict | list):
        copy: dict[str, Any] | list[Any] = {} if isinstance(value, dict) else []
        pending.append((value, copy))
        return copy
    return value


def _phrase(status: int) -> str:
    """The reason phrase of a status, also for those Python does not know (520...)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _parse_json(body: bytes) -> object:
    """The JSON in `body`, or None when it holds none (empty, not JSON, not UTF-8)."""
    try:
        return json.loads(body) if body else None
    # UnicodeDecodeError and JSONDecodeError are ValueErrors; nesting deeper than the
    # parser's stack raises RecursionError.
    except ValueError, RecursionError:
        return None


def parse_retry_after(value: str | None) -> float | None:
    """Read Retry-After as seconds to wait, or None when it says nothing usable.

    It is either a finite number of seconds >= 0 or an HTTP date (one in the past
    means now); the wait is capped at MAX_RETRY_AFTER. Anything else (negative,
    `inf`, `nan`, text) counts as missing.
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except TypeError, ValueError, OverflowError:
            return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)
