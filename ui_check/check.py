"""Check the integration's UI in a real browser, as a user sees it. Run `scripts/ui-check`.

It starts, all on 127.0.0.1 and all in this process tree:

- the fake ActivitySmith API (bench/fake_activitysmith.py), which accepts only VALID_KEY;
- Home Assistant from .venv-develop on a free port, with a throwaway config directory (a
  copy of config/configuration.yaml plus a timer to track, and a link to this custom
  component), through hass_with_fake_api.py, which points the integration's client at
  the fake;
- Debian's Chromium, headless, driven by Playwright.

Then it runs STEPS in order. A step is a small function that takes the `Ui`, does what a
user would (onboarding, adding the integration, opening forms), records what is wrong with
`ui.problem(...)` and returns a line saying what it checked. After every step the runner
also looks for visible "Translation error" texts, raw translation keys and browser console
errors that mention activitysmith, and saves a screenshot to .ui-check/.

A step that raises (something did not render in time, a button was missing) stops the
run, as the later steps build on it; a step that only records problems fails and the run
goes on, so one run reports every problem. Exit code 1 if any step failed.

The modules: `ui.py` (the `Ui`: what the browser shows, and helpers for steps),
`steps.py` (set-up, action forms, entity pages, options), `tracked_steps.py` (the tracked
entity's flow and device, and the other languages), `widget_steps.py` (a widget metric
and the badge added in the UI, their devices, a dashboard button card that starts a Live
Activity), `recipient_steps.py` (a recipient, its notify entity, picked by a tracked
entity), and this one (STEPS and the run).

To add a step, write `def my_step(ui: Ui) -> str` in a steps module, using `ui.page`
(Playwright), `ui.check_form(...)` (or `check_flow_step` for a step of the tracked-entity
flow) and `ui.shot(name, docs=...)`, and put it in STEPS after the steps it builds on.
While working on it, `--only TEXT` runs just the steps whose name contains TEXT, after the
set-up.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any
import urllib.error
import urllib.request

from playwright.sync_api import (
    Error as PlaywrightError,
    Route,
    sync_playwright,
)
from recipient_steps import recipient_add, recipient_in_tracked, recipient_notify
from run_steps import run_done, run_pick, run_thresholds, run_when
from slot_steps import slots_sensor, tracked_priority
from steps import (
    button_event,
    check_action,
    integration_page,
    live_activity_sensor,
    onboarding,
    open_key_form,
    options_flow,
    valid_key,
    wrong_key,
)
from tracked_steps import (
    languages,
    tracked_content,
    tracked_device,
    tracked_follows,
    tracked_pick,
    tracked_reconfigure,
    tracked_type,
    tracked_when,
)
from ui import (
    CHROMIUM,
    CHROMIUM_ARGS,
    COMPONENT,
    DOMAIN,
    EXTRA_CONFIGURATION,
    HASS_PYTHON,
    HASS_START_TIMEOUT_S,
    OUTPUT,
    ROOT,
    SERVICES,
    STEP_TIMEOUT_MS,
    VALID_KEY,
    VIEWPORT,
    StepError,
    Ui,
)
from widget_steps import badge_add, dashboard_button, widget_devices, widget_metric_add
import yaml

STEPS: list[tuple[str, Callable[[Ui], str]]] = [
    ("onboarding", onboarding),
    ("add integration: key form", open_key_form),
    ("add integration: wrong key", wrong_key),
    ("add integration: valid key", valid_key),
    *((f"action {action}", check_action(action)) for action in SERVICES),
    ("integration page", integration_page),
    ("entity page: Live Activity sensor", live_activity_sensor),
    ("entity page: Button pressed event", button_event),
    ("options: Regenerate button links", options_flow),
    ("tracked entity: entity step", tracked_pick),
    ("tracked entity: type step", tracked_type),
    ("tracked entity: content step", tracked_content),
    ("tracked entity: when step", tracked_when),
    ("tracked entity: integration page, device", tracked_device),
    ("tracked entity: timer runs, Live Activity", tracked_follows),
    ("tracked entity: reconfigure", tracked_reconfigure),
    ("widget metric: add through the UI", widget_metric_add),
    ("app badge: add through the UI", badge_add),
    ("widget metric and badge: devices", widget_devices),
    ("dashboard: button card starts a Live Activity", dashboard_button),
    ("tracked entity: priority in every language", tracked_priority),
    ("slots sensor: details in every language", slots_sensor),
    ("languages: action form and sensor details", languages),
    ("appliance run: power sensor, type, content", run_pick),
    ("appliance run: when step", run_when),
    ("appliance run: run step", run_thresholds),
    ("appliance run: done step", run_done),
    ("recipient: add", recipient_add),
    ("recipient: device and notify entity", recipient_notify),
    ("recipient: picked in a tracked entity", recipient_in_tracked),
]
# What every other step builds on: `--only` runs these too.
SETUP_STEPS = ("onboarding", "add integration:")


# --- the run ---------------------------------------------------------------------------


@dataclass
class Result:
    """What one step did."""

    name: str
    status: str  # ok, FAIL or skipped
    seconds: float = 0.0
    checked: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_step(ui: Ui, number: int, name: str, step: Callable[[Ui], str]) -> Result:
    """Run one step and the checks after every step."""
    ui.step_number, ui.problems, ui.docs_pending = number, [], []
    errors_before = len(ui.console_errors)
    started = time.monotonic()
    checked, fatal = "", False
    try:
        checked = step(ui)
    except (StepError, PlaywrightError) as err:
        fatal = True
        lines = str(err).splitlines()
        waiting = [line.strip() for line in lines if "waiting for" in line][:1]
        ui.problem(f"did not complete: {' '.join(lines[:1] + waiting)}")
    with contextlib.suppress(PlaywrightError):
        ui.check_text()
        ui.shot("end")
    for error in ui.console_errors[errors_before:]:
        if DOMAIN in error.lower():
            ui.problem(f"browser console error: {error[:300]}")
    result = Result(
        name,
        "FAIL" if ui.problems else "ok",
        time.monotonic() - started,
        checked,
        ui.problems,
    )
    for small, target in ui.docs_pending:
        if result.status == "ok":
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(small, target)
            result.notes.append(
                f"updated {target.relative_to(ROOT)} ({target.stat().st_size // 1024} kB)"
            )
        else:
            result.notes.append(
                f"{target.relative_to(ROOT)} not updated: the step failed"
            )
    if fatal:
        raise StepAborted(result)
    return result


class StepAborted(Exception):
    """A step could not complete; carries its result."""

    def __init__(self, result: Result) -> None:
        """Keep the result."""
        super().__init__(result.name)
        self.result = result


def print_result(number: int, total: int, result: Result) -> None:
    """One line per step, then its problems."""
    print(
        f"[{number:2}/{total}] {result.name:<42} {result.status:<7}"
        f" {result.seconds:5.1f} s  {result.checked}",
        flush=True,
    )
    for problem in result.problems:
        print(f"        - {problem}", flush=True)
    for note in result.notes:
        print(f"        ({note})", flush=True)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_store(storage: Path, key: str, version: int, data: dict[str, Any]) -> None:
    """A file of Home Assistant's .storage, in the format `version` of `key`."""
    (storage / key).write_text(
        json.dumps({"version": version, "minor_version": 1, "key": key, "data": data})
    )


def prepare_config(config_dir: Path, port: int) -> None:
    """A throwaway config directory: config/configuration.yaml and this component.

    Plus EXTRA_CONFIGURATION: a timer for the "Add tracked entity" steps to pick.
    """
    configuration = (ROOT / "config" / "configuration.yaml").read_text()
    for domain in ("http", *EXTRA_CONFIGURATION):
        if re.search(rf"^{domain}:", configuration, re.MULTILINE):
            raise SystemExit(
                f"config/configuration.yaml sets {domain}:; ui-check sets its own"
            )
    (config_dir / "configuration.yaml").write_text(
        configuration + "\n" + yaml.safe_dump(EXTRA_CONFIGURATION)
    )
    (config_dir / "custom_components").mkdir()
    (config_dir / "custom_components" / DOMAIN).symlink_to(COMPONENT)
    storage = config_dir / ".storage"
    storage.mkdir()
    # Home Assistant keeps its HTTP settings in storage (http: in YAML is deprecated and
    # starts a trial that reverts to port 8123 on every interface). Version 1 of this
    # store is migrated forward by every release.
    write_store(storage, "http", 1, {"server_host": ["127.0.0.1"], "server_port": port})
    # The onboarding's location step is marked done: finishing it sets up met,
    # radio_browser and google_translate, which reach the internet.
    write_store(storage, "onboarding", 4, {"done": ["core_config"]})


@contextlib.contextmanager
def process(
    command: list[str], log: Path, **options: Any
) -> Iterator[subprocess.Popen[str]]:
    """Run `command` for the duration of the block; stop it (and wait) afterwards."""
    with log.open("w") as out:
        options.setdefault("stdout", out)
        child = subprocess.Popen(  # noqa: S603 - our own commands
            command, cwd=ROOT, text=True, stderr=out, **options
        )
        try:
            yield child
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(60)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()


def fake_api_url(fake: subprocess.Popen[str]) -> str:
    """The base URL the fake API printed when it started listening."""
    assert fake.stdout is not None  # noqa: S101 - asked for with PIPE
    ready, _, _ = select.select([fake.stdout], [], [], 30)
    line = fake.stdout.readline() if ready else ""
    if not line.startswith("PORT "):
        raise SystemExit(f"the fake ActivitySmith did not start: {line!r}")
    return f"http://127.0.0.1:{int(line.split()[1])}"


def wait_for_hass(hass: subprocess.Popen[str], base_url: str) -> None:
    """Wait until Home Assistant answers its onboarding API."""
    deadline = time.monotonic() + HASS_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if hass.poll() is not None:
            raise SystemExit(
                f"Home Assistant exited ({hass.returncode}); see {OUTPUT}/home-assistant.log"
            )
        try:
            url = f"{base_url}/api/onboarding"  # http://127.0.0.1:<port>
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except urllib.error.URLError, ConnectionError, TimeoutError:
            pass
        time.sleep(1)
    raise SystemExit(f"Home Assistant did not answer within {HASS_START_TIMEOUT_S} s")


def keep_local(base_url: str) -> Callable[[Route], None]:
    """Let the browser reach only Home Assistant, and nothing that makes it go online.

    Brand images of other integrations and map tiles are fetched by Home Assistant from
    the internet; this integration's brand images are served from its own folder.
    """

    def route(route: Route) -> None:
        url = route.request.url
        if (
            not url.startswith(base_url + "/")
            or "/api/map_tiles/" in url
            or (
                "/api/brands/" in url
                and f"/api/brands/integration/{DOMAIN}/" not in url
            )
        ):
            route.abort("blockedbyclient")
        else:
            route.continue_()

    return route


def selected_steps(only: list[str] | None) -> list[tuple[str, Callable[[Ui], str]]]:
    """STEPS, or with `only` the set-up steps and those whose name contains one of it."""
    if not only:
        return STEPS
    return [
        (name, step)
        for name, step in STEPS
        if name.startswith(SETUP_STEPS) or any(text in name for text in only)
    ]


def run_steps(
    base_url: str, fake_url: str, update_docs: bool, only: list[str] | None = None
) -> list[Result]:
    """Drive Chromium through STEPS; the results, including skipped steps."""
    steps = selected_steps(only)
    results: list[Result] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="en-US")
            context.set_default_timeout(STEP_TIMEOUT_MS)
            context.route("**/*", keep_local(base_url))
            page = context.new_page()
            ui = Ui(page, base_url, update_docs, fake_url)
            page.on("console", ui.on_console)
            page.on("pageerror", lambda error: ui.console_errors.append(f"{error}"))
            for number, (name, step) in enumerate(steps, 1):
                try:
                    results.append(run_step(ui, number, name, step))
                except StepAborted as aborted:
                    results.append(aborted.result)
                    print_result(number, len(steps), aborted.result)
                    results += [Result(later, "skipped") for later, _ in steps[number:]]
                    for skipped, result in enumerate(results[number:], number + 1):
                        print_result(skipped, len(steps), result)
                    break
                print_result(number, len(steps), results[-1])
        finally:
            browser.close()
    return results


def main() -> int:
    """Start everything, run the steps, stop everything, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="run only the steps whose name contains TEXT (repeatable), after the set-up"
        " steps (onboarding, add integration) they build on; for working on a step",
    )
    parser.add_argument(
        "--update-screenshots",
        action="store_true",
        help="also copy small screenshots of passing steps into docs/",
    )
    args = parser.parse_args()
    # CI stops a run with SIGTERM: unwind, so everything started here is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir()
    started = time.monotonic()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with contextlib.ExitStack() as stack:
        config_dir = Path(
            stack.enter_context(
                tempfile.TemporaryDirectory(prefix="activitysmith-ui-check-")
            )
        )
        prepare_config(config_dir, port)
        fake = stack.enter_context(
            process(
                [
                    str(HASS_PYTHON),
                    "bench/fake_activitysmith.py",
                    "--api-key",
                    VALID_KEY,
                ],
                OUTPUT / "fake-activitysmith.log",
                stdout=subprocess.PIPE,
            )
        )
        api_url = fake_api_url(fake)
        print(
            f"ui-check: fake ActivitySmith on {api_url}; starting Home Assistant on {base_url}",
            flush=True,
        )
        hass = stack.enter_context(
            process(
                [
                    str(HASS_PYTHON),
                    "ui_check/hass_with_fake_api.py",
                    f"{api_url}/api",
                    "--config",
                    str(config_dir),
                    "--log-no-color",
                ],
                OUTPUT / "home-assistant.log",
            )
        )
        wait_for_hass(hass, base_url)
        print(
            f"ui-check: Home Assistant answers after {time.monotonic() - started:.0f} s",
            flush=True,
        )
        results = run_steps(base_url, api_url, args.update_screenshots, args.only)
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("ok", "FAIL", "skipped")
    }
    failed = [r.name for r in results if r.status != "ok"]
    print(
        f"ui-check: {time.monotonic() - started:.0f} s; screenshots and logs in {OUTPUT.relative_to(ROOT)}/"
    )
    if failed:
        print(f"ui-check: failed or skipped: {'; '.join(failed)}")
    print(
        f"ui-check: {counts['ok']} passed, {counts['FAIL']} failed, {counts['skipped']} skipped"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
