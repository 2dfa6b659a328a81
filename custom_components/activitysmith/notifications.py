"""Push notifications, the app-icon badge and widget metrics.

Each action is a schema plus a short handler: check what the schema cannot (media and
actions exclude each other), build the body in the API's shape, send it with translated
errors, and return the API's answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .errors import call_api
from .models import ActionHandler, entry_for
from .schemas import action_schema
from .validators import (
    CHANNELS,
    NON_EMPTY_TEXT,
    action_button as notification_action,
    https_url,
    number,
    target_of,
    text,
    whole_number,
)

MAX_ACTIONS: Final = 4
MAX_BADGE: Final = 2_147_483_647

SEND_PUSH_NOTIFICATION: Final = action_schema(
    {
        vol.Required("title"): NON_EMPTY_TEXT,
        vol.Optional("message"): cv.string,
        vol.Optional("subtitle"): cv.string,
        vol.Optional("media"): https_url("https"),
        vol.Optional("redirection"): https_url("https", "shortcuts"),
        vol.Optional("actions"): vol.All(
            cv.ensure_list, [notification_action], vol.Length(max=MAX_ACTIONS)
        ),
        vol.Optional("payload"): dict,
        vol.Optional("badge"): whole_number(minimum=0),
        vol.Optional("sound"): cv.string,
        vol.Optional("channels"): CHANNELS,
    }
)
SET_BADGE_COUNT: Final = action_schema(
    {
        vol.Required("badge"): vol.All(
            whole_number(minimum=0), vol.Range(max=MAX_BADGE)
        ),
        vol.Optional("channels"): CHANNELS,
    }
)
METRIC_KEY: Final = vol.All(
    cv.string,
    vol.Match(
        r"^[a-z0-9][a-z0-9_.-]{0,63}$",
        msg="use 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
)
UPDATE_METRIC_VALUE: Final = action_schema(
    {
        vol.Required("key"): METRIC_KEY,
        vol.Required("value"): vol.Any(
            vol.All(vol.Any(int, float), number()),
            vol.All(str, text(min_length=1, max_length=64)),
            msg="expected a number, or a text of 1 to 64 characters",
        ),
        vol.Optional("timestamp"): cv.datetime,
    }
)


def push_notification_body(data: dict[str, Any]) -> dict[str, Any]:
    """The push body: every field as given, channels nested in target."""
    if "media" in data and data.get("actions"):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="media_with_actions"
        )
    body = {name: value for name, value in data.items() if name in PUSH_FIELDS}
    return body | target_of(data)


PUSH_FIELDS: Final = frozenset(
    {"title", "message", "subtitle", "media", "redirection", "actions", "payload"}
    | {"badge", "sound"}
)


async def _send_push_notification(call: ServiceCall) -> ServiceResponse:
    """Send a push notification to the phones in the key's scope (or channels)."""
    entry = entry_for(call)
    body = push_notification_body(dict(call.data))
    client = entry.runtime_data.client
    return await call_api(call.hass, entry, client.send_push_notification(body))


async def _set_badge_count(call: ServiceCall) -> ServiceResponse:
    """Show a number on the ActivitySmith app icon (0 clears it)."""
    entry = entry_for(call)
    body = {"badge": call.data["badge"]} | target_of(call.data)
    client = entry.runtime_data.client
    return await call_api(call.hass, entry, client.set_badge(body))


def _iso_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC; a time without zone is Home Assistant's local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(value).isoformat()


async def _update_metric_value(call: ServiceCall) -> ServiceResponse:
    """Set the latest value of a widget metric created in the ActivitySmith app."""
    entry = entry_for(call)
    key: str = call.data["key"]
    body: dict[str, Any] = {"value": call.data["value"]}
    if (timestamp := call.data.get("timestamp")) is not None:
        body["timestamp"] = _iso_timestamp(timestamp)
    client = entry.runtime_data.client
    return await call_api(
        call.hass,
        entry,
        client.update_metric_value(key, body),
        not_found="metric_not_found",
        key=key,
    )


SERVICES: Final[tuple[tuple[str, ActionHandler, vol.Schema], ...]] = (
    ("send_push_notification", _send_push_notification, SEND_PUSH_NOTIFICATION),
    ("set_badge_count", _set_badge_count, SET_BADGE_COUNT),
    ("update_metric_value", _update_metric_value, UPDATE_METRIC_VALUE),
)
