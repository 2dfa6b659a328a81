"""Client errors as translated Home Assistant errors, with their side effects.

Every action and entity that calls the API goes through `call_api`, so a failure always
reaches the user as one clear, translated message: a rejected key also starts the reauth
flow, and the concurrent Live Activity limit also raises a repair issue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import math
from typing import cast

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from .client import (
    WINDOW_SECONDS,
    ActivitySmithApiError,
    ActivitySmithAuthError,
    ActivitySmithBadRequestError,
    ActivitySmithBudgetExhaustedError,
    ActivitySmithClosedError,
    ActivitySmithError,
    ActivitySmithForbiddenError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithResponseError,
    ActivitySmithServerError,
    ActivitySmithTimeoutError,
    JsonObject,
)
from .const import DOMAIN
from .models import ActivitySmithConfigEntry

LIMIT_ISSUE_ID = "live_activity_limit"
NOT_FOUND = "not_found"


async def call_api(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    request: Awaitable[JsonObject],
    *,
    not_found: str = NOT_FOUND,
    **placeholders: str,
) -> JsonObject:
    """Await one request; a failure becomes a translated `HomeAssistantError`.

    `not_found` names the translation for a 404 on a lookup (an unknown stream or
    metric); `placeholders` add what that translation needs to name it.
    """
    try:
        return await request
    except ActivitySmithError as err:
        act_on_failure(hass, entry, err)
        key, details = _translation_for(err, not_found)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={**placeholders, **details},
        ) from err


def act_on_failure(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry, err: Exception
) -> None:
    """Act on what a failure means beyond its message.

    A rejected key asks for a new one; the Live Activity limit raises a repair issue.
    Used for queued stream requests too, whose failure reaches no action.
    """
    if isinstance(err, ActivitySmithAuthError):
        entry.async_start_reauth(hass)
    if isinstance(err, ActivitySmithLiveActivityLimitError):
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{LIMIT_ISSUE_ID}_{entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=LIMIT_ISSUE_ID,
            translation_placeholders={
                "limit": str(err.limit),
                "active": str(err.active),
                "title": entry.title,
            },
        )


def clear_limit_issue(hass: HomeAssistant, entry: ActivitySmithConfigEntry) -> None:
    """A Live Activity started again: the limit repair issue no longer applies."""
    ir.async_delete_issue(hass, DOMAIN, f"{LIMIT_ISSUE_ID}_{entry.entry_id}")


def _retry_after(err: ActivitySmithError) -> dict[str, str]:
    # The client pauses a whole window when the server did not say how long.
    wait = getattr(err, "retry_after", None)
    return {
        "retry_after": str(max(1, math.ceil(WINDOW_SECONDS if wait is None else wait)))
    }


def _limit(err: ActivitySmithError) -> dict[str, str]:
    err = cast(ActivitySmithLiveActivityLimitError, err)
    return {"limit": str(err.limit), "active": str(err.active)}


def _api_details(err: ActivitySmithError) -> dict[str, str]:
    err = cast(ActivitySmithApiError, err)
    return {"status": str(err.status), "message": err.message or err.error}


def _no_details(err: ActivitySmithError) -> dict[str, str]:
    return {}


def _error_text(err: ActivitySmithError) -> dict[str, str]:
    return {"error": str(err)}


# The first row whose type matches names the translation; NOT_FOUND stands for the
# caller's own key (an unknown stream, metric or activity).
_TRANSLATIONS: tuple[
    tuple[
        type[ActivitySmithError], str, Callable[[ActivitySmithError], dict[str, str]]
    ],
    ...,
] = (
    (ActivitySmithBudgetExhaustedError, "rate_limited", _retry_after),
    (ActivitySmithRateLimitError, "rate_limited", _retry_after),
    (ActivitySmithLiveActivityLimitError, "live_activity_limit", _limit),
    (ActivitySmithAuthError, "api_invalid_auth", _api_details),
    (ActivitySmithForbiddenError, "forbidden", _api_details),
    (ActivitySmithNoRecipientsError, "no_recipients", _api_details),
    (ActivitySmithNotFoundError, NOT_FOUND, _api_details),
    (ActivitySmithBadRequestError, "bad_request", _api_details),
    (ActivitySmithServerError, "server_error", _api_details),
    (ActivitySmithApiError, "api_error", _api_details),
    (ActivitySmithResponseError, "unreadable_answer", _error_text),
    (ActivitySmithClosedError, "entry_unloaded", _no_details),
    (ActivitySmithTimeoutError, "timeout", _no_details),
    (ActivitySmithError, "communication_error", _error_text),
)


def _translation_for(
    err: ActivitySmithError, not_found: str
) -> tuple[str, dict[str, str]]:
    """The exception translation key and placeholders that explain `err`."""
    key, details = next(
        (key, details) for kind, key, details in _TRANSLATIONS if isinstance(err, kind)
    )
    return (not_found if key == NOT_FOUND else key), details(err)
