"""Sends the newest value of each source, fairly, within one feature's allowance.

The tracked metrics share one `PacedSender` (the metrics allowance, 300 a minute), the
badge has its own (the badges allowance): neither delays streams, whose allowance is
another. Per source the newest value wins: a value waiting is replaced by a newer one,
and dropped when the newer one is what the widget already shows (or is about to). A
source sends at most once per its interval; when several are due, the one served
longest ago goes first, so a busy metric never starves a quiet one. Sends are spread
over the allowance's window: at most `BURST` in any `BURST` spacings (one spacing is
the window over the quota), so metrics due together go at once while the long-run rate
never exceeds the allowance, never a burst of the whole allowance followed by a stall;
and each waits for the budget (which also follows what the server says is left). One request is on the wire at a time. A
failure that another try may not meet (no answer, a 5xx, a 429 or a spent budget) is
tried again after the interval, unless a newer value came; any other failure waits for
the next change.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import math
import time
from typing import Any, Final, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from ..client import (
    WINDOW_SECONDS,
    ActivitySmithBudgetExhaustedError,
    ActivitySmithError,
    RequestBudget,
)
from ..client.budget import WINDOW_MARGIN
from ..client.transport import worth_another_try
from .config import MetricValue

# How long an unload waits for a request already on the wire.
IDLE_TIMEOUT: Final = 10.0
# Sends that may go back to back before the spacing applies (then one per spacing).
BURST: Final = 10

type SendValue = Callable[[MetricValue], Awaitable[Any]]
type ResultListener = Callable[[MetricValue, ActivitySmithError | None], None]


def spacing_for(budget: RequestBudget, scope: str) -> float:
    """Seconds between two sends of the feature: its allowance spread over the window."""
    return (WINDOW_SECONDS + WINDOW_MARGIN) / max(1, budget.quota(scope))


def retried(err: ActivitySmithError) -> bool:
    """Whether a failed send is tried again after the interval."""
    return isinstance(err, ActivitySmithBudgetExhaustedError) or worth_another_try(err)


class _Nothing:
    """No value waits."""


NOTHING: Final = _Nothing()


@dataclass(slots=True)
class _Source:
    send: SendValue
    on_result: ResultListener
    interval: float
    # What the widget shows or is about to (a send on the wire); None: unknown.
    current: MetricValue | None
    pending: MetricValue | _Nothing = NOTHING
    last_sent_at: float | None = None
    in_flight: bool = False

    def due_at(self) -> float:
        if self.last_sent_at is None:
            return -math.inf
        return self.last_sent_at + self.interval


def _served(source: _Source) -> float:
    """When the source was last sent (never: first)."""
    return -math.inf if source.last_sent_at is None else source.last_sent_at


class PacedSender:
    """The sources of one feature of one entry, and the one request they have out."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        budget: RequestBudget,
        scope: str,
    ) -> None:
        """Send nothing until a source submits a value."""
        self._hass = hass
        self._entry = entry
        self._budget = budget
        self._scope = scope
        self._sources: dict[str, _Source] = {}
        self._wire: deque[float] = deque(maxlen=BURST)  # when the last sends left
        self._task: asyncio.Task[None] | None = None
        self._cancel_wake: Callable[[], None] | None = None
        self._stopped = False

    @callback
    def add(
        self,
        source_id: str,
        *,
        send: SendValue,
        on_result: ResultListener,
        interval: float,
        current: MetricValue | None,
    ) -> None:
        """A new source, or a changed one (its last send still counts for the interval).

        A request of the old one still on the wire no longer reports to anyone.
        """
        old = self._sources.get(source_id)
        self._sources[source_id] = _Source(
            send,
            on_result,
            interval,
            current,
            last_sent_at=old.last_sent_at if old else None,
        )

    @callback
    def remove(self, source_id: str) -> None:
        """Forget a source; what it had waiting is not sent."""
        self._sources.pop(source_id, None)

    @callback
    def submit(self, source_id: str, value: MetricValue) -> None:
        """The newest value of a source: sent once its turn and interval come."""
        if self._stopped or (source := self._sources.get(source_id)) is None:
            return
        source.pending = NOTHING if value == source.current else value
        self._kick()

    def waiting(self, source_id: str) -> MetricValue | None:
        """The value that waits to be sent for a source, if any."""
        source = self._sources.get(source_id)
        if source is None or isinstance(source.pending, _Nothing):
            return None
        return source.pending

    @callback
    def stop(self) -> None:
        """Send nothing more (unload); a request on the wire may still finish."""
        self._stopped = True
        if self._cancel_wake is not None:
            self._cancel_wake()
            self._cancel_wake = None

    async def async_idle(self, within: float = IDLE_TIMEOUT) -> None:
        """Wait for the request on the wire, if any (at most `within` seconds)."""
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task}, timeout=within)

    @callback
    def _woken(self, *_: Any) -> None:
        self._cancel_wake = None
        self._kick()

    @callback
    def _kick(self) -> None:
        if self._stopped or (self._task is not None and not self._task.done()):
            return
        # Not eager: the changes made in the same turn of the loop go as one.
        self._task = self._entry.async_create_background_task(
            self._hass,
            self._drain(),
            f"activitysmith {self._scope} sends",
            eager_start=False,
        )

    def _wake_in(self, seconds: float) -> None:
        if self._cancel_wake is not None:
            self._cancel_wake()
        self._cancel_wake = async_call_later(self._hass, max(0.0, seconds), self._woken)

    async def _drain(self) -> None:
        while not self._stopped:
            now = time.monotonic()
            waiting = [
                (source_id, source)
                for source_id, source in self._sources.items()
                if not isinstance(source.pending, _Nothing) and not source.in_flight
            ]
            if not waiting:
                return
            due = min(source.due_at() for _, source in waiting)
            wait = max(
                due - now,
                self._budget.wait_time(scope=self._scope),
                self._spacing_wait(now),
            )
            if wait > 0:
                self._wake_in(wait)
                return
            # The one served longest ago among those due: fair under a busy budget.
            source_id, source = min(
                ((i, s) for i, s in waiting if s.due_at() <= now),
                key=lambda item: _served(item[1]),
            )
            await self._send(source_id, source, now)

    def _spacing_wait(self, now: float) -> float:
        """Seconds until the spread allows another send: BURST per BURST spacings."""
        if len(self._wire) < BURST:
            return 0.0
        return self._wire[0] + BURST * spacing_for(self._budget, self._scope) - now

    async def _send(self, source_id: str, source: _Source, now: float) -> None:
        value = cast(MetricValue, source.pending)  # only sources with a value are due
        previous, source.current, source.pending = source.current, value, NOTHING
        source.in_flight, source.last_sent_at = True, now
        self._wire.append(now)
        error: ActivitySmithError | None = None
        try:
            await source.send(value)
        except ActivitySmithError as err:
            error = err
        finally:
            source.in_flight = False
        if self._sources.get(source_id) is not source:
            return  # removed or changed while on the wire
        if error is not None:
            source.current = previous
            if retried(error) and isinstance(source.pending, _Nothing):
                source.pending = value
            if source.pending == source.current:
                source.pending = NOTHING
        source.on_result(value, error)
