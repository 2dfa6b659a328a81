"""The one way content reaches a stream: send it, end it, record the answer.

Actions (`stream_live_activity`, `end_live_activity_stream`) and tracked entities alike
send through the entry's `StreamPublisher`. It resolves `home_assistant` buttons,
builds the body, hands it to the client (which sends it now or queues it behind the
budget) and records every answer in the store, whether it came back at once or from
the queue later. It raises the client's own errors: they are translated once, by the
action or the tracked entity that asked.

Whether a stream runs is the publisher's to say, from the last request it issued for
the stream (even one still queued or on the wire), falling back to the store for
streams it has not touched since set-up. So the last request of a stream that reaches
the server always matches the last decision, whatever was in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import logging
from typing import Any

from homeassistant.core import HomeAssistant

from . import content
from .client import (
    ActivitySmithClient,
    ActivitySmithDroppedError,
    ActivitySmithError,
    ActivitySmithNotFoundError,
    JsonObject,
    StreamRequest,
)
from .const import ATTR_MIN_INTERVAL
from .failures import message_of, translated
from .store import ActivityTracker
from .webhook import ButtonPresses

_LOGGER = logging.getLogger(__name__)

type FailureListener = Callable[[ActivitySmithError], None]


class StreamPublisher:
    """Sends an entry's stream requests and records what ActivitySmith answered."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: ActivitySmithClient,
        activities: ActivityTracker,
        buttons: ButtonPresses,
        *,
        on_failure: FailureListener,
        on_started: Callable[[], None],
        on_answered: Callable[[], None],
    ) -> None:
        """Record the client's queued answers from now on.

        `on_failure` acts on what a failure means beyond its message (reauth, the
        limit and billing repairs); `on_started` hears that a Live Activity started;
        `on_answered` that ActivitySmith accepted a request (now or from the queue).
        """
        self._hass = hass
        self._client = client
        self._activities = activities
        self._buttons = buttons
        self._on_failure = on_failure
        self._on_started = on_started
        self._on_answered = on_answered
        # Per stream key: the method of the last request issued (sent or queued).
        self._last_method: dict[str, str] = {}
        self._failure_listeners: dict[str, FailureListener] = {}
        self._answer_listeners: dict[str, Callable[[], None]] = {}
        # Streams to forget once their end is answered (a removed tracked entity).
        self._forget_when_ended: set[str] = set()
        client.on_stream_result = self._record_queued

    def running(self, stream_key: str) -> bool:
        """Whether the stream shows something on the phone, or is about to."""
        if (method := self._last_method.get(stream_key)) is not None:
            return method == "PUT"
        return self._activities.running_stream_content(stream_key) is not None

    def latest_content(self, stream_key: str) -> dict[str, Any] | None:
        """The newest content of a running stream, sent or waiting (to merge into)."""
        return self._activities.running_stream_content(stream_key)

    def listen_failures(
        self, stream_key: str, listener: FailureListener
    ) -> Callable[[], None]:
        """Tell `listener` of every failed request of the stream, sent now or queued."""
        return _listen(self._failure_listeners, stream_key, listener)

    def listen_answers(
        self, stream_key: str, listener: Callable[[], None]
    ) -> Callable[[], None]:
        """Tell `listener` of every accepted update of the stream, now or queued."""
        return _listen(self._answer_listeners, stream_key, listener)

    async def send(
        self,
        stream_key: str,
        content_state: dict[str, Any],
        request: Mapping[str, Any],
        *,
        buttons_optional: bool = False,
    ) -> JsonObject:
        """PUT a checked content state (plus the request fields in `request`).

        With `buttons_optional`, home_assistant buttons that cannot reach home now are
        left out instead of failing the request.
        """
        resolved = await self._buttons.async_resolve(
            request, stream_key=stream_key, optional=buttons_optional
        )
        body = content.request_body(content_state, resolved, channels_key="channels")
        self._last_method[stream_key] = "PUT"
        try:
            response = await self._client.put_stream(
                stream_key,
                body,
                context=content_state,
                min_interval=request.get(ATTR_MIN_INTERVAL),
            )
        except ActivitySmithError as err:
            self._failed(stream_key, err)
            raise
        if response.get("queued"):
            self._activities.stream_queued(stream_key, content_state)
        else:
            self._record_put(stream_key, content_state, response)
        return response

    async def end(
        self,
        stream_key: str,
        content_state: dict[str, Any] | None,
        request: Mapping[str, Any],
        *,
        buttons_optional: bool = False,
    ) -> JsonObject:
        """DELETE a stream, with a checked final state if any.

        Without a final state ActivitySmith ends the stream with the last one it has.
        """
        resolved = await self._buttons.async_resolve(
            request, stream_key=stream_key, optional=buttons_optional
        )
        final = (
            content.with_auto_dismiss(content_state, resolved)
            if content_state
            else None
        )
        body = content.request_body(final, resolved)
        self._last_method[stream_key] = "DELETE"
        try:
            response = await self._client.end_stream(
                stream_key, body or None, context=content_state
            )
        except ActivitySmithError as err:
            self._failed(stream_key, err)
            if isinstance(err, ActivitySmithNotFoundError):
                # ActivitySmith no longer has it: the sensor must not pretend it runs.
                self._record_end(stream_key, None, {})
            raise
        if response.get("queued"):
            self._activities.stream_queued(stream_key, content_state)
        else:
            self._on_answered()
            self._record_end(stream_key, content_state, response)
        return response

    def forget_when_ended(self, stream_key: str) -> None:
        """Forget the stream once it has ended (now, if it is not running)."""
        if self.running(stream_key):
            self._forget_when_ended.add(stream_key)
        else:
            self._forget(stream_key)

    def _record_queued(
        self, request: StreamRequest, result: JsonObject | Exception
    ) -> None:
        """A queued request was finally sent (`result` is the answer), failed or dropped."""
        key = request.stream_key
        content_state: dict[str, Any] | None = request.context
        if not isinstance(result, Exception):
            if request.is_update:
                self._record_put(key, content_state or {}, result)
            else:
                self._on_answered()
                self._record_end(key, content_state, result)
            return
        if isinstance(result, ActivitySmithDroppedError):
            self._activities.stream_not_delivered(key, content_state, None)
            return
        if not isinstance(result, ActivitySmithError):  # pragma: no cover (typed)
            raise result
        _LOGGER.warning(
            "Queued %s of stream %s failed: %s", request.method, key, result
        )
        self._failed(key, result)
        if isinstance(result, ActivitySmithNotFoundError) and not request.is_update:
            self._record_end(key, None, {})
        else:
            message = message_of(self._hass, translated(result))
            self._activities.stream_not_delivered(key, content_state, message)

    def _failed(self, stream_key: str, err: ActivitySmithError) -> None:
        self._on_failure(err)
        if (listener := self._failure_listeners.get(stream_key)) is not None:
            listener(err)

    def _record_put(
        self, stream_key: str, content_state: dict[str, Any], response: JsonObject
    ) -> None:
        self._on_answered()
        if (listener := self._answer_listeners.get(stream_key)) is not None:
            listener()
        if response.get("operation") in ("started", "rotated"):
            self._on_started()
        self._activities.stream_reconciled(stream_key, content_state, response)

    def _record_end(
        self,
        stream_key: str,
        content_state: dict[str, Any] | None,
        response: JsonObject,
    ) -> None:
        self._activities.stream_ended(stream_key, content_state, response)
        if stream_key in self._forget_when_ended and not self.running(stream_key):
            self._forget(stream_key)

    def _forget(self, stream_key: str) -> None:
        self._forget_when_ended.discard(stream_key)
        self._last_method.pop(stream_key, None)
        self._activities.forget_stream(stream_key)


def _listen[T](
    listeners: dict[str, T], stream_key: str, listener: T
) -> Callable[[], None]:
    """Set the stream's listener in `listeners`; return what removes it."""
    listeners[stream_key] = listener

    def remove() -> None:
        if listeners.get(stream_key) is listener:
            del listeners[stream_key]

    return remove
