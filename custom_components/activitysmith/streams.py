"""The stream actions: send a stream's latest state, and end a stream.

ActivitySmith starts, updates and rotates a stream's Live Activity itself; the handlers
complete a partial state from the stream's last one, check the type's rules, send it
(now, or queued by the client's budget) and record the answer for the stream's sensor.
`stream_result_recorder` records the answers of queued requests the same way.
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, callback
from homeassistant.exceptions import HomeAssistantError

from . import content
from .actions import entry_for
from .client import (
    ActivitySmithNotFoundError,
    JsonObject,
    StreamRequest,
    StreamResultListener,
)
from .const import ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS, ATTR_STREAM_KEY
from .failures import act_on_failure, call_api, clear_limit_issue
from .models import ActivitySmithConfigEntry
from .store import STATUS_ENDED

_LOGGER = logging.getLogger(__name__)


async def stream_live_activity(call: ServiceCall) -> ServiceResponse:
    """Send the latest state of a stream; ActivitySmith starts, updates or rotates it."""
    entry = entry_for(call)
    stream_key: str = call.data[ATTR_STREAM_KEY]
    last = _stream_state(entry, stream_key)
    content_state = content.merge(last, content.content_of(call.data))
    content.validate(content_state, "start" if last is None else "update", call.data)
    body = content.request_body(content_state, call.data, channels_key="channels")
    client = entry.runtime_data.client
    response = await call_api(call.hass, entry, client.put_stream(stream_key, body))
    if response.get("queued"):
        entry.runtime_data.activities.stream_queued(stream_key, content_state)
    else:
        _record_answer(call.hass, entry, "PUT", stream_key, content_state, response)
    return response


async def end_live_activity_stream(call: ServiceCall) -> ServiceResponse:
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
        content.validate(content_state, "end", call.data)
    # Without a final state ActivitySmith ends the stream with the last one it has.
    body = content.request_body(
        content.with_auto_dismiss(content_state, call.data) if content_state else None,
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
        _record_answer(call.hass, entry, "DELETE", stream_key, content_state, response)
    return response


def stream_result_recorder(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry
) -> StreamResultListener:
    """What to do when a queued stream request was finally sent."""

    @callback
    def record(request: StreamRequest, result: JsonObject | Exception) -> None:
        content_state = {
            name: value
            for name, value in (request.body or {}).get("content_state", {}).items()
            if name not in (ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS)
        } or None
        if not isinstance(result, Exception):
            _record_answer(
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
        if isinstance(result, ActivitySmithNotFoundError) and not request.is_update:
            entry.runtime_data.activities.stream_ended(request.stream_key, None, {})

    return record


def _stream_state(
    entry: ActivitySmithConfigEntry, stream_key: str
) -> dict[str, Any] | None:
    """The last content state of a stream that is still running."""
    record = entry.runtime_data.activities.streams.get(stream_key)
    if record is None or record.status == STATUS_ENDED:
        return None
    return record.content_state


def _record_answer(
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
