"""Client errors as translated Home Assistant errors, with their side effects.

Client errors are translated here once, where an action or a tracked entity meets
them: `call_api` for a request an action awaits, `translated` for one that went
through the stream publisher (which acts on the failure itself). A rejected key also
starts the reauth flow; the concurrent Live Activity limit and a billing block (402)
each raise a repair issue. The billing issue goes at the next answered request of the
entry (`call_api`, and the publisher's `on_answered`). `message_of` is the sentence a
user reads in a log line or an `error` attribute.
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
from homeassistant.util import dt as dt_util

from .client import (
    WINDOW_SECONDS,
    ActivitySmithApiError,
    ActivitySmithAuthError,
    ActivitySmithBadgeUpdateError,
    ActivitySmithBadRequestError,
    ActivitySmithBillingBlockedError,
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
BILLING_ISSUE_ID = "billing_blocked"
# Where to upgrade when the API's own link is missing or not a plain HTTPS address of
# ActivitySmith (the link of the vendor's own example).
DEFAULT_UPGRADE_URL = "https://activitysmith.com/app/account?billing=upgrade"


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
        answer = await request
    except ActivitySmithError as err:
        act_on_failure(hass, entry, err)
        raise translated(err, not_found, **placeholders) from err
    clear_billing_issue(hass, entry)
    return answer


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
        key, details = _limit_issue(err, entry.title)
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{LIMIT_ISSUE_ID}_{entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders={**details},
        )
    if isinstance(err, ActivitySmithBillingBlockedError):
        upgrade_url = err.upgrade_url or DEFAULT_UPGRADE_URL
        key, details = _billing_issue(err, entry.title, upgrade_url)
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{BILLING_ISSUE_ID}_{entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            learn_more_url=upgrade_url,
            translation_key=key,
            translation_placeholders={**details},
        )


def clear_limit_issue(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """A Live Activity started again: the limit repair issue no longer applies."""
    ir.async_delete_issue(hass, DOMAIN, f"{LIMIT_ISSUE_ID}_{entry.entry_id}")


def clear_billing_issue(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """A request of the entry was answered: billing no longer blocks it."""
    ir.async_delete_issue(hass, DOMAIN, f"{BILLING_ISSUE_ID}_{entry.entry_id}")


def _limit_translation(
    err: ActivitySmithLiveActivityLimitError,
) -> tuple[str, dict[str, str]]:
    """The limit's translation: with the full devices when the devices differ."""
    if err.blocked_devices is not None and err.targeted_devices is not None:
        return "live_activity_limit_devices", {
            "limit": str(err.limit),
            "active": str(err.active),
            "blocked_devices": str(err.blocked_devices),
            "targeted_devices": str(err.targeted_devices),
        }
    return "live_activity_limit", {"limit": str(err.limit), "active": str(err.active)}


def _limit_issue(
    err: ActivitySmithLiveActivityLimitError, title: str
) -> tuple[str, dict[str, str]]:
    """The limit repair's translation: with the full devices when the devices differ."""
    if err.blocked_devices is not None and err.targeted_devices is not None:
        return "live_activity_limit_devices", {
            "title": title,
            "limit": str(err.limit),
            "active": str(err.active),
            "blocked_devices": str(err.blocked_devices),
            "targeted_devices": str(err.targeted_devices),
        }
    return "live_activity_limit", {
        "title": title,
        "limit": str(err.limit),
        "active": str(err.active),
    }


def _billing_issue(
    err: ActivitySmithBillingBlockedError, title: str, upgrade_url: str
) -> tuple[str, dict[str, str]]:
    """The billing repair's translation: one per reason, with the trial's end if given."""
    ends = (
        dt_util.as_local(err.trial.ends_at).strftime("%Y-%m-%d %H:%M")
        if err.trial
        else None
    )
    match err.reason:
        case "trial_expired" if ends:
            return "billing_trial_expired_dated", {
                "title": title,
                "upgrade_url": upgrade_url,
                "trial_ends": ends,
            }
        case "trial_expired":
            return "billing_trial_expired", {"title": title, "upgrade_url": upgrade_url}
        case "trial_exhausted" if ends:
            return "billing_trial_exhausted_dated", {
                "title": title,
                "upgrade_url": upgrade_url,
                "trial_ends": ends,
            }
        case "trial_exhausted":
            return "billing_trial_exhausted", {
                "title": title,
                "upgrade_url": upgrade_url,
            }
        case "billing_overage_cap_reached":
            return "billing_overage_cap_reached", {
                "title": title,
                "upgrade_url": upgrade_url,
            }
    return "billing_blocked", {"title": title, "upgrade_url": upgrade_url}


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
            return _limit_translation(err)
        case ActivitySmithBillingBlockedError():
            return _billing_translation(err)
        case ActivitySmithBadgeUpdateError():
            updated = str(err.devices_updated or 0)
            if err.code == "badge_device_disconnected":
                return "badge_device_disconnected", {"devices_updated": updated}
            return "badge_update_failed", {"devices_updated": updated}
        case ActivitySmithNoRecipientsError() if err.channels:
            return "no_recipients_channels", {
                "status": str(err.status),
                "message": err.message or err.error,
                "channels": ", ".join(err.channels),
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


def _billing_translation(
    err: ActivitySmithBillingBlockedError,
) -> tuple[str, dict[str, str]]:
    """The action error of a billing block: one per reason the API gives."""
    match err.reason:
        case "trial_expired":
            return "billing_trial_expired", {}
        case "trial_exhausted":
            return "billing_trial_exhausted", {}
        case "billing_overage_cap_reached":
            return "billing_overage_cap_reached", {}
    return "billing_blocked", {"message": err.message or err.error}
