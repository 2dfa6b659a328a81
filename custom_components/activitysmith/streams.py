"""The stream actions: send a stream's latest state, and end a stream.

ActivitySmith starts, updates and rotates a stream's Live Activity itself; the handlers
complete a partial state from the stream's last one, check the type's rules, send it
(now, or queued by the client's budget) and record the answer for the stream's sensor.
`stream_result_recorder` records the answers of queued requests the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, callback
from homeassistant.exceptions import HomeAssistantError

from . import content
from .actions import entry_for
from .client import (
    ActivitySmithDroppedError,
    ActivitySmithNotFoundError,
    JsonObject,
    StreamRequest,
    StreamResultListener,
)
from .const import ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS, ATTR_STREAM_KEY
from .failures import act_on_failure, call_api, clear_limit_issue
from .models import ActivitySmithConfigEntry, ActivitySmithData

_LOGGER = logging.getLogger(__name__)


async def stream_live_activity(call: ServiceCall) -> ServiceResponse:
    """Send the latest state of a stream; ActivitySmith starts, updates or rotates it."""
    entry = entry_for(call)
    data = entry.runtime_data  # kept: an unload while this waits must not lose it
    stream_key: str = call.data[ATTR_STREAM_KEY]
    last = data.activities.running_stream_content(stream_key)
    content_state = content.merge(last, content.content_of(call.data))
    content.validate(content_state, "start" if last is None else "update", call.data)
    return await send_stream_state(
        call.hass, entry, data, stream_key, content_state, call.data
    )


async def end_live_activity_stream(call: ServiceCall) -> ServiceResponse:
    """End a stream, optionally with a final state; an unknown stream is reported."""
    entry = entry_for(call)
    data = entry.runtime_data  # kept: an unload while this waits must not lose it
    stream_key: str = call.data[ATTR_STREAM_KEY]
    final = content.content_of(call.data)
    wants_content = bool(final) or any(
        name in call.data
        for name in (ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS)
    )
    content_state: dict[str, Any] | None = None
    if wants_content:
        content_state = content.merge(
            data.activities.running_stream_content(stream_key), final
        )
        content.validate(content_state, "end", call.data)
    return await end_stream(
        call.hass, entry, data, stream_key, content_state, call.data
    )


async def send_stream_state(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    data: ActivitySmithData,
    stream_key: str,
    content_state: dict[str, Any],
    request: Mapping[str, Any],
) -> JsonObject:
    """PUT a checked content state (plus the request fields in `request`); record it."""
    request = await data.buttons.async_resolve(request, stream_key=stream_key)
    body = content.request_body(content_state, request, channels_key="channels")
    response = await call_api(hass, entry, data.client.put_stream(stream_key, body))
    if response.get("queued"):
        data.activities.stream_queued(stream_key, content_state)
    else:
        _record_answer(hass, entry, data, "PUT", stream_key, content_state, response)
    return response


async def end_stream(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    data: ActivitySmithData,
    stream_key: str,
    content_state: dict[str, Any] | None,
    request: Mapping[str, Any],
) -> JsonObject:
    """DELETE a stream, with a checked final state if any; record it.

    Without a final state ActivitySmith ends the stream with the last one it has.
    """
    request = await data.buttons.async_resolve(request, stream_key=stream_key)
    body = content.request_body(
        content.with_auto_dismiss(content_state, request) if content_state else None,
        request,
    )
    try:
        response = await call_api(
            hass,
            entry,
            data.client.end_stream(stream_key, body or None),
            not_found="stream_not_found",
            stream_key=stream_key,
        )
    except HomeAssistantError as err:
        if isinstance(err.__cause__, ActivitySmithNotFoundError):
            # ActivitySmith no longer has it: the sensor must not pretend it runs.
            data.activities.stream_ended(stream_key, None, {})
        raise
    if response.get("queued"):
        data.activities.stream_queued(stream_key, content_state)
    else:
        _record_answer(hass, entry, data, "DELETE", stream_key, content_state, response)
    return response


def stream_result_recorder(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry, data: ActivitySmithData
) -> StreamResultListener:
    """What to do when a queued stream request was finally sent, failed or dropped."""

    @callback
    def record(request: StreamRequest, result: JsonObject | Exception) -> None:
        content_state = {
            name: value
            for name, value in (request.body or {}).get("content_state", {}).items()
            if name not in (ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS)
        } or None
        key = request.stream_key
        if not isinstance(result, Exception):
            _record_answer(
                hass, entry, data, request.method, key, content_state, result
            )
            return
        if isinstance(result, ActivitySmithDroppedError):
            data.activities.stream_not_delivered(key, content_state, None)
            return
        _LOGGER.warning(
            "Queued %s of stream %s failed: %s", request.method, key, result
        )
        act_on_failure(hass, entry, result)
        if isinstance(result, ActivitySmithNotFoundError) and not request.is_update:
            data.activities.stream_ended(key, None, {})
        else:
            data.activities.stream_not_delivered(key, content_state, str(result))

    return record


def _record_answer(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    data: ActivitySmithData,
    method: str,
    stream_key: str,
    content_state: dict[str, Any] | None,
    response: dict[str, Any],
) -> None:
    """Record what the API answered to a stream request, sent now or from the queue."""
    activities = data.activities
    if method == "DELETE":
        activities.stream_ended(stream_key, content_state, response)
        return
    if response.get("operation") in ("started", "rotated"):
        clear_limit_issue(hass, entry)
    activities.stream_reconciled(stream_key, content_state or {}, response)
