"""When a run starts and ends: thresholds held for a duration, or a value that changes.

A tracked entity whose "when it shows" is a run condition (`RunConfig`) is shown while
its run is on, not while its state is in a list. Two kinds:

- a threshold (`above` or `below`): the run starts once the value has been above (below)
  the start threshold for the start duration, and ends once it has been below (above)
  the end threshold for the end duration. Two thresholds and two durations give
  hysteresis: a dip shorter than the end duration is still the same run;
- `changing`: the run is on while the value changed within the last N seconds.

`RunCondition` is the engine, without Home Assistant's clock: it is told each value
(or None, when there is no number) and the time, changes the `Run` it drives
(`runs.Run`, persisted by the tracked entity) and says when the next decision falls
due if nothing changes. A value that is not a number never starts or ends a run: it
pauses the clocks of a pending start or end, which count on from where they were
once a number is back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import enum
from typing import Any, Final

from .runs import Run, RunPhase

CONF_CONDITION: Final = "condition"
CONF_RUN_VALUE: Final = "run_value"
CONF_START_THRESHOLD: Final = "start_threshold"
CONF_START_FOR: Final = "start_for"
CONF_END_THRESHOLD: Final = "end_threshold"
CONF_END_FOR: Final = "end_for"
CONF_CHANGED_WITHIN: Final = "changed_within"
CONF_DONE_MESSAGE: Final = "done_message"
CONF_DONE_PUSH: Final = "done_push"
CONF_PUSH_TITLE: Final = "push_title"
CONF_PUSH_MESSAGE: Final = "push_message"
CONF_PUSH_BUTTON_TITLE: Final = "push_button_title"
CONF_PUSH_BUTTON_ACTION: Final = "push_button_action"

# Every duration of a run condition, in seconds: at least a second, at most a day.
MIN_DURATION: Final = 1.0
MAX_DURATION: Final = 24 * 3600.0
DEFAULT_CHANGED_WITHIN: Final = 600.0


class ConditionKind(enum.StrEnum):
    """What decides that a tracked entity is shown."""

    STATES = "states"  # show states, end states or the show template (no run)
    ABOVE = "above"
    BELOW = "below"
    CHANGING = "changing"


class Transition(enum.StrEnum):
    """What an observed value did to the run."""

    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class RunConfig:
    """A run condition and what its end says, read from a subentry's data."""

    kind: ConditionKind
    value_template: str | None = None
    start_threshold: float = 0.0
    start_for: float = MIN_DURATION
    end_threshold: float = 0.0
    end_for: float = MIN_DURATION
    changed_within: float = DEFAULT_CHANGED_WITHIN
    # The final content's subtitle (a template); None: the translated summary.
    done_message: str | None = None
    push: bool = False
    push_title: str | None = None
    push_message: str | None = None
    # A home_assistant button on the push: its title and action id.
    push_button: tuple[str, str] | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RunConfig | None:
        """The run condition of a subentry's data; None for a states condition."""
        try:
            kind = ConditionKind(data.get(CONF_CONDITION, ConditionKind.STATES))
        except ValueError:
            return None  # a newer version's kind: shown by its states instead
        if kind is ConditionKind.STATES:
            return None
        title, action = (
            data.get(CONF_PUSH_BUTTON_TITLE),
            data.get(CONF_PUSH_BUTTON_ACTION),
        )
        try:
            return cls._read(kind, data, (title, action) if title and action else None)
        except ValueError, TypeError:
            return None  # unreadable (edited by hand): shown by its states instead

    @classmethod
    def _read(
        cls,
        kind: ConditionKind,
        data: Mapping[str, Any],
        button: tuple[str, str] | None,
    ) -> RunConfig:
        return cls(
            kind=kind,
            value_template=data.get(CONF_RUN_VALUE) or None,
            start_threshold=float(data.get(CONF_START_THRESHOLD, 0.0)),
            start_for=float(data.get(CONF_START_FOR, MIN_DURATION)),
            end_threshold=float(data.get(CONF_END_THRESHOLD, 0.0)),
            end_for=float(data.get(CONF_END_FOR, MIN_DURATION)),
            changed_within=float(data.get(CONF_CHANGED_WITHIN, DEFAULT_CHANGED_WITHIN)),
            done_message=data.get(CONF_DONE_MESSAGE) or None,
            push=bool(data.get(CONF_DONE_PUSH, False)),
            push_title=data.get(CONF_PUSH_TITLE) or None,
            push_message=data.get(CONF_PUSH_MESSAGE) or None,
            push_button=button,
        )


def hysteresis_possible(kind: ConditionKind, start: float, end: float) -> bool:
    """Whether a run that started can end: the end threshold is on the start's far side.

    Above 5 W to start, below 2 W to end is fine; below 8 W to end would end a run in
    the very state that started it (equal thresholds are allowed: no hysteresis).
    """
    return end <= start if kind is ConditionKind.ABOVE else end >= start


class RunCondition:
    """Drives a `Run` from the values it is told, one observation at a time."""

    def __init__(self, config: RunConfig, run: Run) -> None:
        """Continue `run` (as restored, or a fresh idle one)."""
        self._config = config
        self.run = run

    def observe(self, value: float | None, now: datetime) -> Transition | None:
        """Take the value seen at `now` (None: not a number); say what it did."""
        run = self.run
        if value is None:
            if run.paused_at is None:
                run.paused_at = now  # the clocks of a pending start or end stop here
            return None
        if run.paused_at is not None:
            run.resume(now)
        if self._config.kind is ConditionKind.CHANGING:
            return self._changing(value, now)
        return self._threshold(value, now)

    def due(self) -> datetime | None:
        """When the next decision falls due if the value stays as it is."""
        run, config = self.run, self._config
        if run.paused_at is not None:
            return None
        if run.phase is RunPhase.STARTING and run.pending_since is not None:
            return run.pending_since + timedelta(seconds=config.start_for)
        if run.phase is RunPhase.RUNNING:
            if config.kind is ConditionKind.CHANGING and run.last_change is not None:
                return run.last_change + timedelta(seconds=config.changed_within)
            if run.end_since is not None:
                return run.end_since + timedelta(seconds=config.end_for)
        return None

    def _threshold(self, value: float, now: datetime) -> Transition | None:
        run, config = self.run, self._config
        above = config.kind is ConditionKind.ABOVE
        if run.phase is RunPhase.RUNNING:
            ends = (
                value < config.end_threshold if above else value > config.end_threshold
            )
            return self._running(value, now, ends=ends)
        starts = (
            value > config.start_threshold if above else value < config.start_threshold
        )
        if not starts:
            run.reset()  # a pending start that no longer holds is forgotten
            return None
        if run.phase is RunPhase.IDLE:
            run.phase, run.pending_since, run.peak = RunPhase.STARTING, now, value
        run.see(value)
        since = run.pending_since or now
        if (now - since).total_seconds() < config.start_for:
            return None
        run.phase, run.started, run.pending_since = RunPhase.RUNNING, since, None
        return Transition.STARTED

    def _running(self, value: float, now: datetime, *, ends: bool) -> Transition | None:
        run = self.run
        run.see(value)
        if not ends:
            run.end_since = None  # a dip shorter than the end duration: the same run
            return None
        if run.end_since is None:
            run.end_since = now
        if (now - run.end_since).total_seconds() < self._config.end_for:
            return None
        run.finish(run.end_since)
        return Transition.ENDED

    def _changing(self, value: float, now: datetime) -> Transition | None:
        run, config = self.run, self._config
        changed = run.last_value is not None and value != run.last_value
        run.last_value = value
        if changed:
            run.last_change = now
        if run.phase is not RunPhase.RUNNING:
            if not changed:
                return None
            run.phase, run.started, run.peak = RunPhase.RUNNING, now, value
            return Transition.STARTED
        run.see(value)
        last = run.last_change or now
        if (now - last).total_seconds() < config.changed_within:
            return None
        run.finish(last)
        return Transition.ENDED
