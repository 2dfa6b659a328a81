"""The stream actions: send a stream's latest state, and end a stream.

ActivitySmith starts, updates and rotates a stream's Live Activity itself; the handlers
complete a partial state from the stream's last one, check the type's rules and hand it
to the entry's stream publisher, which sends it (now, or queued by the client's budget)
and records the answer for the stream's sensor. Client errors are translated here.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import ServiceCall, ServiceResponse

from . import content
from .actions import entry_for
from .client import ActivitySmithError
from .const import (
    ATTR_AUTO_DISMISS_MINUTES,
    ATTR_AUTO_DISMISS_SECONDS,
    ATTR_PRIORITY,
    ATTR_STREAM_KEY,
    Priority,
)
from .failures import translated
from .recipient_issues import reached, translated_for
from .recipient_runs import stream_delivery
from .records import OPERATION_WAITING


async def stream_live_activity(call: ServiceCall) -> ServiceResponse:
    """Send the latest state of a stream; ActivitySmith starts, updates or rotates it.

    Recipients are resolved when the stream starts and kept until it ends.
    """
    entry = entry_for(call)
    data = entry.runtime_data
    publisher = data.publisher
    stream_key: str = call.data[ATTR_STREAM_KEY]
    last = publisher.latest_content(stream_key)
    content_state = content.merge(last, content.content_of(call.data))
    phase: content.Phase = "start" if last is None else "update"
    content_state = content.validate(content_state, phase, call.data)
    request, delivery = stream_delivery(
        call.hass,
        entry,
        call.data,
        data.recipient_runs,
        stream_key=stream_key,
        running=publisher.running(stream_key),
    )
    if delivery is not None and not delivery.sent:
        return delivery.not_sent()
    try:
        response = await publisher.send(
            stream_key,
            content_state,
            request,
            priority=Priority.parse(call.data.get(ATTR_PRIORITY, "normal")),
        )
    except ActivitySmithError as err:
        raise translated_for(call.hass, entry, delivery, err) from err
    if delivery is None:
        return response
    if not response.get("queued") and response.get("operation") != OPERATION_WAITING:
        reached(call.hass, entry, delivery)  # (a queued or waiting one may yet fail)
    return {**response, "sent": True}


async def end_live_activity_stream(call: ServiceCall) -> ServiceResponse:
    """End a stream, optionally with a final state; an unknown stream is reported."""
    data = entry_for(call).runtime_data
    publisher = data.publisher
    stream_key: str = call.data[ATTR_STREAM_KEY]
    data.recipient_runs.pop(stream_key, None)
    final = content.content_of(call.data)
    wants_content = bool(final) or any(
        name in call.data
        for name in (ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS)
    )
    content_state: dict[str, Any] | None = None
    if wants_content:
        content_state = content.merge(publisher.latest_content(stream_key), final)
        content_state = content.validate(content_state, "end", call.data)
    try:
        return await publisher.end(stream_key, content_state, call.data)
    except ActivitySmithError as err:
        raise translated(err, "stream_not_found", stream_key=stream_key) from err
