"""Reading an HTTP answer of the ActivitySmith API: the JSON object, or the typed error.

Whatever a server sends (any status from 100 to 999, any headers, any bytes),
`read_answer` returns the JSON object of a 2xx or raises one `ActivitySmithError` whose
message is short and readable: bodies are decoded leniently and the server's words are
cut to `MAX_MESSAGE`. Every text the server sends back, in an error or a success, is
redacted: an answer that echoes the API key never carries it further. Like the client, this module imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import math
import time
from typing import Any, Final

from .errors import (
    ActivitySmithApiError,
    ActivitySmithAuthError,
    ActivitySmithBadRequestError,
    ActivitySmithForbiddenError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithResponseError,
    ActivitySmithServerError,
)

type JsonObject = dict[str, Any]

# The longest server message passed on to the user (a 2 MB error page would not help).
MAX_MESSAGE: Final = 300
# The longest wait a Retry-After may impose; a longer one is read as this.
MAX_RETRY_AFTER: Final = 3600.0

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


def _error_for(
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
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        limit, active = details.get("limit"), details.get("active")
        if type(limit) is int and type(active) is int:  # not bool, which is an int
            return ActivitySmithLiveActivityLimitError(
                status, error, message, limit, active
            )
        return ActivitySmithRateLimitError(
            status, error, message, parse_retry_after(retry_after)
        )
    if 500 <= status < 600:
        return ActivitySmithServerError(status, error, message)
    if status == HTTPStatus.NOT_FOUND:
        return not_found(status, error, message)
    return _ERROR_FOR_STATUS.get(status, ActivitySmithApiError)(status, error, message)


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
