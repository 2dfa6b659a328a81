"""A client for the ActivitySmith API, with no Home Assistant imports.

It takes an `aiohttp.ClientSession` and an API key, paces its requests within the
account's budget, and raises one typed error per way a request can fail.
"""

from .budget import WINDOW_SECONDS, RequestBudget
from .errors import (
    ActivitySmithApiError,
    ActivitySmithAuthError,
    ActivitySmithBadgeUpdateError,
    ActivitySmithBadRequestError,
    ActivitySmithBillingBlockedError,
    ActivitySmithBudgetExhaustedError,
    ActivitySmithClosedError,
    ActivitySmithConnectionError,
    ActivitySmithDroppedError,
    ActivitySmithError,
    ActivitySmithForbiddenError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNoRecipientsError,
    ActivitySmithNotFoundError,
    ActivitySmithRateLimitError,
    ActivitySmithResponseError,
    ActivitySmithServerError,
    ActivitySmithTimeoutError,
    ActivitySmithUnusableKeyError,
    TrialPeriod,
)
from .http import ActivitySmithClient
from .response import JsonObject
from .stream_queue import StreamQueue, StreamRequest
from .stream_sender import StreamResultListener
from .transport import API_BASE_URL

__all__ = [
    "API_BASE_URL",
    "WINDOW_SECONDS",
    "ActivitySmithApiError",
    "ActivitySmithAuthError",
    "ActivitySmithBadRequestError",
    "ActivitySmithBadgeUpdateError",
    "ActivitySmithBillingBlockedError",
    "ActivitySmithBudgetExhaustedError",
    "ActivitySmithClient",
    "ActivitySmithClosedError",
    "ActivitySmithConnectionError",
    "ActivitySmithDroppedError",
    "ActivitySmithError",
    "ActivitySmithForbiddenError",
    "ActivitySmithLiveActivityLimitError",
    "ActivitySmithNoRecipientsError",
    "ActivitySmithNotFoundError",
    "ActivitySmithRateLimitError",
    "ActivitySmithResponseError",
    "ActivitySmithServerError",
    "ActivitySmithTimeoutError",
    "ActivitySmithUnusableKeyError",
    "JsonObject",
    "RequestBudget",
    "StreamQueue",
    "StreamRequest",
    "StreamResultListener",
    "TrialPeriod",
]
