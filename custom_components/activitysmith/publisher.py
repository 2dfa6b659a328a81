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

Each start asks the account's slot ledger (`slots`) first: it goes out, goes out
after ending a less important activity, or waits. A waiting stream "runs" (an end
withdraws it, sending nothing); the ledger starts it when a slot frees, through the
entry's `slot_owner.EntrySlots`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import logging
from typing import Any, Final

from homeassistant.core import HomeAssistant

from . import content
from .client import (
    ActivitySmithClient,
    ActivitySmithDroppedError,
    ActivitySmithError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNotFoundError,
    JsonObject,
    StreamRequest,
)
from .const import ATTR_AUTO_DISMISS_MINUTES, ATTR_MIN_INTERVAL, Priority
from .failures import message_of, translated
from .records import OPERATION_PREEMPTED, OPERATION_WAITING
from .slots import Admission, Slot, SlotLedger
from .store import ActivityTracker
from .webhook import ButtonPresses

_LOGGER = logging.getLogger(__name__)

type FailureListener = Callable[[ActivitySmithError], None]

# The longest a start waits for the end of the activity it preempts to be answered.
PREEMPTION_END_WAIT: Final = 20.0

# What a stream's later start (from the waiting list) needs of how it was asked for.
KEPT_REQUEST_FIELDS: Final = frozenset(
    {*content.REQUEST_FIELDS_SENT, "channels", ATTR_MIN_INTERVAL}
)


class StreamPublisher:
    """Sends an entry's stream requests and records what ActivitySmith answered."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: ActivitySmithClient,
        activities: ActivityTracker,
        buttons: ButtonPresses,
        ledger: SlotLedger,
        entry_id: str,
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
        self.ledger = ledger
        self.entry_id = entry_id
        self._on_failure = on_failure
        self._on_started = on_started
        self._on_answered = on_answered
        # Per stream key: the method of the last request issued (sent or queued).
        self._last_method: dict[str, str] = {}
        # Streams to forget once their end is answered (a removed tracked entity).
        self._forget_when_ended: set[str] = set()
        # Per stream key: who hears of its failed and accepted updates (recipients).
        self._failure_listeners: dict[str, FailureListener] = {}
        self._answer_listeners: dict[str, Callable[[], None]] = {}
        # Per stream key: how it was last asked for (for a start from the waiting
        # list, and a preemption's end): request fields, buttons optional, priority.
        self._asked: dict[str, Asked] = {}
        # Per stream key: a preemption's queued end, answered (or failed) once set.
        self._ending: dict[str, asyncio.Event] = {}
        client.on_stream_result = self._record_queued

    def running(self, stream_key: str) -> bool:
        """Whether the stream shows something on the phone, or is about to."""
        if (method := self._last_method.get(stream_key)) is not None:
            return method == "PUT"
        return self._activities.streams.running_content(stream_key) is not None

    def latest_content(self, stream_key: str) -> dict[str, Any] | None:
        """The newest content of a running stream, sent or waiting (to merge into)."""
        return self._activities.streams.running_content(stream_key)

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
        priority: Priority = Priority.NORMAL,
        name: str | None = None,
    ) -> JsonObject:
        """PUT a checked content state (plus the request fields in `request`).

        A stream that holds no slot starts only if the ledger lets it; else it waits
        (the answer says `operation: waiting`). With `buttons_optional`,
        home_assistant buttons that cannot reach home now are left out instead of
        failing the request.
        """
        asked = Asked(
            {k: v for k, v in request.items() if k in KEPT_REQUEST_FIELDS},
            buttons_optional,
            priority,
            name or _name(content_state),
        )
        self._asked[stream_key] = asked
        if self._last_method.get(stream_key) == "DELETE":
            # Its end is still on its way: this PUT starts it again after it.
            self.ledger.unconfirm(stream_key)
        if not self.ledger.is_shown(stream_key):
            admission, victim = self.ledger.admit(
                stream_key, self.entry_id, asked.name, priority
            )
            if admission is Admission.WAIT:
                return self.wait(stream_key, content_state)
            if victim is not None:
                await self.ledger.preempt(victim)
        return await self.put(stream_key, content_state, asked)

    async def put(
        self, stream_key: str, content_state: dict[str, Any], asked: Asked
    ) -> JsonObject:
        """PUT a stream that holds its slot; a limit answer puts it back to wait."""
        resolved = await self._buttons.async_resolve(
            asked.request, stream_key=stream_key, optional=asked.buttons_optional
        )
        body = content.request_body(content_state, resolved, channels_key="channels")
        self._last_method[stream_key] = "PUT"
        try:
            response = await self._client.put_stream(
                stream_key,
                body,
                context=content_state,
                min_interval=asked.request.get(ATTR_MIN_INTERVAL),
                starts=not self.ledger.is_confirmed(stream_key),
            )
        except ActivitySmithLiveActivityLimitError as err:
            self.ledger.refused(stream_key, err.limit)
            return self.wait(stream_key, content_state)
        except ActivitySmithError as err:
            if not self.ledger.is_confirmed(stream_key):
                self.ledger.release(stream_key)  # its start failed: not on the phone
            self._failed(stream_key, err)
            raise
        if response.get("queued"):
            self._activities.streams.queued(stream_key, content_state)
        else:
            self._record_put(stream_key, content_state, response)
        return response

    def wait(
        self, stream_key: str, content_state: dict[str, Any], *, preempted: bool = False
    ) -> JsonObject:
        """Put the stream on the waiting list with its newest content."""
        asked = self._asked[stream_key]
        self._last_method[stream_key] = "PUT"
        self._activities.streams.waiting(
            stream_key,
            content_state,
            OPERATION_PREEMPTED
            if preempted or self.ledger.is_preempted(stream_key)
            else OPERATION_WAITING,
        )
        self.ledger.wait(
            stream_key,
            self.entry_id,
            asked.name,
            asked.priority,
            asked.request,
            preempted=preempted,
        )
        return {"stream_key": stream_key, "operation": OPERATION_WAITING}

    def asked_for(self, slot: Slot) -> Asked:
        """How the stream of `slot` was last asked for (from the ledger after a restart)."""
        return self._asked.setdefault(
            slot.slot_id, Asked(slot.request, True, slot.priority, slot.name)
        )

    async def end_to_make_room(self, stream_key: str) -> None:
        """End a shown stream at once (dismissed); it waits to come back.

        Its end is not recorded as one: the stream waits, and its sensor says why.
        Returns once ActivitySmith has answered the end (or after
        `PREEMPTION_END_WAIT`), so the start that takes the slot never reaches it
        first: an end queued behind the stream's own update on the wire would
        otherwise go after that start, and the server would refuse it.
        """
        last = self._activities.streams.running_content(stream_key) or {}
        self.wait(stream_key, last, preempted=True)
        final = {**last, ATTR_AUTO_DISMISS_MINUTES: 0} if last else None
        body = content.request_body(final, {})
        ended = self._ending[stream_key] = asyncio.Event()
        try:
            response = await self._client.end_stream(stream_key, body or None)
            if not response.get("queued"):
                self._on_answered()
                return
            async with asyncio.timeout(PREEMPTION_END_WAIT):
                await ended.wait()
        except TimeoutError:
            _LOGGER.warning("The end of %s to make room is still queued", stream_key)
        finally:
            if self._ending.get(stream_key) is ended:
                del self._ending[stream_key]

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
        A stream that waits for a slot leaves the waiting list; nothing is sent.
        """
        if self.ledger.withdraw(stream_key):
            self._last_method[stream_key] = "DELETE"
            self._record_end(stream_key, None, {})
            return {"stream_key": stream_key, "operation": "withdrawn"}
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
            self._activities.streams.queued(stream_key, content_state)
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
        if not request.is_update and (ending := self._ending.pop(key, None)):
            ending.set()  # a preemption's end: the start it makes room for may go
        if (
            isinstance(result, ActivitySmithLiveActivityLimitError)
            and request.is_update
            and key in self._asked
        ):
            self.ledger.refused(key, result.limit)
            self.wait(key, content_state or {})
            return
        if not isinstance(result, Exception):
            if request.is_update:
                self._record_put(key, content_state or {}, result)
            else:
                self._on_answered()
                self._record_end(key, content_state, result)
            return
        if request.is_update and not self.ledger.is_confirmed(key):
            self.ledger.release(key)  # its start failed: not on the phone
        if isinstance(result, ActivitySmithDroppedError):
            self._activities.streams.not_delivered(key, content_state, None)
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
            self._activities.streams.not_delivered(key, content_state, message)

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
        activity_id = response.get("activity_id")
        self.ledger.started(
            stream_key, activity_id if isinstance(activity_id, str) else None
        )
        self._activities.streams.reconciled(stream_key, content_state, response)

    def _record_end(
        self,
        stream_key: str,
        content_state: dict[str, Any] | None,
        response: JsonObject,
    ) -> None:
        if self.ledger.is_waiting(stream_key):
            return  # preempted: it waits to come back, its record says so
        if self._last_method.get(stream_key) != "PUT":
            self.ledger.release(stream_key)
        # Else a start was asked for after this end (its PUT follows it on the wire):
        # the slot stays the stream's, or another start would take it meanwhile.
        self._activities.streams.ended(stream_key, content_state, response)
        if stream_key in self._forget_when_ended and not self.running(stream_key):
            self._forget(stream_key)

    def _forget(self, stream_key: str) -> None:
        self._forget_when_ended.discard(stream_key)
        self._last_method.pop(stream_key, None)
        self._asked.pop(stream_key, None)
        self._activities.streams.forget(stream_key)


@dataclass(slots=True)
class Asked:
    """How a stream was last asked for: what its start from the waiting list needs."""

    request: dict[str, Any]
    buttons_optional: bool
    priority: Priority
    name: str


def _name(content_state: Mapping[str, Any]) -> str:
    """What the slots sensor calls an activity: its title, else its type."""
    return str(content_state.get("title") or content_state.get("type") or "?")


def _listen[T](
    listeners: dict[str, T], stream_key: str, listener: T
) -> Callable[[], None]:
    """Set the stream's listener in `listeners`; return what removes it."""
    listeners[stream_key] = listener

    def remove() -> None:
        if listeners.get(stream_key) is listener:
            del listeners[stream_key]

    return remove
