"""The registration table of the integration's actions: name, handler, schema."""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant, SupportsResponse, callback
import voluptuous as vol

from . import live_activity, notifications, schemas, streams
from .actions import ActionHandler
from .const import DOMAIN

SERVICES: Final[tuple[tuple[str, ActionHandler, vol.Schema], ...]] = (
    (
        "start_live_activity",
        live_activity.start_live_activity,
        schemas.START_LIVE_ACTIVITY,
    ),
    (
        "update_live_activity",
        live_activity.update_live_activity,
        schemas.UPDATE_LIVE_ACTIVITY,
    ),
    ("end_live_activity", live_activity.end_live_activity, schemas.END_LIVE_ACTIVITY),
    (
        "stream_live_activity",
        streams.stream_live_activity,
        schemas.STREAM_LIVE_ACTIVITY,
    ),
    (
        "end_live_activity_stream",
        streams.end_live_activity_stream,
        schemas.END_LIVE_ACTIVITY_STREAM,
    ),
    (
        "send_push_notification",
        notifications.send_push_notification,
        schemas.SEND_PUSH_NOTIFICATION,
    ),
    (
        "replace_push_notification",
        notifications.replace_push_notification,
        schemas.REPLACE_PUSH_NOTIFICATION,
    ),
    ("set_badge_count", notifications.set_badge_count, schemas.SET_BADGE_COUNT),
    (
        "update_metric_value",
        notifications.update_metric_value,
        schemas.UPDATE_METRIC_VALUE,
    ),
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action once, for all entries."""
    for name, handler, schema in SERVICES:
        hass.services.async_register(
            DOMAIN,
            name,
            handler,
            schema=schema,
            supports_response=SupportsResponse.OPTIONAL,
        )
