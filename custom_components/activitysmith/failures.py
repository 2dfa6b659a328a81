"""Client errors as translated Home Assistant errors, with their side effects.

Every action and entity that calls the API goes through `call_api`, so a failure always
reaches the user as one clear, translated message: a rejected key also starts the reauth
flow, and the concurrent Live Activity limit also raises a repair issue.
"""

from __future__ import annotations

from collections.abc import Awaitable
import math

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


async def call_api(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    request: Awaitable[JsonObject],
    *,
    not_found: str = "not_found",
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


def _translation_for(  # noqa: PLR0911 (one return per kind of failure)
    err: ActivitySmithError, not_found: str
) -> tuple[str, dict[str, str]]:
    """The exception translation key and placeholders that explain `err`."""
    match err:
        case ActivitySmithBudgetExhaustedError() | ActivitySmithRateLimitError():
            # The client pauses a whole window when the server did not say how long.
            wait = WINDOW_SECONDS if err.retry_after is None else err.retry_after
            return "rate_limited", {"retry_after": str(max(1, math.ceil(wait)))}
        case ActivitySmithLiveActivityLimitError():
            return "live_activity_limit", {
                "limit": str(err.limit),
                "active": str(err.active),
            }
        case ActivitySmithApiError():
            by_type: tuple[tuple[type[ActivitySmithApiError], str], ...] = (
                (ActivitySmithAuthError, "api_invalid_auth"),
                (ActivitySmithForbiddenError, "forbidden"),
                (ActivitySmithNoRecipientsError, "no_recipients"),
                (ActivitySmithNotFoundError, not_found),
                (ActivitySmithBadRequestError, "bad_request"),
                (ActivitySmithServerError, "server_error"),
            )
            key = next((k for kind, k in by_type if isinstance(err, kind)), "api_error")
            return key, {"status": str(err.status), "message": err.message or err.error}
        case ActivitySmithResponseError():
            return "unreadable_answer", {"error": str(err)}
        case ActivitySmithClosedError():
            return "entry_unloaded", {}
        case ActivitySmithTimeoutError():
            return "timeout", {}
    return "communication_error", {"error": str(err)}
