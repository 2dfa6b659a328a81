"""Benchmark: a real Home Assistant with the integration against a local fake API.

Run with `scripts/bench`. It starts the fake ActivitySmith API (fake_activitysmith.py) in a
process of its own on 127.0.0.1, as a real API is never inside Home Assistant's event
loop; builds a Home Assistant core the way `hass` does (from a temporary config
directory, with blocking-call detection on); adds an entry through the config flow; and
measures:

1. stream churn: one stream updated 20 times a second for 60 s under the real request
   budget: requests sent, the most in any 60-second window, and how long after the last
   change (and after the budget allowed a send) the final state reached the server;
2. action overhead: median and p95 of 1000 `start_live_activity` calls through the
   action layer versus 1000 raw aiohttp POSTs of the same body on the same session
   (the request budget lifted for this phase);
3. keep-alive: TCP connections the server saw for the first 200 of those actions;
4. "Detected blocking call" warnings during all of it.

It prints one report and exits 1 if a target is missed. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# BENCH_SMOKE=1 (scripts/check-ha-release): a short run that checks that everything
# works, without timing targets (another release, or a busy machine, times differently).
SMOKE = bool(os.environ.get("BENCH_SMOKE"))
CHURN_SECONDS = float(os.environ.get("BENCH_CHURN_SECONDS", "3" if SMOKE else "60"))
CHURN_RATE = 20  # updates per second
CONNECTION_CALLS = 200
TIMED_CALLS = 1000  # many samples, so the medians are stable
WARMUP_CALLS = 50
TARGETS = {
    "connections_for_200_calls": 2,
    "max_requests_in_any_60s": 60,
    "blocking_call_warnings": 0,
} | (
    {}
    if SMOKE
    else {"overhead_ratio_median": 1.5, "final_state_after_budget_allowed_s": 2.0}
)
START_STATE = {
    "title": "Nightly backup",
    "type": "segmented_progress",
    "number_of_steps": 3,
    "current_step": 1,
}


class BlockingCallCounter(logging.Handler):
    """Collects Home Assistant's 'Detected blocking call' reports."""

    def __init__(self) -> None:
        """Start with none."""
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the reports, ignore everything else."""
        if "Detected blocking call" in (message := record.getMessage()):
            self.reports.append(message)


def say(line: str) -> None:
    """Print a report line at once."""
    print(line, flush=True)


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any `window`-second span."""
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
    if not await bootstrap.async_from_config_dict(
        {"logger": {"default": "warning"}}, hass
    ):
        raise RuntimeError("Home Assistant did not start")
    await hass.async_start()
    if not await async_setup_component(hass, "activitysmith", {}):
        raise RuntimeError("the integration did not load")
    sys.modules[
        "custom_components.activitysmith.client.http"
    ].API_BASE_URL = f"{api_url}/api"
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


async def server_stats(session: Any, api_url: str) -> dict[str, Any]:
    """What the fake API saw."""
    async with session.get(f"{api_url}/_bench/stats") as response:
        stats: dict[str, Any] = await response.json()
    return stats


async def churn(hass: Any, entry: Any, session: Any, api_url: str) -> dict[str, Any]:
    """Update one stream 20 times a second under the real budget."""
    budget = entry.runtime_data.client.budget
    started = time.monotonic()
    step = 0
    while time.monotonic() - started < CHURN_SECONDS:
        step += 1
        await hass.services.async_call(
            "activitysmith",
            "stream_live_activity",
            {
                "stream_key": "bench",
                "title": "Churn",
                "type": "progress",
                "percentage": step % 101,
                "subtitle": f"update {step}",
            },
            blocking=True,
        )
        last_change = time.monotonic()
        budget_allows_in = budget.wait_time(stream=True)
        await asyncio.sleep(max(0.0, started + step / CHURN_RATE - time.monotonic()))
    final = f"update {step}"
    deadline = time.monotonic() + 120
    while True:
        puts = (await server_stats(session, api_url))["puts"]
        delivered = [
            t for t, body in puts if body["content_state"]["subtitle"] == final
        ]
        if delivered:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the final state never arrived")
        await asyncio.sleep(0.05)
    times = [t for t, _ in puts]
    return {
        "state changes": step,
        "requests sent": len(times),
        "max_requests_in_any_60s": max_in_window(times, 60.0),
        "final state delivered after the last change (s)": round(
            delivered[0] - last_change, 2
        ),
        "budget allowed a send after the last change (s)": round(budget_allows_in, 2),
        "final_state_after_budget_allowed_s": round(
            max(0.0, delivered[0] - last_change - budget_allows_in), 2
        ),
    }


async def overhead(hass: Any, entry: Any, session: Any, api_url: str) -> dict[str, Any]:
    """The action layer versus a raw POST of the same body, and the connections used."""
    entry.runtime_data.client.budget.limit = 10**9  # measure the layer, not the budget
    body = {"content_state": START_STATE}
    headers = {"Authorization": "Bearer ask_bench_key"}

    async def action() -> None:
        await hass.services.async_call(
            "activitysmith",
            "start_live_activity",
            START_STATE,
            blocking=True,
            return_response=True,
        )

    async def raw() -> None:
        async with session.post(
            f"{api_url}/api/live-activity/start", json=body, headers=headers
        ) as response:
            await response.json()

    async def timed(call: Any, count: int) -> list[float]:
        timings = []
        for _ in range(count):
            began = time.perf_counter()
            await call()
            timings.append(time.perf_counter() - began)
        return timings

    for _ in range(WARMUP_CALLS):
        await action()
        await raw()
    async with session.post(f"{api_url}/_bench/reset-peers"):
        pass
    action_times = await timed(action, CONNECTION_CALLS)
    connections = (await server_stats(session, api_url))["connections"]
    action_times += await timed(action, TIMED_CALLS - CONNECTION_CALLS)
    raw_times = await timed(raw, TIMED_CALLS)
    medians = [statistics.median(action_times), statistics.median(raw_times)]
    print(
        "DRIFT",
        statistics.median(action_times[:200]),
        statistics.median(action_times[200:]),
        statistics.median(raw_times[:200]),
        statistics.median(raw_times[800:]),
        file=sys.stderr,
    )
    return {
        "action median (ms)": round(medians[0] * 1000, 3),
        "action p95 (ms)": round(percentile(action_times, 0.95) * 1000, 3),
        "raw POST median (ms)": round(medians[1] * 1000, 3),
        "raw POST p95 (ms)": round(percentile(raw_times, 0.95) * 1000, 3),
        "overhead_ratio_median": round(medians[0] / medians[1], 2),
        f"connections_for_{CONNECTION_CALLS}_calls": connections,
    }


async def main(config_dir: Path) -> int:
    """Run every measurement, print the report, return the exit code."""
    from homeassistant.helpers.aiohttp_client import (  # noqa: PLC0415
        async_get_clientsession,
    )

    blocking = BlockingCallCounter()
    logging.getLogger().addHandler(blocking)
    fake_api, api_url = await start_fake_api()
    try:
        hass, entry = await setup_home_assistant(config_dir, api_url)
        try:
            session = async_get_clientsession(hass)
            report = {
                f"stream churn ({CHURN_RATE} updates/s for {CHURN_SECONDS:g} s, real budget)": (
                    await churn(hass, entry, session, api_url)
                ),
                f"start_live_activity x{TIMED_CALLS} (the first {CONNECTION_CALLS} count connections)": await overhead(
                    hass, entry, session, api_url
                ),
            }
        finally:
            await hass.async_stop()
    finally:
        fake_api.terminate()
        await fake_api.wait()
    report["event loop"] = {"blocking_call_warnings": len(blocking.reports)}

    missed = []
    for section, figures in report.items():
        say(section)
        for name, value in figures.items():
            verdict = ""
            if (target := TARGETS.get(name)) is not None:
                verdict = (
                    f"   target <= {target}: {'ok' if value <= target else 'MISSED'}"
                )
                missed += [name] if value > target else []
            say(f"  {name:<50} {value}{verdict}")
    for message in blocking.reports:
        say(f"  {message[:300]}")
    say("all targets met" if not missed else f"missed: {', '.join(missed)}")
    return 1 if missed else 0


def run() -> int:
    """Prepare a config directory (outside the event loop), then benchmark."""
    with tempfile.TemporaryDirectory(prefix="activitysmith-bench-") as directory:
        config_dir = Path(directory)
        (config_dir / "custom_components").mkdir()
        (config_dir / "custom_components" / "activitysmith").symlink_to(
            ROOT / "custom_components" / "activitysmith"
        )
        sys.path.insert(0, directory)  # as `hass --config` does, for custom_components
        return asyncio.run(main(config_dir))


if __name__ == "__main__":
    sys.exit(run())
