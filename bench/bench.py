"""Benchmark: a real Home Assistant with the integration against a local fake API.

Run with `scripts/bench` (about 9 minutes). It starts the fake ActivitySmith API
(fake_activitysmith.py) in a process of its own on 127.0.0.1, as a real API is never
inside Home Assistant's event loop; builds a Home Assistant core the way `hass` does
(from a temporary config directory, with blocking-call detection on); adds an entry
through the config flow (its key check, and the entry's, reach the fake API); and
measures, from what reached the wire (the fake API records every request's arrival and
content):

1. staleness versus the ideal, the headline. No integration can do better, for a state
   that never stops changing, than one fresh state per stream every
   max(K x 60 / 300, floor) s: K streams with pending changes share the Live Activity
   allowance (300 a minute), and no stream is updated more often than its floor (one
   second by default). 1, 4 and 10 streams, each changed 20 times a second for 60 s
   through the `stream_live_activity` action, under the real budget and the fake's real
   allowances. For every change: the time until a state at least as new reached the
   server. Per stream the max, the p95, and the max's ratio to the ideal; target ratio
   <= 1.15. Then four streams again beside a push every second for 120 s (pushes have
   an allowance of their own: the streams' staleness must not change), four streams
   while another client of the account uses 200 of the 300 Live Activity requests a
   minute (the fake's RateLimit headers say so: no 429 that could have been avoided,
   every final state delivered), and ten tracked entities (sensors tracked as the
   "Add tracked entity" flow suggests), each changed 20 times a second. Beside the
   most streams, ten widget metrics (bench/metric_phase.py, intervals of 2 to 6 s)
   change every second: the streams' ratios must stay within target, and each
   metric's last value must reach the server within its interval plus one spacing
   of the metrics allowance (0.2 s) of its last change;
2. final state: after the last change, the time until every stream's final state was
   on the wire; target within the ideal plus one spacing;
3. the wire: per feature, requests in any 60-second window while the real budget
   applied, key checks and re-sends included; target <= the feature's allowance; and
   the 429s the fake answered;
4. action overhead: median and p95 of 1000 `start_live_activity` calls through the
   action layer versus 1000 raw aiohttp POSTs of the same body on the same session,
   taken in turns so a busy machine slows both alike; and keep-alive: TCP connections
   the server saw for 200 actions;
5. bounded growth: 1000 stream keys started and ended (the budget lifted from here on,
   to measure the store, not the budget): stream records, stream sensors and entities
   of the entry, the store file's size, and Python's memory growth (tracemalloc);
6. lifecycle: the loaded entry gets a new key through a reauth flow, then a reconfigure
   flow (each key checked against the fake API; the entry must reload and the next
   start go out with the new key); a tracked entity is added (its stream starts) and
   removed (its stream ends, none of its entities stay); a stream sensor is renamed in
   the entity registry and a partial update still completes from its stream, before
   and after a reload of the entry;
7. an appliance run (bench/appliance_run.py): a 2-hour wash replayed as a power trace,
   compressed (one trace minute a second, the run's durations scaled the same) under
   the real budget: one start, one end, one "done" push, the end within the end
   duration plus one budget spacing of the final drop, and the requests it spent;
8. slots (bench/slots_run.py): eight tracked entities of mixed priority switch on and
   off over ten minutes (ten times faster by default, the ledger's times scaled alike)
   against a fake that shows at most 4 Live Activities: the most active at once, limit
   refusals, a high one's time to the wire while four lower ones run, a waiting one's
   time from a freed slot to the wire, and preemptions per minute. The phases before it
   end their streams when done, and one with more streams than 4 runs with a limit (in
   the fake and the ledger) of as many as it streams;
8. "Detected blocking call" warnings and Home Assistant's usage reports about the
   integration ("Detected that custom integration 'activitysmith' ... This will stop
   working in Home Assistant ...", logged by homeassistant.helpers.frame) during all of
   it; target none. Before relying on that zero, a self-check makes the frame helper
   report a usage by the integration and by another integration, and logs a
   blocking-call warning, and stops the run unless each is counted where it belongs.

It prints each part as it ends, then the headline, and exits 1 if a target is missed.
Shorter runs while iterating: BENCH_STALENESS_SECONDS, BENCH_STREAMS (for example "4"),
BENCH_GROWTH_STREAMS, BENCH_TRACKED (0 skips that phase), BENCH_METRICS (0: no widget
metrics), BENCH_ONLY_STREAMS=1 (only the staleness of BENCH_STREAMS and the wire),
BENCH_ONLY=appliance (only part 7, about 2.5 minutes), BENCH_APPLIANCE=0 (without it),
BENCH_ONLY=slots (only part 8, about 1.5 minutes), BENCH_SLOTS=0 (without it),
BENCH_ONLY=overhead (only the action overhead, part 4),
BENCH_SLOTS_SCALE (1: its full ten minutes, with the ledger's own times). BENCH_SMOKE=1
(scripts/check-ha-release) runs a short version that checks that everything works,
without timing targets (another release, or a busy
machine, times differently). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Awaitable, Callable
import contextlib
import gc
import itertools
import json
import logging
import os
from pathlib import Path
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
SMOKE = bool(os.environ.get("BENCH_SMOKE"))
STALENESS_SECONDS = float(
    os.environ.get("BENCH_STALENESS_SECONDS", "3" if SMOKE else "60")
)
STREAM_COUNTS = [int(n) for n in os.environ.get("BENCH_STREAMS", "1,4,10").split(",")]
# Pushes beside four busy streams: one a second for this long.
PUSH_SECONDS = float(os.environ.get("BENCH_PUSH_SECONDS", "3" if SMOKE else "120"))
# Another client of the account, in the fake: Live Activity requests it uses a minute.
OTHER_CLIENT_USES = 200
# Tracked entities changing at once, each through its own stream (0: skip the phase).
TRACKED_ENTITIES = int(os.environ.get("BENCH_TRACKED", "3" if SMOKE else "10"))
# Widget metrics changing every second beside the most streams (0: none).
TRACKED_METRICS = int(os.environ.get("BENCH_METRICS", "3" if SMOKE else "10"))
# Only the staleness of the stream counts asked for (while iterating on them).
ONLY_STREAMS = bool(os.environ.get("BENCH_ONLY_STREAMS"))
# The appliance run (part 7): "appliance" runs only it, BENCH_APPLIANCE=0 skips it.
ONLY = os.environ.get("BENCH_ONLY", "")
APPLIANCE = os.environ.get("BENCH_APPLIANCE", "1") != "0"
# The slots scenario (part 8): "slots" runs only it, BENCH_SLOTS=0 skips it; it runs
# SLOTS_SCALE times faster than real time, the ledger's times divided alike.
SLOTS = os.environ.get("BENCH_SLOTS", "1") != "0"
SLOTS_SCALE = float(os.environ.get("BENCH_SLOTS_SCALE", "30" if SMOKE else "10"))
# Each tracked entity that is on changes this often (real seconds), so the four shown
# keep the budget busy (each stream's floor is a second); 0: only on and off.
SLOTS_UPDATE_EVERY = float(os.environ.get("BENCH_SLOTS_UPDATE_EVERY", "0.25"))
# Live Activities a phone shows at once (the fake's limit, the ledger's first capacity).
PHONE_SLOTS = 4
# A slot-free-to-start target allows this beside the budget's spacing: the loopback,
# and the event loop of a busy machine.
SLOTS_SLACK = 0.05
GROWTH_STREAMS = int(os.environ.get("BENCH_GROWTH_STREAMS", "150" if SMOKE else "1000"))
CHANGES_PER_SECOND = 20  # per stream
CONNECTION_CALLS = 200
TIMED_CALLS = 1000  # many samples, so the medians are stable
WARMUP_CALLS = 50

# The vendor's allowances per feature and window (October 2026), the Live Activity
# requests streams may use (budget.py: all but a twentieth), and each stream's floor.
ALLOWANCES = {"notifications": 60, "badges": 60, "live-activities": 300, "metrics": 300}
WINDOW = 60.0
LIVE_ACTIVITIES = ALLOWANCES["live-activities"]
SPACING = (WINDOW + 0.5) / (LIVE_ACTIVITIES - LIVE_ACTIVITIES // 20)  # 0.212 s
FLOOR = 1.0
PUSH_INTERVAL = 1.0
# Ended streams the store keeps (stream_records.MAX_ENDED_STREAMS), each with its sensor.
ENDED_STREAMS_KEPT = 100
STORE_LIMIT_KB = 200
# Where the client keeps the API's address; the bench points it at the fake API.
BASE_URL_CONSTANT = "custom_components.activitysmith.client.transport.API_BASE_URL"
# No action may block its caller longer than this (client/http.ACTION_DEADLINE).
ACTION_DEADLINE = 20.0
BEFORE_REDESIGN = (
    "one send every 1.21 s for all streams together, so an ideal of 1.21 s for one"
    " stream, 4.84 s for four, 12.1 s for ten; a short run on 2026.11 measured 1.19 s"
    " and 4.81 s"
)


def ideal(streams: int) -> float:
    """The best any integration can do: max(K x 60 / 300, the floor), in seconds."""
    return max(streams * WINDOW / LIVE_ACTIVITIES, FLOOR)


def max_staleness_target(streams: int) -> float:
    """The target for the worst staleness of K streams: 1.15 x the ideal."""
    return round(1.15 * ideal(streams), 2)


class Figure(NamedTuple):
    """One line of the report; a figure with a target is checked (value <= target)."""

    name: str
    value: float | int | str
    target: float | None = None


def timing(target: float) -> float | None:
    """A timing target, which smoke runs do not check."""
    return None if SMOKE else target


class Report:
    """The figures, printed as each part ends; remembers the targets missed."""

    def __init__(self) -> None:
        """Nothing measured yet."""
        self.missed: list[str] = []

    def section(self, title: str, figures: list[Figure], tag: str = "") -> None:
        """Print one part's figures against their targets (`tag` names the part)."""
        say(title)
        for name, value, target in figures:
            verdict = ""
            if target is not None:
                met = isinstance(value, int | float) and value <= target
                verdict = f"   target <= {target:g}: {'ok' if met else 'MISSED'}"
                self.missed += [] if met else [f"{tag} {name}".lstrip()]
            say(f"  {name:<58} {value}{verdict}")


# The logger of Home Assistant's usage reports ("Detected that custom integration
# 'activitysmith' ... This will stop working in Home Assistant ...").
FRAME_LOGGER = "homeassistant.helpers.frame"
DOMAIN = "activitysmith"


def report_kind(logger_name: str, message: str) -> str | None:
    """What a log record reports: "blocking", "usage" (about us), "other usage", None.

    A usage report is anything Home Assistant's frame helper logs; it is ours when it
    names the integration (custom or not, with or without a breaking version).
    """
    if "Detected blocking call" in message:
        return "blocking"
    if logger_name == FRAME_LOGGER or logger_name.startswith(f"{FRAME_LOGGER}."):
        return "usage" if DOMAIN in message else "other usage"
    return None


class HomeAssistantReports(logging.Handler):
    """Collects Home Assistant's blocking-call warnings and usage reports."""

    def __init__(self) -> None:
        """Start with none."""
        super().__init__(logging.WARNING)
        self.reports: dict[str, list[str]] = {
            "blocking": [],
            "usage": [],
            "other usage": [],
        }

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the reports, ignore everything else."""
        message = record.getMessage()
        if kind := report_kind(record.name, message):
            self.reports[kind].append(message)

    def clear(self) -> None:
        """Forget what was collected so far."""
        for messages in self.reports.values():
            messages.clear()


async def check_report_detection(reports: HomeAssistantReports) -> None:
    """Prove the detection works on this release before relying on its zero.

    Makes Home Assistant's frame helper report a usage by the integration, and one by
    another integration, and logs a blocking-call warning as Home Assistant's loop
    guard words it; each must be counted where it belongs. Then forgets them.
    """
    from homeassistant.helpers import frame  # noqa: PLC0415

    odd = "does something odd on purpose (the bench's self-check)"
    frame.report_usage(odd, integration_domain=DOMAIN, breaks_in_ha_version="2099.1.0")
    frame.report_usage(
        odd,
        integration_domain="webhook",
        breaks_in_ha_version="2099.1.0",
        core_behavior=frame.ReportBehavior.LOG,
        core_integration_behavior=frame.ReportBehavior.LOG,
    )
    logging.getLogger("homeassistant.util.loop").warning(
        "Detected blocking call to open with args ('/dev/null',) inside the event "
        "loop by custom integration '%s' (the bench's self-check)",
        DOMAIN,
    )
    await asyncio.sleep(0.1)  # in case Home Assistant logs through a queue
    counted = {kind: len(messages) for kind, messages in reports.reports.items()}
    expected = {"blocking": 1, "usage": 1, "other usage": 1}
    ours = reports.reports["usage"]
    if counted != expected or "This will stop working in Home Assistant" not in (
        ours[0] if ours else ""
    ):
        raise RuntimeError(
            f"the report detection is broken on this release: counted {counted} of "
            f"the self-check's reports, expected {expected}: {reports.reports}"
        )
    say(
        "self-check: a deliberate usage report by activitysmith, one by another "
        "integration and a blocking-call warning were each detected"
    )
    reports.clear()


class FakeApi:
    """The fake ActivitySmith API: its base URL and what it recorded."""

    def __init__(self, session: Any, url: str) -> None:
        """Talk to the fake API at `url` over `session`."""
        self.session = session
        self.url = url

    async def requests(self, since: int = 0) -> list[tuple[float, str, str, Any]]:
        """Every API request that reached it from the `since`-th on, as it arrived."""
        async with self.session.get(
            f"{self.url}/_bench/requests", params={"since": since}
        ) as response:
            recorded: list[tuple[float, str, str, Any]] = (await response.json())[
                "requests"
            ]
        return sorted(recorded, key=lambda request: request[0])

    async def count(self) -> int:
        """How many API requests it has seen."""
        return len(await self.requests())

    async def connections(self) -> int:
        """Client sockets seen since the last `reset_peers`."""
        async with self.session.get(f"{self.url}/_bench/connections") as response:
            connections: int = (await response.json())["connections"]
        return connections

    async def reset_peers(self) -> None:
        """Forget the client sockets seen so far."""
        async with self.session.post(f"{self.url}/_bench/reset-peers"):
            pass

    async def refused(self) -> int:
        """How many 429s it answered so far."""
        async with self.session.get(f"{self.url}/_bench/refused") as response:
            refused: int = (await response.json())["refused"]
        return refused

    async def other_client(self, uses: dict[str, int]) -> None:
        """Another client of the account uses this much of each feature per window."""
        async with self.session.post(f"{self.url}/_bench/other-client", json=uses):
            pass

    async def live_activities(self) -> dict[str, Any]:
        """Its Live Activity limit, the streams active, the most at once, the refusals."""
        async with self.session.get(f"{self.url}/_bench/live-activities") as response:
            state: dict[str, Any] = await response.json()
        return state

    async def live_limit(self, limit: int) -> None:
        """Let this many streams be active at once from now on."""
        async with self.session.post(
            f"{self.url}/_bench/live-limit", json={"limit": limit}
        ):
            pass

    async def lift(self) -> None:
        """A million requests a window per feature from here on."""
        async with self.session.post(f"{self.url}/_bench/unlimited"):
            pass


def say(line: str) -> None:
    """Print a report line at once."""
    print(line, flush=True)


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any `window`-second span (`times` sorted)."""
    return max(
        (
            bisect.bisect_right(times, start + window - 1e-9) - index
            for index, start in enumerate(times)
        ),
        default=0,
    )


async def start_fake_api() -> tuple[asyncio.subprocess.Process, str]:
    """The fake API in its own process; returns it and its base URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("fake_activitysmith.py")),
        stdout=asyncio.subprocess.PIPE,
    )
    if process.stdout is None:  # pragma: no cover - PIPE was asked for
        raise RuntimeError("no pipe to the fake API")
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    if not line.startswith("PORT "):
        raise RuntimeError(f"the fake API did not start: {line!r}")
    return process, f"http://127.0.0.1:{int(line.split()[1])}"


async def setup_home_assistant(config_dir: Path, api_url: str) -> tuple[Any, Any]:
    """A Home Assistant core with the integration pointed at `api_url`, and its entry."""
    from homeassistant import bootstrap, core, loader  # noqa: PLC0415
    from homeassistant.block_async_io import enable  # noqa: PLC0415
    from homeassistant.setup import async_setup_component  # noqa: PLC0415

    hass = core.HomeAssistant(str(config_dir))
    hass.config.skip_pip = True  # never install into the project's pinned .venv
    loader.async_setup(hass)
    enable()  # as in production: report blocking calls in the event loop
    # The core as `hass` builds it, minus the UI (whose package the tests do not pin).
    # Home Assistant's own server on a free port of 127.0.0.1: not 8123 of every
    # address, which another bench (or Home Assistant) may hold.
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    http = {"server_host": ["127.0.0.1"], "server_port": port}
    if not await bootstrap.async_from_config_dict(
        {"logger": {"default": "warning"}, "http": http}, hass
    ):
        raise RuntimeError("Home Assistant did not start")
    await hass.async_start()
    if not await async_setup_component(hass, "activitysmith", {}):
        raise RuntimeError("the integration did not load")
    module_name, constant = BASE_URL_CONSTANT.rsplit(".", 1)
    if not hasattr(client_module := sys.modules[module_name], constant):
        raise RuntimeError(f"{BASE_URL_CONSTANT} does not exist: update bench.py")
    setattr(client_module, constant, f"{api_url}/api")
    flow = await hass.config_entries.flow.async_init(
        "activitysmith", context={"source": "user"}
    )
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"api_key": "ask_bench_key"}
    )
    if result["type"] != "create_entry":
        raise RuntimeError(f"the config flow did not create an entry: {result}")
    await hass.async_block_till_done()
    return hass, result["result"]


async def lift_budget(entry: Any, api: FakeApi) -> None:
    """Let every request go at once: from here on the bench measures the integration."""
    await api.lift()  # the fake's headers say so from now on
    await entry.runtime_data.client.async_wait_for_streams()
    budget = entry.runtime_data.client.budget
    for feature in ALLOWANCES:  # and forget what it said before
        budget.set_allowance(feature, 1_000_000, WINDOW)
    budget.stream_spacing = 0.0
    budget.min_interval = 0.0


# 1. and 2. Staleness and the final state, under the real budget


async def probe(hass: Any, entry: Any) -> None:
    """One stream update, so that the integration hears what the headers say now."""
    from homeassistant.exceptions import HomeAssistantError  # noqa: PLC0415

    with contextlib.suppress(HomeAssistantError):  # a 429 says it too
        await hass.services.async_call(
            "activitysmith",
            "stream_live_activity",
            {"stream_key": "probe", "title": "Probe", "type": "alert", "message": "p"},
            blocking=True,
        )
    await entry.runtime_data.client.async_wait_for_streams()


async def change_stream(
    hass: Any, key: str, first_change: float, seconds: float
) -> tuple[list[tuple[float, int]], float]:
    """Change one stream 20 times a second: (when, number) of each change; slowest call."""
    changes: list[tuple[float, int]] = []
    slowest = 0.0
    for number in range(1, round(seconds * CHANGES_PER_SECOND) + 1):
        due = first_change + (number - 1) / CHANGES_PER_SECOND
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        changed = time.monotonic()
        changes.append((changed, number))
        await hass.services.async_call(
            "activitysmith",
            "stream_live_activity",
            {
                "stream_key": key,
                "title": "Staleness",
                "type": "progress",
                "percentage": number % 101,
                "subtitle": f"state {number}",
            },
            blocking=True,
        )
        slowest = max(slowest, time.monotonic() - changed)
    return changes, slowest


async def change_tracked(
    hass: Any, entity_id: str, first_change: float, seconds: float
) -> tuple[list[tuple[float, int]], float]:
    """Change a tracked entity's state 20 times a second, as change_stream does."""
    changes: list[tuple[float, int]] = []
    for number in range(1, round(seconds * CHANGES_PER_SECOND) + 1):
        due = first_change + (number - 1) / CHANGES_PER_SECOND
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        changes.append((time.monotonic(), number))
        hass.states.async_set(entity_id, str(number))
    return changes, 0.0  # a state change does not wait for anything


async def add_tracked_entities(
    hass: Any,
    entry: Any,
    count: int,
    prefix: str = "sensor.bench_tracked",
    answers: dict[str, dict[str, Any]] | None = None,
) -> dict[str, str]:
    """`count` sensors tracked as suggested, plus a subtitle that numbers their state.

    `answers` adds to (or replaces) the answers per step of the flow. Returns each
    tracked entity's stream key and entity id.
    """
    tracked: dict[str, str] = {}
    for index in range(count):
        entity_id = f"{prefix}_{index}"
        hass.states.async_set(entity_id, "0")
        flows = hass.config_entries.subentries
        result = await flows.async_init(
            (entry.entry_id, "tracked_entity"), context={"source": "user"}
        )
        steps: dict[str, dict[str, Any]] = {
            "user": {"entity_id": entity_id},
            "content": {"subtitle": "state {{ state }}"},
        }
        for step, more in (answers or {}).items():
            steps[step] = steps.get(step, {}) | more
        while result["type"] == "form":
            values = {
                str(key): key.description["suggested_value"]
                for key in result["data_schema"].schema
                if key.description and "suggested_value" in key.description
            }
            if result["step_id"] == "type":
                values["type"] = "metrics"
            values |= steps.get(result["step_id"], {})
            result = await flows.async_configure(result["flow_id"], values)
        subentry_id = next(
            sid
            for sid, sub in entry.subentries.items()
            if sub.data["entity_id"] == entity_id
        )
        tracked[f"ha-{subentry_id.lower()}"] = entity_id
    return tracked


async def push_every_interval(hass: Any, stop: asyncio.Event) -> tuple[int, int]:
    """Send a push every PUSH_INTERVAL seconds until `stop`: (sent, refused)."""
    from homeassistant.exceptions import HomeAssistantError  # noqa: PLC0415

    sent = refused = 0
    while not stop.is_set():
        try:
            await hass.services.async_call(
                "activitysmith",
                "send_push_notification",
                {"title": "Bench", "message": f"push {sent + refused + 1}"},
                blocking=True,
                return_response=True,
            )
            sent += 1
        except HomeAssistantError:
            refused += 1
        # Counted from the end of the last one, so pushes are never closer than this.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PUSH_INTERVAL)
    return sent, refused


def stream_sends(
    requests: list[tuple[float, str, str, Any]],
) -> dict[str, list[tuple[float, int]]]:
    """Per stream key: (arrival, state number) of each PUT, in the order they arrived."""
    sends: dict[str, list[tuple[float, int]]] = {}
    for arrival, method, path, body in requests:
        if method == "PUT" and path.startswith("/api/live-activity/stream/"):
            number = int(body["content_state"]["subtitle"].split()[1])
            sends.setdefault(path.rsplit("/", 1)[1], []).append((arrival, number))
    return sends


def staleness_of(
    changes: list[tuple[float, int]], sends: list[tuple[float, int]]
) -> list[float]:
    """For each change, the time until a state at least as new reached the server."""
    arrivals = [arrival for arrival, _ in sends]
    newest_so_far = list(itertools.accumulate((n for _, n in sends), max))
    return [
        arrivals[bisect.bisect_left(newest_so_far, number)] - changed
        for changed, number in changes
    ]


async def wait_for_final_states(
    api: FakeApi, since: int, finals: dict[str, int]
) -> dict[str, list[tuple[float, int]]]:
    """Wait until each stream's final state reached the server; every stream's sends."""
    deadline = time.monotonic() + 120
    while True:
        sends = stream_sends(await api.requests(since))
        if all(
            sends.get(key) and max(n for _, n in sends[key]) >= final
            for key, final in finals.items()
        ):
            return sends
        if time.monotonic() > deadline:
            raise RuntimeError("a final state never arrived")
        await asyncio.sleep(0.05)


def per_stream_figures(
    keys: list[str],
    changes: dict[str, Any],
    sends: dict[str, Any],
    best: float,
    *,
    tracked: bool,
    other_client: int,
) -> tuple[list[Figure], float]:
    """Each stream's changes, sends and staleness; and the worst max staleness."""
    figures: list[Figure] = []
    worst_max = 0.0
    streams = len(keys)
    for index, key in enumerate(keys, 1):
        stale = staleness_of(changes[key], sends[key])
        worst_max = max(worst_max, *stale)
        label = f"{'tracked entity' if tracked else 'stream'} {index} of {streams}"
        figures += [
            Figure(f"{label}: changes / sends", f"{len(stale)} / {len(sends[key])}"),
            Figure(f"{label}: p95 staleness (s)", round(percentile(stale, 0.95), 2)),
            Figure(
                f"{label}: max staleness (s)",
                round(max(stale), 2),
                # With another client, what is left of the allowance is its business.
                None if other_client else timing(max_staleness_target(streams)),
            ),
            Figure(
                f"{label}: STALENESS RATIO TO THE IDEAL",
                round(max(stale) / best, 2),
                # With another client, what is left of the allowance is its business.
                None if other_client else timing(1.15),
            ),
        ]
    return figures, worst_max


async def staleness(
    hass: Any,
    entry: Any,
    api: FakeApi,
    streams: int,
    report: Report,
    *,
    tracked: bool = False,
    pushes: bool = False,
    other_client: int = 0,
    metrics: int = 0,
) -> float:
    """K streams (or tracked entities) changing 20 times a second, against the ideal.

    Under the real budget; with `pushes`, a push a second beside them; with
    `other_client`, another client of the account uses that many Live Activity
    requests a minute; with `metrics`, that many widget metrics change every second
    beside them (metric_phase.py). Returns the worst stream's max staleness.
    """
    import metric_phase  # noqa: PLC0415 (bench/ is on the path when the bench runs)

    widgets = await metric_phase.Beside.add(hass, entry, metrics)
    seconds = PUSH_SECONDS if pushes else STALENESS_SECONDS
    await phone_slots(entry, api, streams + (1 if other_client else 0))
    # With another client, the ideal is what its use leaves of the allowance.
    best = max(streams * WINDOW / (LIVE_ACTIVITIES - other_client), FLOOR)
    if other_client:
        await api.other_client({"live-activities": other_client})
        await probe(hass, entry)  # the first answer after it says so
    refused_before = await api.refused()
    if tracked:
        entities = await add_tracked_entities(hass, entry, streams)
        keys = list(entities)
        await entry.runtime_data.client.async_wait_for_streams()  # their first starts

        def change(key: str, first: float) -> Any:
            return change_tracked(hass, entities[key], first, seconds)

    else:
        run = f"{'p' if pushes else ''}{'o' if other_client else ''}"
        keys = [f"staleness_{streams}{run}_{index}" for index in range(streams)]

        def change(key: str, first: float) -> Any:
            return change_stream(hass, key, first, seconds)

    since = await api.count()
    began = time.monotonic()
    stop_pushes = asyncio.Event()
    pushing = (
        asyncio.create_task(push_every_interval(hass, stop_pushes)) if pushes else None
    )
    widgets.start(hass, began, seconds)
    # The streams change in turn, not all in the same instant.
    changed = await asyncio.gather(
        *(
            change(key, began + index / CHANGES_PER_SECOND / streams)
            for index, key in enumerate(keys)
        )
    )
    stop_pushes.set()
    pushed = await pushing if pushing else None
    changes = {
        key: stream_changes
        for key, (stream_changes, _) in zip(keys, changed, strict=True)
    }
    sends = await wait_for_final_states(
        api, since, {key: c[-1][1] for key, c in changes.items()}
    )
    if other_client:
        await api.other_client({})

    figures, worst_max = per_stream_figures(
        keys, changes, sends, best, tracked=tracked, other_client=other_client
    )
    figures += final_state_figures(changes, sends, best, targeted=not other_client)
    figures.append(
        Figure(
            "slowest stream action (s)",
            round(max(slowest for _, slowest in changed), 3),
            ACTION_DEADLINE,
        )
    )
    figures += await widgets.collect(api, since, Figure, timing)
    if pushed is not None:
        figures.append(
            Figure("pushes sent / refused by the budget", "{} / {}".format(*pushed))
        )
    if other_client:
        figures.append(
            Figure("avoidable_429s", await api.refused() - refused_before, 0)
        )
    what = "tracked entities" if tracked else "stream(s)"
    beside = ", a push a second beside them" if pushes else ""
    if other_client:
        beside = (
            f", another client using {other_client} Live Activity requests a minute"
        )
    beside = widgets.label or beside
    target = (
        "the ideal is what the other client leaves; no timing target"
        if other_client
        else f"target max <= {max_staleness_target(streams):g} s"
    )
    report.section(
        f"staleness: {streams} {what}, {CHANGES_PER_SECOND} changes/s each for "
        f"{seconds:g} s{beside}, real budget (ideal {best:.2f} s, {target})",
        figures,
        tag=f"{streams} {what}{beside}:",
    )
    await end_every_stream(hass, entry, api)
    await phone_slots(entry, api, PHONE_SLOTS)
    return worst_max


async def phone_slots(entry: Any, api: FakeApi, streams: int) -> None:
    """A limit of at least `streams` Live Activities, in the fake and in the ledger.

    A phone shows 4; a budget figure of more streams needs them all shown (the
    ledger's capacity set as a limit answer naming it would set it).
    """
    slots = max(PHONE_SLOTS, streams)
    await api.live_limit(slots)
    entry.runtime_data.publisher.ledger.capacity = slots
    if slots > PHONE_SLOTS:
        say(
            f"  (a limit of {slots} Live Activities for this phase, in the fake and "
            f"the ledger: a phone shows {PHONE_SLOTS})"
        )


async def end_every_stream(hass: Any, entry: Any, api: FakeApi) -> None:
    """End what a phase left running or waiting, so the next one finds its slots free.

    A tracked entity's stream ends with the tracked entity (removed); any other through
    the end action.
    """
    ledger = entry.runtime_data.publisher.ledger
    keys = set((await api.live_activities())["active"]) | {
        slot.slot_id
        for slot in ledger.slots.values()
        if slot.entry_id == entry.entry_id and not slot.manual
    }
    subentries = {
        f"ha-{subentry_id.lower()}": subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == "tracked_entity"
    }
    for key in sorted(keys):
        if key in subentries:
            hass.config_entries.async_remove_subentry(entry, subentries[key])
        else:
            await hass.services.async_call(
                "activitysmith",
                "end_live_activity_stream",
                {"stream_key": key},
                blocking=True,
                return_response=True,
            )
    await settle(hass, entry)


def final_state_figures(
    changes: dict[str, list[tuple[float, int]]],
    sends: dict[str, list[tuple[float, int]]],
    best: float,
    *,
    targeted: bool = True,
) -> list[Figure]:
    """How soon the final states reached the server after the last change.

    No stream can get its final state out sooner than its floor or its turn among the
    others allows (the ideal); target: within the ideal plus one spacing.
    """
    last_change = max(stream_changes[-1][0] for stream_changes in changes.values())
    arrivals = sorted(
        next(arrival for arrival, n in sends[key] if n >= stream_changes[-1][1])
        for key, stream_changes in changes.items()
    )
    return [
        Figure(
            "final_states_on_the_wire_after_the_last_change_s",
            round(arrivals[-1] - last_change, 2),
            timing(round(best + SPACING, 2)) if targeted else None,
        ),
    ]


async def the_wire(api: FakeApi, report: Report) -> None:
    """What reached the server while the real budget applied (so far), per feature."""
    requests = await api.requests()
    key_checks = sum(
        1 for _, method, path, _ in requests if "home-assistant-key-check-" in path
    )
    figures = [
        Figure("requests (of which key checks)", f"{len(requests)} ({key_checks})"),
        Figure("429s answered by the fake", await api.refused()),
    ]
    for feature, allowance in ALLOWANCES.items():
        times = [
            arrival for arrival, _, path, _ in requests if feature_of(path) == feature
        ]
        figures.append(
            Figure(
                f"max_{feature}_requests_in_any_60s",
                max_in_window(times, 60.0),
                allowance,
            )
        )
    report.section(
        "the wire while the real budget applied (counted by the fake API)", figures
    )


def feature_of(path: str) -> str | None:
    """The feature whose allowance a request of `path` spends."""
    for prefix, feature in (
        ("/api/live-activity/", "live-activities"),
        ("/api/push-notification", "notifications"),
        ("/api/badge", "badges"),
        ("/api/metrics/", "metrics"),
    ):
        if path.startswith(prefix):
            return feature
    return None


# 4. Action overhead and keep-alive


async def overhead(hass: Any, api: FakeApi, report: Report) -> None:
    """The action layer versus a raw POST of the same body, and the connections used."""
    start_state = {
        "title": "Nightly backup",
        "type": "segmented_progress",
        "number_of_steps": 3,
        "current_step": 1,
    }
    body = {"content_state": start_state}
    headers = {"Authorization": "Bearer ask_bench_key"}

    async def action() -> None:
        await hass.services.async_call(
            "activitysmith",
            "start_live_activity",
            start_state,
            blocking=True,
            return_response=True,
        )

    async def raw() -> None:
        async with api.session.post(
            f"{api.url}/api/live-activity/start", json=body, headers=headers
        ) as response:
            await response.json()

    async def timed(call: Callable[[], Awaitable[None]]) -> float:
        began = time.perf_counter()
        await call()
        return time.perf_counter() - began

    for _ in range(WARMUP_CALLS):
        await action()
        await raw()
    await api.reset_peers()
    for _ in range(CONNECTION_CALLS):
        await action()
    connections = await api.connections()
    # In turns, each first half of the time: load from elsewhere slows both alike.
    action_times: list[float] = []
    raw_times: list[float] = []
    for turn in range(TIMED_CALLS):
        if turn % 2:
            action_times.append(await timed(action))
            raw_times.append(await timed(raw))
        else:
            raw_times.append(await timed(raw))
            action_times.append(await timed(action))
    medians = [statistics.median(action_times), statistics.median(raw_times)]
    report.section(
        f"start_live_activity x{TIMED_CALLS} versus a raw POST, in turns "
        f"(after {CONNECTION_CALLS} that count connections)",
        [
            Figure("action median (ms)", round(medians[0] * 1000, 3)),
            Figure("action p95 (ms)", round(percentile(action_times, 0.95) * 1000, 3)),
            Figure("raw POST median (ms)", round(medians[1] * 1000, 3)),
            Figure("raw POST p95 (ms)", round(percentile(raw_times, 0.95) * 1000, 3)),
            Figure(
                "overhead_ratio_median", round(medians[0] / medians[1], 2), timing(1.5)
            ),
            Figure(f"connections_for_{CONNECTION_CALLS}_calls", connections, 2),
        ],
    )


# 5. Bounded growth


async def growth(hass: Any, entry: Any, report: Report) -> None:
    """Start and end GROWTH_STREAMS stream keys; what stays behind."""
    from homeassistant.helpers import entity_registry as er  # noqa: PLC0415

    from custom_components.activitysmith.const import (  # noqa: PLC0415
        STREAM_SENSOR_PREFIX,
    )
    from custom_components.activitysmith.records import (  # noqa: PLC0415
        STATUS_ENDED,
    )

    activities = entry.runtime_data.activities
    registry = er.async_get(hass)
    tracemalloc.start()
    memory = [await memory_in_use(hass)]
    for index in range(GROWTH_STREAMS):
        key = f"growth_{index}"
        await hass.services.async_call(
            "activitysmith",
            "stream_live_activity",
            {"stream_key": key, "title": "Growth", "type": "progress", "percentage": 1},
            blocking=True,
            return_response=True,
        )
        await hass.services.async_call(
            "activitysmith",
            "end_live_activity_stream",
            {"stream_key": key},
            blocking=True,
            return_response=True,
        )
        if index + 1 == GROWTH_STREAMS // 2:
            memory.append(await memory_in_use(hass))
    memory.append(await memory_in_use(hass))
    tracemalloc.stop()
    began, half, end = memory
    await activities.async_flush()
    store = Path(
        hass.config.path(".storage", f"activitysmith.{entry.entry_id}.activities")
    )
    store_bytes = await hass.async_add_executor_job(lambda: store.stat().st_size)

    active = sum(1 for r in activities.streams.values() if r.status != STATUS_ENDED)
    entities = er.async_entries_for_config_entry(registry, entry.entry_id)
    stream_sensors = sum(
        1
        for entity in entities
        if entity.unique_id.startswith(f"{entry.entry_id}_{STREAM_SENSOR_PREFIX}")
    )
    deleted = sum(
        1
        for deleted_entity in registry.deleted_entities.values()
        if deleted_entity.config_entry_id == entry.entry_id
    )
    report.section(
        f"bounded growth: {GROWTH_STREAMS} stream keys started and ended "
        f"(budget lifted; {active} streams still active)",
        [
            Figure(
                "stream records", len(activities.streams), ENDED_STREAMS_KEPT + active
            ),
            Figure("stream sensors", stream_sensors, ENDED_STREAMS_KEPT + active),
            Figure("entities of the entry", len(entities)),
            Figure("removed sensors Home Assistant's registry remembers", deleted),
            Figure("store file (kB)", kb(store_bytes), STORE_LIMIT_KB),
            Figure("Python memory growth (kB)", kb(end - began)),
            # What each key leaves behind once the store is full of ended streams:
            # Home Assistant's registry remembers every removed sensor (its policy).
            Figure(
                "... per key, over the second half of the keys (bytes)",
                round((end - half) / (GROWTH_STREAMS - GROWTH_STREAMS // 2)),
            ),
        ],
    )


# 6. What ends or changes an entry: a new key, a tracked entity's removal, a reload,
# a renamed stream sensor


class FakeApiKeys:
    """The keys the lifecycle phase swaps in (the fake API accepts any)."""

    REAUTH = "ask_bench_key_reauth"
    RECONFIGURE = "ask_bench_key_reconfigure"


async def new_key(hass: Any, entry: Any, api: FakeApi, source: str, key: str) -> str:
    """Give the loaded entry a new key through a reauth or reconfigure flow.

    Returns a problem, or "" if the entry reloaded with the key and uses it on the wire.
    """
    flows = hass.config_entries.flow
    old_client = entry.runtime_data.client
    if source == "reauth":
        entry.async_start_reauth(hass)
        await hass.async_block_till_done()
        [flow] = entry.async_get_active_flows(hass, {"reauth"})
    else:
        flow = await flows.async_init(
            "activitysmith",
            context={"source": "reconfigure", "entry_id": entry.entry_id},
        )
    result = await flows.async_configure(flow["flow_id"], {"api_key": key})
    await hass.async_block_till_done()
    if result.get("reason") != f"{source}_successful":
        return f"the flow ended with {result.get('type')} {result.get('reason')}"
    if entry.state.name != "LOADED" or entry.data["api_key"] != key:
        return f"the entry is {entry.state.name} with another key after the flow"
    if entry.runtime_data.client is old_client:
        return "the entry did not reload: it kept its old client"
    await hass.services.async_call(
        "activitysmith",
        "start_live_activity",
        {"title": "New key", "type": "alert", "message": source},
        blocking=True,
        return_response=True,
    )
    async with api.session.get(f"{api.url}/_bench/last-authorization") as response:
        used = await response.json()
    return "" if used == f"Bearer {key}" else f"the next start was sent with {used!r}"


async def add_and_remove_tracked(hass: Any, entry: Any, api: FakeApi) -> str:
    """A tracked entity starts its stream; removed, it ends it and leaves nothing."""
    from homeassistant.helpers import entity_registry as er  # noqa: PLC0415

    since = await api.count()
    [(key, entity_id)] = (
        await add_tracked_entities(hass, entry, 1, prefix="sensor.bench_lifecycle")
    ).items()
    hass.states.async_set(entity_id, "1")
    await settle(hass, entry)
    subentry_id = next(
        sid
        for sid, sub in entry.subentries.items()
        if sub.data["entity_id"] == entity_id
    )
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await settle(hass, entry)
    sent = [
        method for _, method, path, _ in await api.requests(since) if path.endswith(key)
    ]
    left = [
        registered.entity_id
        for registered in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if registered.config_subentry_id == subentry_id or key in registered.unique_id
    ]
    if not sent or sent[0] != "PUT" or sent[-1] != "DELETE":
        return f"its stream saw {sent}, not a start then an end"
    return f"entities left behind: {left}" if left else ""


async def settle(hass: Any, entry: Any) -> None:
    """Let what was scheduled run, and the stream requests it queued reach the wire."""
    await hass.async_block_till_done()
    await entry.runtime_data.client.async_wait_for_streams()
    await hass.async_block_till_done()


async def stream_to(
    hass: Any, entry: Any, api: FakeApi, key: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Stream `fields` to `key`; the content state the fake API received for it."""
    since = await api.count()
    await hass.services.async_call(
        "activitysmith",
        "stream_live_activity",
        {"stream_key": key, **fields},
        blocking=True,
        return_response=True,
    )
    await settle(hass, entry)
    puts = [
        body["content_state"]
        for _, method, path, body in await api.requests(since)
        if method == "PUT" and path.endswith(f"/{key}")
    ]
    return puts[-1] if puts else {}


async def rename_and_reload(hass: Any, entry: Any, api: FakeApi) -> tuple[str, str]:
    """A renamed stream sensor keeps its stream, before and after a reload.

    Returns the problems of the rename and of the reload ("" when none).
    """
    from homeassistant.helpers import entity_registry as er  # noqa: PLC0415

    key, renamed = "bench_rename", "sensor.bench_renamed"
    registry = er.async_get(hass)
    await stream_to(
        hass, entry, api, key, {"title": "Rename", "type": "progress", "percentage": 10}
    )
    if not (
        old_id := registry.async_get_entity_id(
            "sensor", "activitysmith", f"{entry.entry_id}_stream_{key}"
        )
    ):
        return "no sensor for the stream", "not reached"
    registry.async_update_entity(old_id, new_entity_id=renamed)
    await hass.async_block_till_done()

    def problem(sent: dict[str, Any], percentage: int) -> str:
        state = hass.states.get(renamed)
        if sent.get("title") != "Rename" or sent.get("percentage") != percentage:
            return f"the partial update sent {sent}"
        if state is None or state.attributes.get("percentage") != percentage:
            return f"{renamed} shows {state}"
        if hass.states.get(old_id) is not None:
            return f"{old_id} is back beside {renamed}"
        return ""

    renaming = problem(await stream_to(hass, entry, api, key, {"percentage": 50}), 50)
    if not await hass.config_entries.async_reload(entry.entry_id):
        return renaming, f"the reload failed: the entry is {entry.state.name}"
    await hass.async_block_till_done()
    reloading = problem(await stream_to(hass, entry, api, key, {"percentage": 70}), 70)
    return renaming, reloading


async def lifecycle(hass: Any, entry: Any, api: FakeApi, report: Report) -> None:
    """Reauth, reconfigure, a tracked entity added and removed, a rename, a reload."""

    async def attempt(step: Awaitable[Any]) -> Any:
        try:
            return await step
        except Exception as err:  # a failed step is a finding, not a crash
            return f"raised {type(err).__name__}: {err}"

    results = [
        (
            "reauth: reloaded, the next start uses the new key",
            await attempt(new_key(hass, entry, api, "reauth", FakeApiKeys.REAUTH)),
        ),
        (
            "reconfigure: the same",
            await attempt(
                new_key(hass, entry, api, "reconfigure", FakeApiKeys.RECONFIGURE)
            ),
        ),
        (
            "tracked entity added, removed: started, ended, none left",
            await attempt(add_and_remove_tracked(hass, entry, api)),
        ),
    ]
    renamed = await attempt(rename_and_reload(hass, entry, api))
    renaming, reloading = (renamed, renamed) if isinstance(renamed, str) else renamed
    results += [
        ("stream sensor renamed: a partial update completes", renaming),
        ("entry reloaded: the renamed sensor keeps its stream", reloading),
    ]
    problems = [name for name, problem in results if problem]
    report.section(
        "lifecycle: new keys, a tracked entity's removal, a rename, a reload",
        [Figure(name, problem or "ok") for name, problem in results]
        + [Figure("lifecycle_problems", len(problems), 0)],
    )


async def appliance(hass: Any, entry: Any, api: FakeApi, report: Report) -> None:
    """7. The appliance run: a compressed 2-hour wash, one run from start to done."""
    from appliance_run import appliance_run  # noqa: PLC0415 (bench/, on sys.path)

    figures = await appliance_run(hass, entry, api.requests, settle)
    report.section(
        "appliance run: a 2-hour wash as a power trace, compressed",
        [Figure(name, value, target) for name, value, target in figures],
        tag="appliance",
    )


# 8. Slots: eight tracked entities of mixed priority, a phone that shows four


async def slots(hass: Any, entry: Any, api: FakeApi, report: Report) -> None:
    """The slots scenario (bench/slots_run.py) under the real budget, scaled in time."""
    import slots_run as run  # noqa: PLC0415 (bench/, on sys.path)

    await end_every_stream(hass, entry, api)  # four free slots to begin with
    await phone_slots(entry, api, run.CAPACITY)
    await api.live_limit(run.CAPACITY)  # the most seen at once counts from here
    refused_before = (await api.live_activities())["refused"]
    restore = run.scaled_ledger(SLOTS_SCALE)
    try:
        entities: dict[str, tuple[str, str]] = {}
        for name, priority in run.ENTITIES.items():
            [(key, entity_id)] = (
                await add_tracked_entities(
                    hass,
                    entry,
                    1,
                    prefix=f"binary_sensor.bench_slots_{name}",
                    answers={
                        "type": {"type": "alert"},
                        "content": {"subtitle": "n {{ state_attr(entity_id, 'n') }}"},
                        "when": {"priority": priority},
                    },
                )
            ).items()
            entities[name] = (key, entity_id)
        await settle(hass, entry)
        since = await api.count()
        events = await run.run_schedule(
            hass, entities, SLOTS_SCALE, asyncio.sleep, SLOTS_UPDATE_EVERY
        )
        deadline = time.monotonic() + 30  # the last ends reach the wire
        for _ in itertools.count():
            if not (await api.live_activities())["active"]:
                break
            if time.monotonic() > deadline:
                break  # what stays active is a finding of the report
            await asyncio.sleep(0.1)
        await settle(hass, entry)
        requests = await api.requests(since)
    finally:
        restore()
    state = await api.live_activities()
    analysis = run.analyse(
        events,
        {
            key: run.PRIORITIES[run.ENTITIES[name]]
            for name, (key, _) in entities.items()
        },
        requests,
        min_shown=run.MIN_SHOWN / SLOTS_SCALE,
        preempt_every=run.PREEMPT_EVERY / SLOTS_SCALE,
    )
    figures = run.figures(
        analysis,
        scale=SLOTS_SCALE,
        spacing=SPACING,
        slack=SLOTS_SLACK,
        limit_refusals=state["refused"] - refused_before,
        fake_max_active=state["max_active"],
        timing=timing,
    )
    keys = {key for key, _ in entities.values()}
    sent = [
        arrival
        for arrival, _, path, _ in requests
        if path.startswith("/api/live-activity/stream/")
        and path.rsplit("/", 1)[1] in keys
    ]
    minutes = run.DURATION / 60
    busy = (
        f"the ones on change every {SLOTS_UPDATE_EVERY:g} s"
        if SLOTS_UPDATE_EVERY
        else "only on and off"
    )
    scaled = (
        f"{SLOTS_SCALE:g} times faster: {run.DURATION / SLOTS_SCALE:g} s, dwell "
        f"{run.MIN_SHOWN / SLOTS_SCALE:g} s, a preemption per "
        f"{run.PREEMPT_EVERY / SLOTS_SCALE:g} s"
        if SLOTS_SCALE != 1
        else "at full length"
    )
    report.section(
        f"slots: 8 tracked entities (2 low, 3 normal, 2 high, 1 critical) over "
        f"{minutes:g} minutes, {scaled}; the fake shows at most {run.CAPACITY}; "
        f"{busy}; "
        f"real budget (spacing {SPACING:.3f} s; targets: a high one within 2 spacings "
        f"(an end, then its start), a waiting one within 1 spacing, each plus "
        f"{SLOTS_SLACK:g} s)",
        [
            Figure(
                "stream requests on the wire (a minute's most: the budget's 285)",
                f"{len(sent)} ({max_in_window(sorted(sent), 60.0)})",
            ),
            *(Figure(name, value, target) for name, value, target in figures),
        ],
        tag="slots:",
    )
    await end_every_stream(hass, entry, api)  # the tracked entities go


async def memory_in_use(hass: Any) -> int:
    """Bytes tracemalloc sees in use, once everything pending has run."""
    await hass.async_block_till_done()
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def kb(size: int) -> float:
    """Bytes in kB, rounded to one decimal."""
    return round(size / 1000, 1)


async def other_phases(
    hass: Any,
    entry: Any,
    api: FakeApi,
    report: Report,
    worst_max: dict[str, tuple[int, float]],
) -> None:
    """Streams beside pushes and beside another client, then the tracked entities."""
    worst_max["4 streams, a push a second"] = (
        4,
        await staleness(hass, entry, api, 4, report, pushes=True),
    )
    await staleness(hass, entry, api, 4, report, other_client=OTHER_CLIENT_USES)
    if TRACKED_ENTITIES:
        worst_max[f"{TRACKED_ENTITIES} tracked entities"] = (
            TRACKED_ENTITIES,
            await staleness(hass, entry, api, TRACKED_ENTITIES, report, tracked=True),
        )


async def main(config_dir: Path) -> int:
    """Run every measurement, print the report, return the exit code."""
    from homeassistant.helpers.aiohttp_client import (  # noqa: PLC0415
        async_get_clientsession,
    )

    began = time.monotonic()
    report = Report()
    reports = HomeAssistantReports()
    logging.getLogger().addHandler(reports)
    fake_api, api_url = await start_fake_api()
    try:
        hass, entry = await setup_home_assistant(config_dir, api_url)
        try:
            await check_report_detection(reports)
            api = FakeApi(async_get_clientsession(hass), api_url)
            if ONLY == "overhead":
                await lift_budget(entry, api)
                await overhead(hass, api, report)
                return finish(report, reports, {}, began)
            if ONLY in ("appliance", "slots"):
                part = appliance if ONLY == "appliance" else slots
                await part(hass, entry, api, report)
                return finish(report, reports, {}, began)
            worst_max = {
                f"{streams} stream(s)"
                + (f", {widgets} widget metrics" * bool(widgets)): (
                    streams,
                    await staleness(hass, entry, api, streams, report, metrics=widgets),
                )
                for streams in STREAM_COUNTS
                # The widget metrics change beside the most streams.
                for widgets in [TRACKED_METRICS * (streams == max(STREAM_COUNTS))]
            }
            if not ONLY_STREAMS:
                await other_phases(hass, entry, api, report, worst_max)
            await the_wire(api, report)
            if not ONLY_STREAMS:
                if APPLIANCE:
                    await appliance(hass, entry, api, report)
                if SLOTS:
                    await slots(hass, entry, api, report)
                await lift_budget(entry, api)
                await overhead(hass, api, report)
                await growth(hass, entry, report)
                await lifecycle(hass, entry, api, report)
        finally:
            await hass.async_stop()
    finally:
        fake_api.terminate()
        await fake_api.wait()
    return finish(report, reports, worst_max, began)


def finish(
    report: Report,
    reports: HomeAssistantReports,
    worst_max: dict[str, tuple[int, float]],
    began: float,
) -> int:
    """Print the event loop's part and the headline; the exit code."""
    found = reports.reports
    report.section(
        "event loop and usage reports",
        [
            Figure("blocking_call_warnings", len(found["blocking"]), 0),
            Figure("usage_reports_about_activitysmith", len(found["usage"]), 0),
            Figure(
                "usage reports about other code (not ours)", len(found["other usage"])
            ),
        ],
    )
    for kind, messages in found.items():
        for message in messages:
            say(f"  {kind}: {message[:300]}")

    return print_headline(report, worst_max, began)


def print_headline(
    report: Report, worst_max: dict[str, tuple[int, float]], began: float
) -> int:
    """The staleness ratios, the time taken and the verdict; the exit code."""
    if worst_max:  # not measured by BENCH_ONLY=appliance, slots or overhead
        say("")
        say("STALENESS RATIO TO THE IDEAL (worst stream's max staleness / ideal)")
        for label, (streams, stale) in worst_max.items():
            say(
                f"  {label}: {stale / ideal(streams):.2f}   (max {stale:.2f}"
                f" s, ideal {ideal(streams):.2f} s, target max <= "
                f"{max_staleness_target(streams):g} s)"
            )
        say(f"  before: with the one shared 60 a minute, {BEFORE_REDESIGN}")
    say(f"bench took {time.monotonic() - began:.0f} s")
    say(
        "all targets met"
        if not report.missed
        else "missed: " + "; ".join(report.missed)
    )
    return 1 if report.missed else 0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run() -> int:
    """Prepare a config directory (outside the event loop), then benchmark."""
    with tempfile.TemporaryDirectory(prefix="activitysmith-bench-") as directory:
        config_dir = Path(directory)
        (config_dir / "custom_components").mkdir()
        (config_dir / "custom_components" / "activitysmith").symlink_to(
            ROOT / "custom_components" / "activitysmith"
        )
        # Home Assistant's HTTP server on a free port of 127.0.0.1 (its settings live
        # in storage): two benches, or a bench beside scripts/develop, never collide.
        (config_dir / ".storage").mkdir()
        (config_dir / ".storage" / "http").write_text(
            json.dumps(
                {
                    "version": 1,
                    "minor_version": 1,
                    "key": "http",
                    "data": {"server_host": ["127.0.0.1"], "server_port": free_port()},
                }
            )
        )
        sys.path.insert(0, directory)  # as `hass --config` does, for custom_components
        return asyncio.run(main(config_dir))


if __name__ == "__main__":
    sys.exit(run())
