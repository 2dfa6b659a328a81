"""The typed errors of the ActivitySmith client, one per way a request can fail.

Like the client, this module imports nothing from Home Assistant. No message ever holds
the API key: the client redacts the server's words before they get here.
"""

from __future__ import annotations


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
