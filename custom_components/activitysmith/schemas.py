"""The schemas of every action: Live Activities, pushes, the badge and widget metrics.

Live Activity schemas are built from the field shapes in `content`. They check shape
only: types, bounds, enums, URLs. A shape error becomes a translated
`ServiceValidationError` that names the field, before any handler runs. Rules that need
the whole content state (per type, after merging an update) live in `content.validate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_ENTITY_ID
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .const import (
    ATTR_ACTIVITY_ID,
    ATTR_AUTO_DISMISS_MINUTES,
    ATTR_AUTO_DISMISS_SECONDS,
    ATTR_MIN_INTERVAL,
    ATTR_PRIORITY,
    ATTR_STREAM_KEY,
    DOMAIN,
    MAX_BADGE,
    MAX_MIN_INTERVAL,
    METRIC_KEY_PATTERN,
    PRIORITY_NAMES,
)
from .content import FIELDS, MAX_CHANGE_TAGS, REQUEST_FIELDS
from .recipients import ATTR_PRESENCE, ATTR_RECIPIENTS, PRESENCE_NAMES
from .validators import (
    CHANNELS,
    HTTPS_URL,
    NON_EMPTY_TEXT,
    app_link,
    image_url,
    key_pattern,
    metadata,
    number,
    push_action_button,
    tags,
    text,
    whole_number,
)

MAX_PUSH_ACTIONS: Final = 4
MAX_LINK_LENGTH: Final = 2048
INTERRUPTION_LEVELS: Final = ("passive", "active", "time-sensitive")

STREAM_KEY: Final = key_pattern(
    r"[A-Za-z0-9_-]{1,255}", "use 1 to 255 letters, digits, _ and -"
)


def translated(schema: vol.Schema) -> vol.Schema:
    """Report a shape error as a translated ServiceValidationError naming the field."""

    def validate(data: Any) -> Any:
        try:
            return schema(data)
        except vol.Invalid as err:
            path = ".".join(str(part) for part in err.path) or "data"
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_field",
                translation_placeholders={"field": path, "problem": err.msg},
            ) from err

    return vol.Schema(validate)


def action_schema(fields: Mapping[Any, Any]) -> vol.Schema:
    """A translated schema of `fields`, plus the optional config entry."""
    return translated(
        vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string, **fields})
    )


def live_activity_schema(
    *,
    required: frozenset[str] = frozenset(),
    request: tuple[str, ...],
    extra: Mapping[Any, Any] | None = None,
) -> vol.Schema:
    """A Live Activity action: every content field, the `request` fields, and `extra`.

    `required` names the content fields the action cannot do without.
    """
    return action_schema(
        {
            **{
                (vol.Required(name) if name in required else vol.Optional(name)): shape
                for name, shape in FIELDS.items()
            },
            **{vol.Optional(name): REQUEST_FIELDS[name] for name in request},
            **(extra or {}),
        }
    )


# An update or end names its activity, or a sensor showing it, or neither (the sensor's).
TARGET: Final = {
    vol.Exclusive(ATTR_ACTIVITY_ID, "target"): NON_EMPTY_TEXT,
    vol.Exclusive(ATTR_ENTITY_ID, "target"): cv.entity_id,
}
AUTO_DISMISS_MINUTES: Final = {
    vol.Exclusive(ATTR_AUTO_DISMISS_MINUTES, "auto_dismiss"): whole_number(minimum=0)
}
AUTO_DISMISS: Final = {
    **AUTO_DISMISS_MINUTES,
    vol.Exclusive(ATTR_AUTO_DISMISS_SECONDS, "auto_dismiss"): whole_number(minimum=0),
}
BUTTONS: Final = ("action", "secondary_action")
HISTORY: Final = ("tags", "metadata")
# Update and end: at most 20 tags (their own field, not the shared shape).
CHANGE_HISTORY: Final = {
    vol.Optional("tags"): tags(max_count=MAX_CHANGE_TAGS),
    vol.Optional("metadata"): metadata,
}

# How much the activity matters when the phone's few slots are full (slots.py).
PRIORITY: Final = {vol.Optional(ATTR_PRIORITY): vol.In(PRIORITY_NAMES)}
# Who gets it: recipients of the entry (their channels), filtered by presence.
RECIPIENTS: Final = {
    vol.Optional(ATTR_RECIPIENTS): vol.All(
        cv.ensure_list, [NON_EMPTY_TEXT], vol.Length(min=1)
    ),
    vol.Optional(ATTR_PRESENCE): vol.In(PRESENCE_NAMES),
}

START_LIVE_ACTIVITY: Final = live_activity_schema(
    required=frozenset({"title", "type"}),
    request=(*BUTTONS, "alert", "channels", *HISTORY),
    extra={**PRIORITY, **RECIPIENTS},
)
UPDATE_LIVE_ACTIVITY: Final = live_activity_schema(
    request=BUTTONS, extra={**TARGET, **CHANGE_HISTORY}
)
END_LIVE_ACTIVITY: Final = live_activity_schema(
    request=BUTTONS, extra={**TARGET, **AUTO_DISMISS_MINUTES, **CHANGE_HISTORY}
)
# The least seconds between two updates of a stream (the client's default: one).
MIN_INTERVAL: Final = {
    vol.Optional(ATTR_MIN_INTERVAL): number(minimum=0, maximum=MAX_MIN_INTERVAL)
}
STREAM_LIVE_ACTIVITY: Final = live_activity_schema(
    request=(*BUTTONS, "alert", "channels", *HISTORY),
    extra={
        vol.Required(ATTR_STREAM_KEY): STREAM_KEY,
        **MIN_INTERVAL,
        **PRIORITY,
        **RECIPIENTS,
    },
)
END_LIVE_ACTIVITY_STREAM: Final = live_activity_schema(
    request=(*BUTTONS, "alert", *HISTORY),
    extra={vol.Required(ATTR_STREAM_KEY): STREAM_KEY, **AUTO_DISMISS},
)

# What a push shows and carries; a replacement takes the same, channels aside.
PUSH_CONTENT: Final = {
    vol.Required("title"): NON_EMPTY_TEXT,
    vol.Optional("message"): cv.string,
    vol.Optional("subtitle"): cv.string,
    vol.Optional("media"): HTTPS_URL,
    vol.Optional("icon"): image_url,
    vol.Optional("redirection"): app_link(max_length=MAX_LINK_LENGTH),
    vol.Optional("actions"): vol.All(
        cv.ensure_list, [push_action_button], vol.Length(max=MAX_PUSH_ACTIONS)
    ),
    vol.Optional("payload"): dict,
    vol.Optional("badge"): whole_number(minimum=0),
    vol.Optional("tags"): tags(),
    vol.Optional("metadata"): metadata,
}
SEND_PUSH_NOTIFICATION: Final = action_schema(
    {
        **PUSH_CONTENT,
        vol.Optional("interruption_level"): vol.In(INTERRUPTION_LEVELS),
        vol.Optional("sound"): cv.string,
        vol.Optional("channels"): CHANNELS,
        **RECIPIENTS,
    }
)
# Replaces a sent push in place, silently, for the same recipients.
REPLACE_PUSH_NOTIFICATION: Final = action_schema(
    {vol.Required("notification_id"): NON_EMPTY_TEXT, **PUSH_CONTENT}
)
SET_BADGE_COUNT: Final = action_schema(
    {
        vol.Required("badge"): vol.All(
            whole_number(minimum=0), vol.Range(max=MAX_BADGE)
        ),
        vol.Optional("channels"): CHANNELS,
        **RECIPIENTS,
    }
)
METRIC_KEY: Final = key_pattern(
    METRIC_KEY_PATTERN,
    "use 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter "
    "or digit",
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
