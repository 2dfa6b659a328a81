"""A run: one appliance cycle, from its start to its end, and what it measured.

The state a run condition (`conditions`) drives: whether a start is pending (since
when), whether the run is on (started when), a pending end, the peak value, and, for
a value that must change, the last value and when it last changed. It is stored with
the entry's activities (`store.ActivityTracker.runs`), so a restart continues a run
or a pending start from where it was. A finished run leaves its `RunSummary` for the
final content and the "done" push of that moment; the summary is never stored, so a
restart never says "done" twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
import enum
import math
from typing import Any

from homeassistant.util import dt as dt_util


class RunPhase(enum.StrEnum):
    """Where a run is."""

    IDLE = "idle"
    STARTING = "starting"  # the start condition holds, not yet for long enough
    RUNNING = "running"


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run that just ended: when it started and ended, and its highest value."""

    started: datetime
    ended: datetime
    peak: float | None

    @property
    def elapsed(self) -> int:
        """How long it ran, in whole seconds."""
        return max(0, round((self.ended - self.started).total_seconds()))


_TIMES = ("pending_since", "started", "end_since", "last_change", "paused_at")


@dataclass(slots=True)
class Run:
    """The run of one tracked entity (changed by `conditions.RunCondition`)."""

    phase: RunPhase = RunPhase.IDLE
    pending_since: datetime | None = None
    started: datetime | None = None
    end_since: datetime | None = None
    peak: float | None = None
    last_value: float | None = None
    last_change: datetime | None = None
    # Since when there has been no number: the clocks of a pending start or end wait.
    paused_at: datetime | None = None
    # The run that ended at the last observation (not stored).
    ended: RunSummary | None = field(default=None, compare=False)

    def see(self, value: float) -> None:
        """Count `value` towards the peak."""
        self.peak = value if self.peak is None else max(self.peak, value)

    def resume(self, now: datetime) -> None:
        """A number is back: pending clocks go on where they stopped (if paused)."""
        if self.paused_at is None:  # pragma: no cover - the condition checks first
            return
        gap = now - self.paused_at
        self.paused_at = None
        if self.pending_since is not None:
            self.pending_since += gap
        if self.end_since is not None:
            self.end_since += gap
        if self.last_change is not None and self.phase is RunPhase.RUNNING:
            self.last_change += gap

    def reset(self) -> None:
        """Back to idle (a value that must change keeps its last value)."""
        self.phase = RunPhase.IDLE
        self.pending_since = self.started = self.end_since = self.peak = None
        self.paused_at = None

    def finish(self, ended: datetime) -> None:
        """The run ended at `ended`: keep its summary, go back to idle."""
        self.ended = RunSummary(self.started or ended, ended, self.peak)
        self.reset()

    def variables(self, now: datetime) -> dict[str, Any]:
        """`run_started`, `run_elapsed` (seconds) and `run_peak` for the templates.

        Of the run that is on, else of the one that just ended, else None.
        """
        if self.phase is RunPhase.RUNNING and self.started is not None:
            elapsed = max(0, round((now - self.started).total_seconds()))
            return {
                "run_started": self.started,
                "run_elapsed": elapsed,
                "run_peak": self.peak,
            }
        if (summary := self.ended) is not None:
            return {
                "run_started": summary.started,
                "run_elapsed": summary.elapsed,
                "run_peak": summary.peak,
            }
        return {"run_started": None, "run_elapsed": None, "run_peak": None}

    def as_stored(self) -> dict[str, Any]:
        """The run as plain data (times as ISO text), for the store."""
        stored: dict[str, Any] = {"phase": self.phase.value}
        for name in _TIMES:
            if (moment := getattr(self, name)) is not None:
                stored[name] = moment.isoformat()
        if self.peak is not None:
            stored["peak"] = self.peak
        if self.last_value is not None:
            stored["last_value"] = self.last_value
        return stored

    @classmethod
    def from_stored(cls, stored: object) -> Run:
        """A stored run; what cannot be read starts idle (never a start from junk)."""
        if not isinstance(stored, dict):
            return cls()
        try:
            run = cls(phase=RunPhase(stored.get("phase", RunPhase.IDLE)))
            for name in _TIMES:
                if (text := stored.get(name)) is not None:
                    setattr(run, name, _moment(text))
            run.peak = _number(stored.get("peak"))
            run.last_value = _number(stored.get("last_value"))
        except ValueError, TypeError:
            return cls()
        if run.phase is RunPhase.RUNNING and run.started is None:
            return cls()
        return run


def _moment(text: object) -> datetime:
    moment = dt_util.parse_datetime(str(text))
    if moment is None:
        raise ValueError(text)
    return dt_util.as_utc(moment)


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(str(value))  # ValueError: junk
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def duration_text(seconds: int) -> str:
    """A run's length as people write it: 45 s, 12 min, 1 h 12 min."""
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)  # whole minutes, as a clock counts
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
