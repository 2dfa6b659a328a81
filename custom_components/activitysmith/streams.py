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


async def stream_live_activity(call: ServiceCall) -> ServiceResponse:
    """Send the latest state of a stream; ActivitySmith starts, updates or rotates it."""
    publisher = entry_for(call).runtime_data.publisher
    stream_key: str = call.data[ATTR_STREAM_KEY]
    last = publisher.latest_content(stream_key)
    content_state = content.merge(last, content.content_of(call.data))
    phase: content.Phase = "start" if last is None else "update"
    content_state = content.validate(content_state, phase, call.data)
    try:
        return await publisher.send(
            stream_key,
            content_state,
            call.data,
            priority=Priority.parse(call.data.get(ATTR_PRIORITY, "normal")),
        )
    except ActivitySmithError as err:
        raise translated(err) from err


async def end_live_activity_stream(call: ServiceCall) -> ServiceResponse:
    """End a stream, optionally with a final state; an unknown stream is reported."""
    publisher = entry_for(call).runtime_data.publisher
    stream_key: str = call.data[ATTR_STREAM_KEY]
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
