"""The push notification, app-icon badge and widget metric actions.

Each handler checks what its schema cannot (media and actions exclude each other),
builds the body in the API's shape, sends it with translated errors, and returns the
API's answer.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .actions import entry_for
from .const import DOMAIN
from .failures import call_api
from .recipient_issues import call_api_for
from .recipients import delivery_for
from .validators import target_of

# What a replacement takes: a push's content, neither its delivery nor its target.
REPLACE_FIELDS: Final = frozenset(
    {"title", "message", "subtitle", "media", "icon", "redirection", "actions"}
    | {"payload", "badge", "tags", "metadata"}
)
PUSH_FIELDS: Final = REPLACE_FIELDS | {"interruption_level", "sound"}


def push_notification_body(
    data: dict[str, Any], fields: frozenset[str] = PUSH_FIELDS
) -> dict[str, Any]:
    """The push body: every field of `fields` as given, channels nested in target."""
    if "media" in data and "actions" in data:  # even an empty list: the API refuses
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="media_with_actions"
        )
    body = {name: value for name, value in data.items() if name in fields}
    return body | target_of(data)


async def send_push_notification(call: ServiceCall) -> ServiceResponse:
    """Send a push notification to the phones in the key's scope (or channels).

    With recipients, to their channels after the presence filter; when it leaves
    nobody, nothing is sent and the answer says so. The answer's `notification_id`
    names it for `replace_push_notification`.
    """
    entry = entry_for(call)
    data, delivery = delivery_for(call.hass, entry, call.data)
    if delivery is not None and not delivery.sent:
        return delivery.not_sent()
    request = await entry.runtime_data.buttons.async_resolve(data)
    body = push_notification_body(request)
    client = entry.runtime_data.client
    answer = await call_api_for(
        call.hass, entry, delivery, client.send_push_notification(body)
    )
    return answer if delivery is None else {**answer, "sent": True}


async def replace_push_notification(call: ServiceCall) -> ServiceResponse:
    """Replace a sent push in place: silently, for the same recipients.

    Title, message, subtitle, links, media, icon, actions and payload replace the
    original's; omitted tags or metadata keep theirs.
    """
    entry = entry_for(call)
    notification_id: str = call.data["notification_id"]
    request = await entry.runtime_data.buttons.async_resolve(call.data)
    body = push_notification_body(request, REPLACE_FIELDS)
    client = entry.runtime_data.client
    return await call_api(
        call.hass,
        entry,
        client.replace_push_notification(notification_id, body),
        not_found="notification_not_found",
        notification_id=notification_id,
    )


async def set_badge_count(call: ServiceCall) -> ServiceResponse:
    """Show a number on the ActivitySmith app icon (0 clears it).

    With recipients, on their phones only (after the presence filter); when that
    leaves nobody, nothing is sent and the answer says so.
    """
    entry = entry_for(call)
    data, delivery = delivery_for(call.hass, entry, call.data)
    if delivery is not None and not delivery.sent:
        return delivery.not_sent()
    body = {"badge": data["badge"]} | target_of(data)
    client = entry.runtime_data.client
    answer = await call_api_for(call.hass, entry, delivery, client.set_badge(body))
    return answer if delivery is None else {**answer, "sent": True}


async def update_metric_value(call: ServiceCall) -> ServiceResponse:
    """Set the latest value of a widget metric created in the ActivitySmith app.

    A timestamp without a zone is Home Assistant's local time; it is sent in UTC.
    """
    entry = entry_for(call)
    key: str = call.data["key"]
    body: dict[str, Any] = {"value": call.data["value"]}
    if (timestamp := call.data.get("timestamp")) is not None:
        body["timestamp"] = dt_util.as_utc(timestamp).isoformat()
    client = entry.runtime_data.client
    return await call_api(
        call.hass,
        entry,
        client.update_metric_value(key, body),
        not_found="metric_not_found",
        key=key,
    )
