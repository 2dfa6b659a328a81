"""Bench scenario: a 2-hour wash replayed as a power trace, one run from start to "done".

A washer's smart plug (a `sensor` with device class power) is tracked as the "Add
tracked entity" flow suggests (the appliance run: above 5 W for 1 minute starts it,
below 2 W for 3 minutes ends it, a "done" push), and fed a recorded-looking trace:
idle, heating at 2 kW, rotating 50-300 W with three dips below 2 W of 40, 90 and 60 s,
spin, idle. The plug reports every 5 s of the trace.

Compressed, not in real time: one minute of the trace is one second here, and the
run's durations are scaled the same (1 s to start, 3 s to end; the flow allows 1 s).
The request budget, the stream spacing and the fake API's allowances are the real
ones, so the end's latency is measured against the scaled end duration plus one real
budget spacing. Counted from what reached the fake API: starts, ends, "done" pushes,
every request of the run, and the end's latency after the power dropped for good.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
import random
import time
from typing import Any

ENTITY_ID = "sensor.bench_washer_power"
ATTRIBUTES = {
    "device_class": "power",
    "unit_of_measurement": "W",
    "friendly_name": "Bench washer",
}
# One minute of the trace takes this many seconds of the bench.
SECONDS_PER_TRACE_MINUTE = 1.0
SAMPLE_EVERY = 5.0  # trace seconds between two reports of the plug
START_FOR = 60.0  # trace seconds, as the preset has them
END_FOR = 180.0
# (from, to, kind) in trace minutes; a dip is below 2 W for (to - from) minutes.
PHASES = (
    (0.0, 5.0, "idle"),
    (5.0, 20.0, "heating"),
    (20.0, 40.0, "rotating"),
    (40.0, 40.0 + 40 / 60, "dip"),
    (40.0 + 40 / 60, 60.0, "rotating"),
    (60.0, 61.5, "dip"),
    (61.5, 80.0, "rotating"),
    (80.0, 81.0, "dip"),
    (81.0, 100.0, "rotating"),
    (100.0, 112.0, "spin"),
    (112.0, 120.0, "idle"),
)
FINAL_DROP = 112.0  # trace minute the power drops for good


def trace() -> Iterator[tuple[float, float]]:
    """(trace minute, watts) every SAMPLE_EVERY seconds of the 2-hour wash."""
    noise = random.Random(20)  # noqa: S311 (the same trace every run; no secret)
    for start, end, kind in PHASES:
        minute = start
        while minute < end:
            watts = {
                "idle": lambda: noise.uniform(0.2, 0.6),
                "heating": lambda: noise.uniform(1950, 2050),
                "rotating": lambda: noise.uniform(50, 300),
                "dip": lambda: noise.uniform(0.5, 1.8),
                "spin": lambda: noise.uniform(400, 600),
            }[kind]()
            yield minute, round(watts, 1)
            minute += SAMPLE_EVERY / 60


def real_seconds(trace_seconds: float) -> float:
    """A trace duration, compressed."""
    return trace_seconds / 60 * SECONDS_PER_TRACE_MINUTE


async def track_washer(hass: Any, entry: Any) -> str:
    """The plug tracked as suggested, with the durations compressed; its stream key."""
    hass.states.async_set(ENTITY_ID, "0.3", ATTRIBUTES)
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (entry.entry_id, "tracked_entity"), context={"source": "user"}
    )
    answers = {
        "user": {"entity_id": ENTITY_ID},
        "run": {
            "start_for": {"seconds": real_seconds(START_FOR)},
            "end_for": {"seconds": real_seconds(END_FOR)},
        },
    }
    while result["type"] == "form":
        values = {
            str(key): key.description["suggested_value"]
            for key in result["data_schema"].schema
            if key.description and "suggested_value" in key.description
        }
        values |= answers.get(result["step_id"], {})
        result = await flows.async_configure(result["flow_id"], values)
    if result["type"] != "create_entry":
        raise RuntimeError(f"the flow did not create the washer: {result}")
    subentry_id = next(
        sid
        for sid, sub in entry.subentries.items()
        if sub.data["entity_id"] == ENTITY_ID
    )
    return f"ha-{subentry_id.lower()}"


async def appliance_run(
    hass: Any,
    entry: Any,
    requests: Callable[[int], Awaitable[list[tuple[float, str, str, Any]]]],
    settle: Callable[[Any, Any], Awaitable[None]],
) -> list[tuple[str, Any, float | None]]:
    """Replay the wash; the figures as (name, value, target or None)."""
    since = len(await requests(0))
    key = await track_washer(hass, entry)
    await settle(hass, entry)
    began = time.monotonic()
    dropped_at = 0.0
    for minute, watts in trace():
        due = began + minute * SECONDS_PER_TRACE_MINUTE
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if minute >= FINAL_DROP and not dropped_at:
            dropped_at = time.monotonic()
        hass.states.async_set(ENTITY_ID, str(watts), ATTRIBUTES)
    await asyncio.sleep(real_seconds(END_FOR))  # idle until the end could be due
    await settle(hass, entry)
    seen = await requests(since)
    stream = [
        (at, method, body) for at, method, path, body in seen if path.endswith(key)
    ]
    pushes = [
        body for _, method, path, body in seen if path.endswith("/push-notification")
    ]
    methods = [method for _, method, _ in stream]
    starts = sum(
        1
        for index, method in enumerate(methods)
        if method == "PUT" and (index == 0 or methods[index - 1] == "DELETE")
    )
    ends = [(at, body) for at, method, body in stream if method == "DELETE"]
    latency = ends[-1][0] - dropped_at if ends and dropped_at else float("inf")
    spacing = entry.runtime_data.client.budget.stream_spacing
    final = (ends[-1][1] or {}).get("content_state", {}) if ends else {}
    subentry_id = key.removeprefix("ha-").upper()
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await settle(hass, entry)
    return [
        (
            "clock",
            "compressed: 1 trace minute = 1 s, durations scaled (1 s, 3 s)",
            None,
        ),
        ("trace", f"{sum(1 for _ in trace())} reports over 120 trace minutes", None),
        ("starts", starts, 1),
        ("ends", len(ends), 1),
        (
            "no start or end other than the one run (0: none)",
            abs(starts - 1) + abs(len(ends) - 1),
            0,
        ),
        ("done pushes", len(pushes), 1),
        ("done_pushes_missing (0: one was sent)", 1 - min(1, len(pushes)), 0),
        (
            "final subtitle (compressed minutes read as seconds)",
            final.get("subtitle"),
            None,
        ),
        (
            f"end latency after the final drop, s (end duration {real_seconds(END_FOR):g} s"
            f" + spacing {spacing:.3f} s)",
            round(latency, 3),
            round(real_seconds(END_FOR) + spacing, 3),
        ),
        ("requests spent for the whole run (start, end, push)", len(seen), 3),
        ("stream requests", len(stream), None),
    ]
