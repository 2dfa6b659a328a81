"""The Live Activity actions: the manual lifecycle and managed streams.

A handler resolves which entry and activity a call is for, completes a partial update
from the last state sent, checks the type's rules (`errors.checked`), calls the API
(`errors.call_api`) and records the answer for the sensors. Shapes were checked by the
schemas in `schemas.py` before the handler runs.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import voluptuous as vol

from . import content, notifications, schemas
from .activities import STATUS_ENDED, ActivityRecord
from .budget import ResultListener, StreamRequest
from .const import DOMAIN
from .content import Phase
from .errors import act_on_failure, call_api, checked, clear_limit_issue
from .exceptions import ActivitySmithNotFoundError
from .models import ActionHandler, ActivitySmithConfigEntry, entry_for
from .schemas import (
    ATTR_ACTIVITY_ID,
    ATTR_AUTO_DISMISS_MINUTES,
    ATTR_AUTO_DISMISS_SECONDS,
    ATTR_STREAM_KEY,
)

_LOGGER = logging.getLogger(__name__)

LIVE_ACTIVITY_SENSOR_KEY: Final = "live_activity"
STREAM_SENSOR_PREFIX: Final = "stream_"


async def _start_live_activity(call: ServiceCall) -> ServiceResponse:
    """Start a Live Activity; it becomes the one the activity sensor shows."""
    entry = entry_for(call)
    content_state = content.content_of(call.data)
    checked(content_state, "start", call.data)
    body = content.request_body(content_state, call.data, channels_key="target")
    client = entry.runtime_data.client
    response = await call_api(call.hass, entry, client.start_live_activity(body))
    clear_limit_issue(call.hass, entry)
    entry.runtime_data.activities.started(content_state, response)
    return response


def _record_of_sensor(
    hass: HomeAssistant, entity_id: str
) -> tuple[str, ActivityRecord | None]:
    """The entry id and the activity record that an activity sensor shows."""
    entity = er.async_get(hass).async_get(entity_id)
    if entity is None or entity.platform != DOMAIN or entity.config_entry_id is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_an_activity_sensor",
            translation_placeholders={"entity_id": entity_id},
        )
    entry = hass.config_entries.async_get_entry(entity.config_entry_id)
    key = entity.unique_id.removeprefix(f"{entity.config_entry_id}_")
    record: ActivityRecord | None = None
    if entry is not None and (data := getattr(entry, "runtime_data", None)):
        if key == LIVE_ACTIVITY_SENSOR_KEY:
            record = data.activities.current
        else:
            record = data.activities.streams.get(key.removeprefix(STREAM_SENSOR_PREFIX))
    return entity.config_entry_id, record


def _target(call: ServiceCall) -> tuple[ActivitySmithConfigEntry, str]:
    """The entry and activity an update or end is for.

    The activity named, else the one the named sensor shows, else the one the entry's
    Live Activity sensor shows.
    """
    if entity_id := call.data.get(ATTR_ENTITY_ID):
        entry_id, record = _record_of_sensor(call.hass, entity_id)
        entry = entry_for(call, entry_id)
    else:
        entry = entry_for(call)
        record = entry.runtime_data.activities.current
    if activity_id := call.data.get(ATTR_ACTIVITY_ID):
        return entry, str(activity_id)
    if record is None or record.activity_id is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_current_activity",
        )
    return entry, record.activity_id


async def _change_live_activity(call: ServiceCall, phase: Phase) -> ServiceResponse:
    """Update or end a Live Activity, completing a partial update from its last state."""
    entry, activity_id = _target(call)
    activities = entry.runtime_data.activities
    content_state = content.merge(
        activities.last_content(activity_id), content.content_of(call.data)
    )
    checked(content_state, phase, call.data)
    body = {
        ATTR_ACTIVITY_ID: activity_id,
        **content.request_body(_with_auto_dismiss(content_state, call.data), call.data),
    }
    client = entry.runtime_data.client
    send = client.end_live_activity if phase == "end" else client.update_live_activity
    response = await call_api(call.hass, entry, send(body))
    activities.updated(activity_id, content_state, response, ended=phase == "end")
    return response


async def _update_live_activity(call: ServiceCall) -> ServiceResponse:
    """Update a Live Activity."""
    return await _change_live_activity(call, "update")


async def _end_live_activity(call: ServiceCall) -> ServiceResponse:
    """End a Live Activity."""
    return await _change_live_activity(call, "end")


def _with_auto_dismiss(content_state: dict[str, Any], data: Any) -> dict[str, Any]:
    """The content state to send at the end: plus how long it stays visible."""
    dismiss = {
        name: data[name]
        for name in (ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS)
        if name in data
    }
    return {**content_state, **dismiss}


def _stream_state(
    entry: ActivitySmithConfigEntry, stream_key: str
) -> dict[str, Any] | None:
    """The last content state of a stream that is still running."""
    record = entry.runtime_data.activities.streams.get(stream_key)
    if record is None or record.status == STATUS_ENDED:
        return None
    return record.content_state


async def _stream_live_activity(call: ServiceCall) -> ServiceResponse:
    """Send the latest state of a stream; ActivitySmith starts, updates or rotates it."""
    entry = entry_for(call)
    stream_key: str = call.data[ATTR_STREAM_KEY]
    last = _stream_state(entry, stream_key)
    content_state = content.merge(last, content.content_of(call.data))
    checked(content_state, "start" if last is None else "update", call.data)
    body = content.request_body(content_state, call.data, channels_key="channels")
    client = entry.runtime_data.client
    response = await call_api(call.hass, entry, client.put_stream(stream_key, body))
    if response.get("queued"):
        entry.runtime_data.activities.stream_queued(stream_key, content_state)
    else:
        _record_stream_answer(
            call.hass, entry, "PUT", stream_key, content_state, response
        )
    return response


async def _end_live_activity_stream(call: ServiceCall) -> ServiceResponse:
    """End a stream, optionally with a final state; an unknown stream is reported."""
    entry = entry_for(call)
    activities = entry.runtime_data.activities
    stream_key: str = call.data[ATTR_STREAM_KEY]
    final = content.content_of(call.data)
    wants_content = bool(final) or any(
        name in call.data
        for name in (ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS)
    )
    content_state: dict[str, Any] | None = None
    if wants_content:
        content_state = content.merge(_stream_state(entry, stream_key), final)
        checked(content_state, "end", call.data)
    # Without a final state ActivitySmith ends the stream with the last one it has.
    body = content.request_body(
        _with_auto_dismiss(content_state, call.data) if content_state else None,
        call.data,
    )
    client = entry.runtime_data.client
    try:
        response = await call_api(
            call.hass,
            entry,
            client.end_stream(stream_key, body or None),
            not_found="stream_not_found",
            stream_key=stream_key,
        )
    except HomeAssistantError as err:
        if isinstance(err.__cause__, ActivitySmithNotFoundError):
            # ActivitySmith no longer has it: the sensor must not pretend it runs.
            activities.stream_ended(stream_key, None, {})
        raise
    if response.get("queued"):
        activities.stream_queued(stream_key, content_state)
    else:
        _record_stream_answer(
            call.hass, entry, "DELETE", stream_key, content_state, response
        )
    return response


def _record_stream_answer(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    method: str,
    stream_key: str,
    content_state: dict[str, Any] | None,
    response: dict[str, Any],
) -> None:
    """Record what the API answered to a stream request, sent now or from the queue."""
    activities = entry.runtime_data.activities
    if method == "DELETE":
        activities.stream_ended(stream_key, content_state, response)
        return
    if response.get("operation") in ("started", "rotated"):
        clear_limit_issue(hass, entry)
    activities.stream_reconciled(stream_key, content_state or {}, response)


def stream_result_recorder(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry
) -> ResultListener:
    """What to do when a queued stream request was finally sent."""

    @callback
    def record(request: StreamRequest, result: dict[str, Any] | Exception) -> None:
        content_state = {
            name: value
            for name, value in (request.body or {}).get("content_state", {}).items()
            if name not in (ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS)
        } or None
        if not isinstance(result, Exception):
            _record_stream_answer(
                hass, entry, request.method, request.stream_key, content_state, result
            )
            return
        _LOGGER.warning(
            "Queued %s of stream %s failed: %s",
            request.method,
            request.stream_key,
            result,
        )
        act_on_failure(hass, entry, result)
        if (
            isinstance(result, ActivitySmithNotFoundError)
            and request.method == "DELETE"
        ):
            entry.runtime_data.activities.stream_ended(request.stream_key, None, {})

    return record


SERVICES: Final[tuple[tuple[str, ActionHandler, vol.Schema], ...]] = (
    ("start_live_activity", _start_live_activity, schemas.START_LIVE_ACTIVITY),
    ("update_live_activity", _update_live_activity, schemas.UPDATE_LIVE_ACTIVITY),
    ("end_live_activity", _end_live_activity, schemas.END_LIVE_ACTIVITY),
    ("stream_live_activity", _stream_live_activity, schemas.STREAM_LIVE_ACTIVITY),
    (
        "end_live_activity_stream",
        _end_live_activity_stream,
        schemas.END_LIVE_ACTIVITY_STREAM,
    ),
    *notifications.SERVICES,
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
