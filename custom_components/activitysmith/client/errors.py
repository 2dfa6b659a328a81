"""The typed errors of the ActivitySmith client, one per way a request can fail.

Like the client, this module imports nothing from Home Assistant. No message ever holds
the API key: the client redacts the server's words before they get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


class ActivitySmithUnusableKeyError(ActivitySmithAuthError):
    """The API key holds a control character (a line break, tab, NUL...): never sent.

    No HTTP header may carry such a key, and no server would accept it: it is refused
    as a rejected key is, before any request.
    """

    def __init__(self) -> None:
        """Say what is wrong with the key, never the key itself."""
        message = "The API key holds a control character; nothing was sent"
        super().__init__(401, "Unauthorized", message)
        self.args = (message,)


class ActivitySmithForbiddenError(ActivitySmithApiError):
    """403: the key may not do this (channel scope, or an activity of another account)."""


class ActivitySmithNotFoundError(ActivitySmithApiError):
    """404 on a lookup: the stream or metric does not exist."""


class ActivitySmithNoRecipientsError(ActivitySmithNotFoundError):
    """No device matched the key scope or channels: 422 since October, 404 before.

    `channels` are the `effective_channel_slugs` the API says it targeted, when given.
    """

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        channels: tuple[str, ...] = (),
    ) -> None:
        """Keep the channels the API matched no device in."""
        super().__init__(status, error, message)
        self.channels = channels


@dataclass(frozen=True, slots=True)
class TrialPeriod:
    """The free trial a billing answer names (its start only when readable)."""

    started_at: datetime | None
    ends_at: datetime


class ActivitySmithBillingBlockedError(ActivitySmithApiError):
    """402: the account may not send now (trial over or spent, paid usage cap reached).

    `reason` is the API's `error` (`trial_expired`, `trial_exhausted`,
    `billing_overage_cap_reached`, or whatever else a later API says). `upgrade_url` is
    the link the API gave, kept only when it is an HTTPS address of ActivitySmith (else
    None); `trial` is the trial period when given. Never retried: only the account's
    owner can lift it.
    """

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        upgrade_url: str | None = None,
        trial: TrialPeriod | None = None,
    ) -> None:
        """Keep the reason, the upgrade link and the trial period."""
        super().__init__(status, error, message)
        self.reason = error
        self.upgrade_url = upgrade_url
        self.trial = trial


class ActivitySmithBadgeUpdateError(ActivitySmithApiError):
    """422 or 502 from POST /badge: the badge count could not be set on every device.

    `code` is `badge_device_disconnected` (a device must reconnect to ActivitySmith) or
    `badge_update_failed`. A 502 of this shape is the API's considered answer about the
    devices, not a gateway failure: it is not retried (a 502 without a badge `code`
    stays an `ActivitySmithServerError`, which is).
    """

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        code: str,
        devices_updated: int | None = None,
        devices_targeted: int | None = None,
    ) -> None:
        """Keep the code and how many devices were updated of those targeted."""
        super().__init__(status, error, message)
        self.code = code
        self.devices_updated = devices_updated
        self.devices_targeted = devices_targeted


class ActivitySmithRateLimitError(ActivitySmithApiError):
    """429: too many requests; `retry_after` is in seconds when the API said so."""

    def __init__(
        self, status: int, error: str, message: str, retry_after: float | None
    ) -> None:
        """Remember when the API allows the next request."""
        super().__init__(status, error, message)
        self.retry_after = retry_after


class ActivitySmithLiveActivityLimitError(ActivitySmithApiError):
    """429: a targeted device already shows as many Live Activities as iOS allows.

    `limit` is iOS's limit per app and device (5 in October 2026), `active` the highest
    count among the targeted devices. When the devices differ in capacity the API also
    says how many of them are full (`blocked_devices`) of how many targeted
    (`targeted_devices`); otherwise both are None.
    """

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        limit: int,
        active: int,
        *,
        blocked_devices: int | None = None,
        targeted_devices: int | None = None,
    ) -> None:
        """Remember the limit, how many activities are active, and which devices."""
        super().__init__(status, error, message)
        self.limit = limit
        self.active = active
        self.blocked_devices = blocked_devices
        self.targeted_devices = targeted_devices


class ActivitySmithServerError(ActivitySmithApiError):
    """5xx: the API failed on its side."""


class ActivitySmithBudgetExhaustedError(ActivitySmithError):
    """The client's own request budget is spent for now; nothing was sent."""

    def __init__(self, retry_after: float) -> None:
        """Say when the budget has room again."""
        super().__init__(f"Request budget used up; next request in {retry_after:.1f} s")
        self.retry_after = retry_after


class ActivitySmithClosedError(ActivitySmithError):
    """The client was closed (its entry unloaded); it sends nothing new."""

    def __init__(self) -> None:
        """Say why nothing was sent."""
        super().__init__("The ActivitySmith client is closed")


class ActivitySmithDroppedError(ActivitySmithError):
    """A queued stream request was not delivered when the client closed.

    Either it never left (the budget did not allow it in time), or it was on the wire
    when the deadline passed and was cancelled: ActivitySmith may or may not have it.
    """

    def __init__(self, method: str, *, on_the_wire: bool = False) -> None:
        """Name what was dropped, and whether it had been sent."""
        self.on_the_wire = on_the_wire
        where = "cancelled on the wire" if on_the_wire else "dropped"
        super().__init__(f"Queued {method} {where} when the client closed")
