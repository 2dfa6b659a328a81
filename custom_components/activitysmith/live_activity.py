"""The manual Live Activity actions: start, update and end.

A handler resolves which entry and activity a call is for, completes a partial update
from the last state sent, checks the type's rules, calls the API and records the answer
for the Live Activity sensor. Shapes were checked by the schemas before the handler runs.
"""

from __future__ import annotations

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util.ulid import ulid_now

from . import content
from .actions import entry_for
from .client import ActivitySmithLiveActivityLimitError, ActivitySmithNotFoundError
from .const import (
    ATTR_ACTIVITY_ID,
    ATTR_PRIORITY,
    DOMAIN,
    LIVE_ACTIVITY_SENSOR_KEY,
    STREAM_SENSOR_PREFIX,
    Priority,
)
from .content import Phase
from .failures import call_api, clear_limit_issue
from .models import ActivitySmithConfigEntry
from .records import ActivityRecord
from .slots import Admission, manual_slot_id


async def start_live_activity(call: ServiceCall) -> ServiceResponse:
    """Start a Live Activity; it becomes the one the activity sensor shows.

    It needs a slot now (it returns an activity id, so it cannot wait): a free one,
    or one a less important activity yields; else it fails, naming what is shown.
    """
    entry = entry_for(call)
    data = entry.runtime_data  # kept: an unload while this waits must not lose it
    content_state = content.content_of(call.data)
    content_state = content.validate(content_state, "start", call.data)
    request = await data.buttons.async_resolve(call.data)
    body = content.request_body(content_state, request, channels_key="target")
    ledger = data.publisher.ledger
    ticket = f"starting:{ulid_now()}"
    name = str(content_state.get("title") or content_state["type"])
    priority = Priority.parse(call.data.get(ATTR_PRIORITY, "normal"))
    admission, victim = ledger.admit(
        ticket, entry.entry_id, name, priority, manual=True
    )
    if admission is Admission.WAIT:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="slots_full",
            translation_placeholders={
                "capacity": str(ledger.capacity),
                "shown": ledger.describe_shown(),
            },
        )
    if victim is not None:
        await ledger.preempt(victim)
    try:
        response = await call_api(
            call.hass, entry, data.client.start_live_activity(body)
        )
    except HomeAssistantError as err:
        if isinstance(limit := err.__cause__, ActivitySmithLiveActivityLimitError):
            ledger.refused(ticket, limit.limit)
            ledger.release(ticket)
        else:
            ledger.release(ticket)
        raise
    activity_id: str = response["activity_id"]
    ledger.rename(ticket, manual_slot_id(activity_id), activity_id)
    clear_limit_issue(call.hass, entry)
    data.activities.started(content_state, response)
    if isinstance(ended := response.get("ended_activity_id"), str):
        ledger.ended_elsewhere(ended)
    return response


async def update_live_activity(call: ServiceCall) -> ServiceResponse:
    """Update a Live Activity."""
    return await _change_live_activity(call, "update")


async def end_live_activity(call: ServiceCall) -> ServiceResponse:
    """End a Live Activity."""
    return await _change_live_activity(call, "end")


async def _change_live_activity(call: ServiceCall, phase: Phase) -> ServiceResponse:
    """Update or end a Live Activity, completing a partial update from its last state."""
    entry, activity_id = _target(call)
    data = entry.runtime_data  # kept: an unload while this waits must not lose it
    activities = data.activities
    content_state = content.merge(
        activities.last_content(activity_id), content.content_of(call.data)
    )
    content_state = content.validate(content_state, phase, call.data)
    request = await data.buttons.async_resolve(call.data, activity_id=activity_id)
    body = {
        ATTR_ACTIVITY_ID: activity_id,
        **content.request_body(
            content.with_auto_dismiss(content_state, request), request
        ),
    }
    client = data.client
    send = client.end_live_activity if phase == "end" else client.update_live_activity
    try:
        response = await call_api(
            call.hass,
            entry,
            send(body),
            not_found="activity_not_found",
            activity_id=activity_id,
        )
    except HomeAssistantError as err:
        if isinstance(err.__cause__, ActivitySmithNotFoundError):
            data.publisher.ledger.release(manual_slot_id(activity_id))
        raise
    activities.updated(activity_id, content_state, response, ended=phase == "end")
    if phase == "end":
        data.publisher.ledger.release(manual_slot_id(activity_id))
    return response


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


def _record_of_sensor(
    hass: HomeAssistant, entity_id: str
) -> tuple[str, ActivityRecord | None]:
    """The entry id and the activity record that an activity sensor shows."""
    entity = er.async_get(hass).async_get(entity_id)
    key = entity.unique_id.removeprefix(f"{entity.config_entry_id}_") if entity else ""
    if (
        entity is None
        or entity.platform != DOMAIN
        or entity.domain != "sensor"
        or entity.config_entry_id is None
        or not (key == LIVE_ACTIVITY_SENSOR_KEY or key.startswith(STREAM_SENSOR_PREFIX))
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_an_activity_sensor",
            translation_placeholders={"entity_id": entity_id},
        )
    entry = hass.config_entries.async_get_entry(entity.config_entry_id)
    record: ActivityRecord | None = None
    if entry is not None and (data := getattr(entry, "runtime_data", None)):
        if key == LIVE_ACTIVITY_SENSOR_KEY:
            record = data.activities.current
        else:
            record = data.activities.streams.get(key.removeprefix(STREAM_SENSOR_PREFIX))
    return entity.config_entry_id, record
