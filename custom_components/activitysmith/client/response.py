"""Reading an HTTP answer of the ActivitySmith API: the JSON object, or the typed error.

Whatever a server sends (any status, any headers, any bytes), `read_answer` returns the
JSON object of a success or raises one `ActivitySmithError` with a short, readable
message. Like the client, this module imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import time
from typing import Any

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

_ERROR_FOR_STATUS: dict[int, type[ActivitySmithApiError]] = {
    HTTPStatus.BAD_REQUEST: ActivitySmithBadRequestError,
    HTTPStatus.UNAUTHORIZED: ActivitySmithAuthError,
    HTTPStatus.FORBIDDEN: ActivitySmithForbiddenError,
}


def read_answer(
    status: int,
    headers: Mapping[str, str],
    text: str,
    *,
    not_found: type[ActivitySmithNotFoundError],
    redact: Callable[[str], str],
    endpoint: str,
) -> JsonObject:
    """The JSON object of a success, or raise the error the answer stands for.

    `not_found` is the error a 404 means for this endpoint; `redact` scrubs the API key
    from anything the server echoes; `endpoint` names the request in messages.
    """
    payload = _parse_json(text)
    if status < 400:
        if not isinstance(payload, dict):
            raise ActivitySmithResponseError(
                f"ActivitySmith answered {endpoint} with a body that is not a JSON "
                "object"
            )
        return payload
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
    error = redact(str(details.get("error") or HTTPStatus(status).phrase))
    message = redact(str(details.get("message") or ""))
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        limit, active = details.get("limit"), details.get("active")
        if isinstance(limit, int) and isinstance(active, int):
            return ActivitySmithLiveActivityLimitError(
                status, error, message, limit, active
            )
        return ActivitySmithRateLimitError(
            status, error, message, parse_retry_after(retry_after)
        )
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ActivitySmithServerError(status, error, message)
    if status == HTTPStatus.NOT_FOUND:
        return not_found(status, error, message)
    return _ERROR_FOR_STATUS.get(status, ActivitySmithApiError)(status, error, message)


def _parse_json(text: str) -> object:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def parse_retry_after(value: str | None) -> float | None:
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
