"""Actions of the integration: schemas built from the content table, and their handlers.

Schemas check shape (registered with Home Assistant, so a bad value never reaches a
handler); handlers check meaning once the full content state is known (after merging a
partial update), then call the API. Every error is a translated
`ServiceValidationError` (bad input, nothing sent) or `HomeAssistantError` (API failure).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
import voluptuous as vol

from . import content
from .api import JsonObject
from .const import DOMAIN
from .content import FIELDS, REQUEST_FIELDS, ContentError, Phase
from .errors import api_errors, clear_limit_issue
from .models import ActivitySmithConfigEntry

ATTR_ACTIVITY_ID: Final = "activity_id"
ATTR_AUTO_DISMISS_MINUTES: Final = "auto_dismiss_minutes"

SERVICE_START_LIVE_ACTIVITY: Final = "start_live_activity"
SERVICE_UPDATE_LIVE_ACTIVITY: Final = "update_live_activity"
SERVICE_END_LIVE_ACTIVITY: Final = "end_live_activity"


def _translated(schema: vol.Schema) -> vol.Schema:
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


def action_schema(
    *,
    required: frozenset[str] = frozenset(),
    request: tuple[str, ...],
    extra: Mapping[Any, Any] | None = None,
) -> vol.Schema:
    """The schema of a Live Activity action: every content field plus `extra`.

    `required` names the content fields this action cannot do without; `request` the
    request-level fields (buttons, alert, channels) the endpoint accepts.
    """
    fields = {
        (vol.Required(name) if name in required else vol.Optional(name)): shape
        for name, shape in FIELDS.items()
    }
    return _translated(
        vol.Schema(
            {
                vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
                **fields,
                **{vol.Optional(name): REQUEST_FIELDS[name] for name in request},
                **(extra or {}),
            }
        )
    )


AUTO_DISMISS_MINUTES: Final = {
    vol.Optional(ATTR_AUTO_DISMISS_MINUTES): content.whole_number(minimum=0)
}
START_SCHEMA: Final = action_schema(
    required=frozenset({"title", "type"}),
    request=("action", "secondary_action", "alert", "channels"),
)
TARGET_ACTIVITY: Final = {vol.Optional(ATTR_ACTIVITY_ID): content.NON_EMPTY_TEXT}
UPDATE_SCHEMA: Final = action_schema(
    request=("action", "secondary_action"), extra=TARGET_ACTIVITY
)
END_SCHEMA: Final = action_schema(
    request=("action", "secondary_action"),
    extra={**TARGET_ACTIVITY, **AUTO_DISMISS_MINUTES},
)


def entry_for(call: ServiceCall) -> ActivitySmithConfigEntry:
    """The entry the call names, or the only loaded one."""
    entry: ActivitySmithConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY_ID)
    )
    return entry


def checked(
    content_state: dict[str, Any], phase: Phase, data: Mapping[str, Any]
) -> None:
    """Apply the type's rules; a broken one is a translated validation error."""
    try:
        content.validate(content_state, phase, data)
    except ContentError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.translation_key,
            translation_placeholders=err.placeholders,
        ) from err


async def call_api(
    call: ServiceCall,
    entry: ActivitySmithConfigEntry,
    request: Callable[[], Awaitable[JsonObject]],
    **options: str,
) -> JsonObject:
    """Send one request, translating failures for the user."""
    with api_errors(call.hass, entry, **options):
        return await request()


async def _start_live_activity(call: ServiceCall) -> ServiceResponse:
    """Start a Live Activity; it becomes the one the activity sensor shows."""
    entry = entry_for(call)
    content_state = content.content_of(call.data)
    checked(content_state, "start", call.data)
    body = content.request_body(content_state, call.data, channels_key="target")
    client = entry.runtime_data.client
    response = await call_api(call, entry, lambda: client.start_live_activity(body))
    clear_limit_issue(call.hass, entry)
    entry.runtime_data.activities.started(content_state, response)
    return response


def _target_activity(call: ServiceCall, entry: ActivitySmithConfigEntry) -> str:
    """The activity an update or end is for: the one named, else the sensor's."""
    if activity_id := call.data.get(ATTR_ACTIVITY_ID):
        return str(activity_id)
    current = entry.runtime_data.activities.current
    if current is None or current.activity_id is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_current_activity"
        )
    return current.activity_id


async def _change_live_activity(call: ServiceCall, phase: Phase) -> ServiceResponse:
    """Update or end a Live Activity, completing a partial update from its last state."""
    entry = entry_for(call)
    activities = entry.runtime_data.activities
    activity_id = _target_activity(call, entry)
    content_state = content.merge(
        activities.last_content(activity_id), content.content_of(call.data)
    )
    checked(content_state, phase, call.data)
    body = {
        ATTR_ACTIVITY_ID: activity_id,
        **content.request_body(content_state, call.data),
    }
    client = entry.runtime_data.client
    if phase == "end":
        if ATTR_AUTO_DISMISS_MINUTES in call.data:
            body["content_state"] = {
                **content_state,
                ATTR_AUTO_DISMISS_MINUTES: call.data[ATTR_AUTO_DISMISS_MINUTES],
            }
        response = await call_api(call, entry, lambda: client.end_live_activity(body))
    else:
        response = await call_api(
            call, entry, lambda: client.update_live_activity(body)
        )
    activities.updated(activity_id, content_state, response, ended=phase == "end")
    return response


async def _update_live_activity(call: ServiceCall) -> ServiceResponse:
    """Update a Live Activity."""
    return await _change_live_activity(call, "update")


async def _end_live_activity(call: ServiceCall) -> ServiceResponse:
    """End a Live Activity."""
    return await _change_live_activity(call, "end")


type Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]
SERVICES: Final[tuple[tuple[str, Handler, vol.Schema], ...]] = (
    (SERVICE_START_LIVE_ACTIVITY, _start_live_activity, START_SCHEMA),
    (SERVICE_UPDATE_LIVE_ACTIVITY, _update_live_activity, UPDATE_SCHEMA),
    (SERVICE_END_LIVE_ACTIVITY, _end_live_activity, END_SCHEMA),
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
