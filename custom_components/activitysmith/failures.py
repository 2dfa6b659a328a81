"""Client errors as translated Home Assistant errors, with their side effects.

Client errors are translated here once, where an action or a tracked entity meets
them: `call_api` for a request an action awaits, `translated` for one that went
through the stream publisher (which acts on the failure itself). A rejected key also
starts the reauth flow, and the concurrent Live Activity limit raises a repair issue.
`message_of` is the sentence a user reads in a log line or an `error` attribute.
"""

from __future__ import annotations

from collections.abc import Awaitable
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_cached_translations

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

LIMIT_ISSUE_ID = "live_activity_limit"


async def call_api(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
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
        raise translated(err, not_found, **placeholders) from err


def translated(
    err: ActivitySmithError, not_found: str = "not_found", **placeholders: str
) -> HomeAssistantError:
    """The translated `HomeAssistantError` that explains `err` (raise it `from err`)."""
    key, details = _translation_for(err, not_found)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={**placeholders, **details},
    )


def message_of(hass: HomeAssistant, err: Exception) -> str:
    """The sentence a user reads for `err`, in Home Assistant's language if cached.

    Translated errors are rendered from the integration's own strings (loaded when
    the entry set up); anything else is its own message.
    """
    if isinstance(err, HomeAssistantError) and err.translation_key:
        domain = err.translation_domain or DOMAIN
        for language in dict.fromkeys((hass.config.language, "en")):
            messages = async_get_cached_translations(
                hass, language, "exceptions", domain
            )
            key = f"component.{domain}.exceptions.{err.translation_key}.message"
            if template := messages.get(key):
                try:
                    return template.format(**(err.translation_placeholders or {}))
                except KeyError, IndexError, ValueError:
                    break
    return str(err) or type(err).__name__


def act_on_failure(
    hass: HomeAssistant, entry: ConfigEntry[Any], err: Exception
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


def clear_limit_issue(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
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
