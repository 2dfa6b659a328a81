"""The bench's tracked metrics: widget metrics changing every second beside the streams.

`TrackedMetrics.add` adds them through the "Add widget metric" flow (a sensor each, 0
decimals, an interval of 2 to 6 s); `run` changes every sensor once a second (in turn,
not all in the same instant) while the streams change; `figures` reads what reached the
fake API: per metric the changes and sends, and the lag of its last value after its
last change, with the target its interval plus one spacing of the metrics allowance
(the 300 a minute spread over the window). Imported by bench.py when it runs.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, NamedTuple

METRICS_ALLOWANCE = 300
SPACING = (60.0 + 0.5) / METRICS_ALLOWANCE  # 0.202 s
PATH = "/api/metrics/"


class Metric(NamedTuple):
    """One bench metric: its sensor and its interval."""

    entity_id: str
    interval: float


def interval_of(index: int) -> float:
    """2, 3, 4, 5, 6, 2, ... seconds."""
    return float(2 + index % 5)


async def add(hass: Any, entry: Any, count: int) -> dict[str, Metric]:
    """`count` widget metrics, each of its own sensor, by metric key."""
    metrics: dict[str, Metric] = {}
    flows = hass.config_entries.subentries
    for index in range(count):
        entity_id = f"sensor.bench_metric_{index}"
        hass.states.async_set(entity_id, "0")
        key = f"bench.metric-{index}"
        result = await flows.async_init(
            (entry.entry_id, "tracked_metric"), context={"source": "user"}
        )
        result = await flows.async_configure(
            result["flow_id"], {"entity_id": entity_id}
        )
        result = await flows.async_configure(
            result["flow_id"],
            {"key": key, "decimals": 0, "interval": interval_of(index)},
        )
        if result["type"] != "create_entry":
            raise RuntimeError(f"the widget metric flow did not finish: {result}")
        metrics[key] = Metric(entity_id, interval_of(index))
    return metrics


async def run(
    hass: Any, metrics: dict[str, Metric], began: float, seconds: float
) -> dict[str, list[tuple[float, int]]]:
    """Change every metric's sensor once a second: (when, value) of each change."""
    changes: dict[str, list[tuple[float, int]]] = {key: [] for key in metrics}
    for second in range(1, round(seconds) + 1):
        for index, (key, metric) in enumerate(metrics.items()):
            due = began + second - 1 + index / len(metrics)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            changes[key].append((time.monotonic(), second))
            hass.states.async_set(metric.entity_id, str(second))
    return changes


def sends(
    requests: list[tuple[float, str, str, Any]],
) -> dict[str, list[tuple[float, int]]]:
    """Per metric key: (arrival, value) of each update the fake API received."""
    received: dict[str, list[tuple[float, int]]] = {}
    for arrival, method, path, body in requests:
        if method == "POST" and path.startswith(PATH):
            key = path.removeprefix(PATH).split("/")[0]
            received.setdefault(key, []).append((arrival, int(body["value"])))
    return received


async def wait_for_last_values(
    api: Any, since: int, finals: dict[str, int]
) -> dict[str, list[tuple[float, int]]]:
    """Wait until each metric's last value reached the fake API; every metric's sends."""
    deadline = time.monotonic() + 60
    while True:
        received = sends(await api.requests(since))
        if all(
            any(value == final for _, value in received.get(key, []))
            for key, final in finals.items()
        ):
            return received
        if time.monotonic() > deadline:
            raise RuntimeError("a widget metric's last value never arrived")
        await asyncio.sleep(0.05)


class Beside:
    """The widget metrics that change beside one staleness run (none: a no-op)."""

    def __init__(self, metrics: dict[str, Metric]) -> None:
        """Metrics already added."""
        self.metrics = metrics
        self._running: asyncio.Task[dict[str, list[tuple[float, int]]]] | None = None

    @classmethod
    async def add(cls, hass: Any, entry: Any, count: int) -> Beside:
        """`count` widget metrics through the flow (0: none)."""
        return cls(await add(hass, entry, count) if count else {})

    @property
    def label(self) -> str:
        """What the run's title says of them."""
        if not self.metrics:
            return ""
        return f", {len(self.metrics)} widget metrics changing every second beside them"

    def start(self, hass: Any, began: float, seconds: float) -> None:
        """Change them once a second from `began`, for `seconds`."""
        if self.metrics:
            self._running = asyncio.create_task(run(hass, self.metrics, began, seconds))

    async def collect(
        self, api: Any, since: int, figure: Any, timing: Any
    ) -> list[Any]:
        """Once the changes end and every last value arrived: the figures."""
        if self._running is None:
            return []
        changes = await self._running
        received = await wait_for_last_values(
            api, since, {key: c[-1][1] for key, c in changes.items()}
        )
        return figures(figure, timing, self.metrics, changes, received)


def figures(
    figure: Any,
    timing: Any,
    metrics: dict[str, Metric],
    changes: dict[str, list[tuple[float, int]]],
    received: dict[str, list[tuple[float, int]]],
) -> list[Any]:
    """Per metric: changes / sends, and its last value's lag against its target."""
    rows = []
    for index, (key, metric) in enumerate(metrics.items(), 1):
        last_change, last_value = changes[key][-1]
        arrival = next(a for a, value in received[key] if value == last_value)
        label = f"metric {index} of {len(metrics)} (interval {metric.interval:g} s)"
        rows += [
            figure(
                f"{label}: changes / sends",
                f"{len(changes[key])} / {len(received[key])}",
            ),
            figure(
                f"{label}: last value's lag (s)",
                round(arrival - last_change, 2),
                timing(round(metric.interval + SPACING, 2)),
            ),
        ]
    return rows
