"""The slots scenario: eight tracked entities of mixed priority, a phone that shows four.

Eight binary sensors are tracked (alert activities, shown while "on"): two low, three
normal, two high, one critical. Over ten minutes they switch on and off on a fixed
schedule (`SCHEDULE`) that fills the four slots, makes more important ones due while
less important ones are shown, and frees slots while others wait. The fake API enforces
a limit of 4 active streams (a start beyond it is answered with the spec's 429
`LiveActivityLimitError`) and counts its refusals. While on, each entity changes an
attribute its subtitle shows (every 0.25 s by default), so the four shown keep the
budget busy and a start competes with their updates.

By default the scenario runs ten times faster than real time: the schedule and the
ledger's own times (`slots.MIN_SHOWN`, `slots.PREEMPT_EVERY`, `slots.PROBE_BACKOFF`)
are divided by `scale`; the budget is the real one (a stream request every 0.212 s).
`BENCH_SLOTS_SCALE=1` runs it at full length with the integration's own times.

Everything is measured from what reached the wire (`analyse`, pure, so the tests feed it
made-up traffic): the most activities active at once, a high activity's time to the
wire when it becomes due while four lower ones run (not counting the ones that had to
wait for the dwell or the pace, which are counted apart), each start's time from the
slot freeing it used, the longest a slot stayed free while an activity was due and not
shown, and the preemptions (the ends with `auto_dismiss_minutes` 0) per minute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
import itertools
import statistics
import sys
import time
from typing import Any

CAPACITY = 4
# The ledger's times at full scale (custom_components/activitysmith/slots/model.py).
MIN_SHOWN = 60.0
PREEMPT_EVERY = 30.0
PROBE_BACKOFF = (60.0, 120.0, 300.0, 600.0)
SLOTS_MODULE = "custom_components.activitysmith.slots.model"
# What a phone does with the Live Activities (priority levels as const.Priority).
PRIORITIES = {"low": 0, "normal": 1, "high": 2, "critical": 3}
HIGH = PRIORITIES["high"]
CRITICAL = PRIORITIES["critical"]
# The entities: a name each, and its priority.
ENTITIES = {
    "low_a": "low",
    "low_b": "low",
    "normal_a": "normal",
    "normal_b": "normal",
    "normal_c": "normal",
    "high_a": "high",
    "high_b": "high",
    "critical_a": "critical",
}
# (second at full scale, entity, on): ten minutes. Comments: what the ledger should do.
SCHEDULE: tuple[tuple[float, str, bool], ...] = (
    # One after the other: four starts at once would wait for the budget's turns.
    (0, "low_a", True),
    (5, "low_b", True),
    (10, "normal_a", True),
    (15, "normal_b", True),  # four shown
    (30, "normal_c", True),  # waits for the dwell; at 60 s it takes low_a's slot
    (95, "high_a", True),  # four lower shown: takes low_b's slot at once
    (120, "normal_a", False),  # low_a comes back
    (150, "high_a", False),  # low_b comes back
    (190, "critical_a", True),  # takes low_a's slot (low_b not shown 60 s yet)
    (240, "high_b", True),  # takes low_b's slot
    (275, "high_a", True),  # takes normal_b's slot (never the critical one's)
    (300, "critical_a", False),  # normal_b comes back
    (330, "high_b", False),  # low_a comes back
    (360, "high_a", False),  # low_b comes back
    (400, "normal_a", True),  # takes low_a's slot
    (440, "high_a", True),  # four lower shown: takes low_b's slot at once
    (480, "high_b", True),  # takes normal_c's slot
    (510, "high_a", False),  # normal_c comes back
    (520, "high_b", False),  # low_a comes back
    (560, "high_b", True),  # four lower shown: takes normal_b's slot at once
    (600, "low_a", False),
    (600, "low_b", False),
    (600, "normal_a", False),
    (600, "normal_b", False),
    (600, "normal_c", False),
    (600, "high_a", False),
    (600, "high_b", False),
    (600, "critical_a", False),
)
DURATION = 600.0

type Request = tuple[float, str, str, Any]
type Event = tuple[float, str, bool]


@dataclass(slots=True)
class Traffic:
    """What the wire says happened to the scenario's streams."""

    # (arrival, key) of each start, and (arrival, key, preempted) of each end.
    starts: list[tuple[float, str]] = field(default_factory=list)
    ends: list[tuple[float, str, bool]] = field(default_factory=list)
    max_active: int = 0
    # Streams still active after the last request.
    active: dict[str, float] = field(default_factory=dict)


def traffic_of(requests: list[Request], keys: set[str]) -> Traffic:
    """Starts and ends of the streams `keys` (a PUT of a stream not active starts it)."""
    traffic = Traffic()
    for arrival, method, path, body in sorted(requests, key=lambda r: r[0]):
        key = path.rsplit("/", 1)[-1]
        if not path.startswith("/api/live-activity/stream/") or key not in keys:
            continue
        if method == "PUT" and key not in traffic.active:
            traffic.active[key] = arrival
            traffic.starts.append((arrival, key))
            traffic.max_active = max(traffic.max_active, len(traffic.active))
        elif method == "DELETE" and traffic.active.pop(key, None) is not None:
            state = (body or {}).get("content_state") or {}
            traffic.ends.append((arrival, key, state.get("auto_dismiss_minutes") == 0))
    return traffic


def _active_at(traffic: Traffic, at: float) -> dict[str, float]:
    """The streams active at `at` (each with its start), from the wire."""
    active: dict[str, float] = {}
    changes = [(t, key, True) for t, key in traffic.starts] + [
        (t, key, False) for t, key, _ in traffic.ends
    ]
    for t, key, started in sorted(changes, key=lambda c: c[0]):
        if t > at:
            break
        if started:
            active[key] = t
        else:
            active.pop(key, None)
    return active


def _due_at(events: list[Event], at: float) -> set[str]:
    due: set[str] = set()
    for t, key, on in sorted(events, key=lambda e: e[0]):
        if t > at:
            break
        (due.add if on else due.discard)(key)
    return due


@dataclass(slots=True)
class Analysis:
    """The scenario's figures (times in seconds of the run, scaled as it ran)."""

    max_active: int
    # A high one due while four lower ones run (dwell and pace allowing): to the wire.
    high_latencies: list[float]
    # High ones due while four lower ones ran, that had to wait for the dwell or pace.
    high_held: int
    # Starts after a slot freed (since the start became due): from the freeing.
    free_to_start: list[float]
    longest_free_while_due: float
    preemptions: list[float]
    critical_preempted: int
    left_active: int


def analyse(
    events: list[Event],
    priorities: dict[str, int],
    requests: list[Request],
    *,
    min_shown: float,
    preempt_every: float,
    capacity: int = CAPACITY,
) -> Analysis:
    """The figures of a run from what the fake saw.

    `events`: when each stream key was switched on or off (on the clock of the
    requests' arrivals); `priorities`: each key's level (as const.Priority).
    """
    traffic = traffic_of(requests, set(priorities))
    preemptions = [t for t, _, preempted in traffic.ends if preempted]
    high_latencies: list[float] = []
    high_held = 0
    for t, key, on in events:
        if not on or priorities[key] != HIGH:
            continue
        active = _active_at(traffic, t)
        if len(active) < capacity or any(priorities[k] >= HIGH for k in active):
            continue  # not four lower ones
        start = next((s for s, k in traffic.starts if k == key and s >= t), None)
        if start is None:
            continue  # never shown: `longest_free_while_due` and the waiting say why
        earlier = [p for p in preemptions if p <= t]
        allowed = any(
            priorities[k] != CRITICAL and t - since >= min_shown
            for k, since in active.items()
        ) and (not earlier or t - earlier[-1] >= preempt_every)
        if allowed:
            high_latencies.append(start - t)
        else:
            high_held += 1
    free_to_start: list[float] = []
    for start, key in traffic.starts:
        became_due = max(
            (t for t, k, on in events if k == key and on and t <= start), default=None
        )
        freed = [t for t, _, _ in traffic.ends if t <= start]
        if became_due is not None and freed and freed[-1] >= became_due:
            free_to_start.append(start - freed[-1])
    return Analysis(
        max_active=traffic.max_active,
        high_latencies=high_latencies,
        high_held=high_held,
        free_to_start=free_to_start,
        longest_free_while_due=_longest_free_while_due(events, traffic, capacity),
        preemptions=preemptions,
        critical_preempted=sum(
            1
            for _, k, preempted in traffic.ends
            if preempted and priorities[k] == CRITICAL
        ),
        left_active=len(traffic.active),
    )


def _longest_free_while_due(
    events: list[Event], traffic: Traffic, capacity: int
) -> float:
    """The longest span in which a slot was free and a due activity was not shown."""
    moments = sorted(
        {t for t, _, _ in events}
        | {t for t, _ in traffic.starts}
        | {t for t, _, _ in traffic.ends}
    )
    longest, began = 0.0, None
    for at in moments:
        active = _active_at(traffic, at)
        waiting = _due_at(events, at) - set(active)
        if len(active) < capacity and waiting:
            began = at if began is None else began
        elif began is not None:
            longest, began = max(longest, at - began), None
    return longest


def most_in_window(times: list[float], window: float) -> int:
    """The most of `times` in any half-open span of `window` seconds."""
    ordered = sorted(times)
    return max(
        (
            sum(1 for t in ordered[i:] if t < start + window)
            for i, start in enumerate(ordered)
        ),
        default=0,
    )


def shortest_gap(times: list[float]) -> float | None:
    """The shortest time between two consecutive `times` (None for fewer than two)."""
    ordered = sorted(times)
    return min((b - a for a, b in itertools.pairwise(ordered)), default=None)


def figures(
    analysis: Analysis,
    *,
    scale: float,
    spacing: float,
    slack: float,
    limit_refusals: int,
    fake_max_active: int,
    timing: Callable[[float], float | None],
) -> list[tuple[str, Any, float | None]]:
    """The report's lines: (name, value, target or None)."""
    minute = 60.0 / scale
    pace = PREEMPT_EVERY / scale
    highs = analysis.high_latencies
    waits = analysis.free_to_start
    gap = shortest_gap(analysis.preemptions)
    return [
        ("max_active_seen_by_the_fake", fake_max_active, CAPACITY),
        (
            "... the same, from the starts and ends on the wire",
            analysis.max_active,
            CAPACITY,
        ),
        ("limit_refusals (429 LiveActivityLimitError)", limit_refusals, 0),
        (
            "high due while 4 lower ran: samples (held by dwell or pace)",
            f"{len(highs)} ({analysis.high_held})",
            None,
        ),
        (
            "high due while 4 lower ran: median to the wire (s)",
            round(statistics.median(highs), 3) if highs else "-",
            None,
        ),
        (
            "high_due_while_4_lower_ran_max_to_the_wire_s",
            round(max(highs), 3) if highs else "-",
            timing(round(2 * spacing + slack, 3)),
        ),
        (
            "starts after a slot freed: samples, median (s)",
            f"{len(waits)}, {round(statistics.median(waits), 3) if waits else '-'}",
            None,
        ),
        (
            "waiting_start_after_a_slot_freed_max_s",
            round(max(waits), 3) if waits else "-",
            timing(round(spacing + slack, 3)),
        ),
        (
            "longest_a_slot_stayed_free_while_one_was_due_s",
            round(analysis.longest_free_while_due, 3),
            timing(round(spacing + slack, 3)),
        ),
        ("preemptions", len(analysis.preemptions), None),
        (
            f"preemptions_in_any_minute_max (a minute is {minute:g} s here)",
            most_in_window(analysis.preemptions, minute),
            round(60 / PREEMPT_EVERY),
        ),
        (
            f"shortest gap between preemptions (s; pace {pace:g} s)",
            round(gap, 3) if gap is not None else "-",
            None,
        ),
        ("critical_activities_preempted", analysis.critical_preempted, 0),
        ("activities_left_active_after_all_switched_off", analysis.left_active, 0),
    ]


def scaled_ledger(scale: float) -> Callable[[], None]:
    """Divide the ledger's times by `scale`; returns what restores them."""
    slots = sys.modules[SLOTS_MODULE]
    saved = {
        name: getattr(slots, name)
        for name in ("MIN_SHOWN", "PREEMPT_EVERY", "PROBE_BACKOFF")
    }
    slots.MIN_SHOWN = timedelta(seconds=MIN_SHOWN / scale)
    slots.PREEMPT_EVERY = timedelta(seconds=PREEMPT_EVERY / scale)
    slots.PROBE_BACKOFF = tuple(timedelta(seconds=s / scale) for s in PROBE_BACKOFF)

    def restore() -> None:
        for name, value in saved.items():
            setattr(slots, name, value)

    return restore


async def run_schedule(
    hass: Any,
    entities: dict[str, tuple[str, str]],
    scale: float,
    sleep: Callable[[float], Awaitable[Any]],
    update_every: float = 0.0,
) -> list[Event]:
    """Switch the entities as `SCHEDULE` says, `scale` times faster.

    `entities`: per name, its stream key and entity id. With `update_every`, each entity
    that is on changes its `n` attribute that often (real seconds), so the shown ones
    keep the budget busy. Returns (monotonic time, stream key, on) of each switch.
    """
    began = time.monotonic()
    events: list[Event] = []
    done = False

    async def update() -> None:
        number = 0
        while not done:
            await sleep(update_every)
            number += 1
            for _, entity_id in entities.values():
                if (state := hass.states.get(entity_id)) and state.state == "on":
                    hass.states.async_set(entity_id, "on", {"n": number})

    updater = hass.async_create_task(update()) if update_every else None
    for at, name, on in SCHEDULE:
        await sleep(max(0.0, began + at / scale - time.monotonic()))
        key, entity_id = entities[name]
        events.append((time.monotonic(), key, on))
        hass.states.async_set(entity_id, "on" if on else "off", {"n": 0})
    done = True
    if updater is not None:
        await updater
    return events
