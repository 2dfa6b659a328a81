"""What the UI check sees and does in the browser: the `Ui`, and helpers for steps.

Shared by the steps (`steps.py`, `tracked_steps.py`) and the runner (`check.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
import time
from typing import Any

from playwright.sync_api import (
    ConsoleMessage,
    Error as PlaywrightError,
    Locator,
    Page,
    ViewportSize,
)
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "activitysmith"
COMPONENT = ROOT / "custom_components" / DOMAIN
OUTPUT = ROOT / ".ui-check"  # screenshots and logs of the last run (gitignored)
DOCS = ROOT / "docs"  # --update-screenshots copies a few small ones here
HASS_PYTHON = ROOT / ".venv-develop" / "bin" / "python"  # made by scripts/ui-check

VALID_KEY = "ask_ui_check_valid_key"
WRONG_KEY = "ask_ui_check_wrong_key"
OWNER = {
    "name": "UI Check",
    "username": "uicheck",
    "password": "ui-check-password",
}

EXTERNAL_URL = "https://ui-check.invalid"  # for home_assistant buttons; never reached
# Appended to the throwaway configuration.yaml: something meaningful to track.
TRACKED_TIMER = "timer.pasta"
TRACKED_NAME = "Pasta"
# A washer's smart plug, for the appliance run (ui_check/run_steps.py).
WASHER_POWER = "sensor.washer_power"
WASHER_NAME = "Washer power"
# A number for the widget metric, and switches for the badge to count (one is on).
METRIC_ENTITY = "input_number.indoor_temperature"
METRIC_NAME = "Indoor temperature"
EXTRA_CONFIGURATION: dict[str, Any] = {
    "timer": {"pasta": {"name": TRACKED_NAME, "duration": "00:10:00"}},
    "template": [
        {
            "sensor": [
                {
                    "name": WASHER_NAME,
                    "unique_id": "ui_check_washer_power",
                    "state": "0",
                    "unit_of_measurement": "W",
                    "device_class": "power",
                }
            ]
        }
    ],
    "input_number": {
        "indoor_temperature": {
            "name": METRIC_NAME,
            "min": 0,
            "max": 40,
            "step": 0.5,
            "initial": 21.5,
        }
    },
    "input_boolean": {
        "kitchen_window": {"name": "Kitchen window", "initial": True},
        "bedroom_window": {"name": "Bedroom window", "initial": False},
    },
}

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright never downloads a browser here
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium phones home, and on a closed network its connections fail.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = ViewportSize(width=1280, height=900)
DOCS_MAX_HEIGHT = 640  # px: docs screenshots stay small (well under 150 kB)
DOCS_ACTION = "start_live_activity"  # the action whose form docs/action-form.png shows
STEP_TIMEOUT_MS = 20_000  # for anything to render or answer
HASS_START_TIMEOUT_S = 600  # the first start installs the frontend with pip

LANGUAGES = ("de", "fr", "es", "nl", "it", "pl", "pt-BR", "sv")  # besides en

SERVICES: dict[str, Any] = yaml.safe_load((COMPONENT / "services.yaml").read_text())
STRINGS: dict[str, Any] = json.loads(
    (COMPONENT / "translations" / "en.json").read_text()
)


class StepError(Exception):
    """The step could not do its work; the run stops."""


# --- what the browser shows ------------------------------------------------------------

# Label texts under `root`, through shadow roots: settings-row headings (action forms),
# <label> elements and the `label` property of Home Assistant's form elements.
LABELS_JS = """root => {
  const labels = [];
  const walk = node => {
    if (node.nodeType === Node.ELEMENT_NODE) {
      const tag = node.tagName.toLowerCase();
      if (node.getAttribute("slot") === "heading" || tag === "label") {
        labels.push(node.textContent);
      } else if (tag.startsWith("ha-") && typeof node.label === "string") {
        labels.push(node.label);
      }
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    for (const child of node.childNodes) walk(child);
  };
  walk(root);
  return labels.map(text => text.trim()).filter(Boolean);
}"""

# The field key of the action-form row an element is in, if any.
FIELD_OF_JS = """element => {
  for (let node = element; node; node = node.parentElement || node.getRootNode().host) {
    if (node.tagName === "HA-SETTINGS-ROW") return node.querySelector("ha-selector")?.key ?? null;
  }
  return null;
}"""

# Options of translated selects (translation_key) shown as their raw values, per field.
RAW_OPTIONS_JS = """selectors => selectors.flatMap(selector => {
  const config = selector.selector?.select;
  if (!config?.translation_key) return [];
  const values = new Set(config.options.map(o => typeof o === "string" ? o : o.value));
  const shown = new Set();
  const walk = node => {
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (/^ha-(dropdown-item|list-item|md-list-item|check-list-item|radio-option)$/i.test(node.tagName)) {
        shown.add(node.textContent.trim());
      } else if (node.tagName === "HA-FORMFIELD" && typeof node.label === "string") {
        shown.add(node.label.trim());
      }
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    for (const child of node.childNodes) walk(child);
  };
  walk(selector);
  const raw = [...shown].filter(text => values.has(text));
  return raw.length ? [`${selector.key ?? selector.name}: ${raw.join(", ")}`] : [];
})"""

HASS_JS = "document.querySelector('home-assistant').hass"


@dataclass
class Ui:
    """The browser page and what the current step found."""

    page: Page
    base_url: str
    update_docs: bool
    fake_url: str = ""  # the fake ActivitySmith's base URL
    step_number: int = 0
    problems: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    docs_pending: list[tuple[Path, Path]] = field(default_factory=list)

    def goto(self, path: str) -> None:
        """Open a page of Home Assistant's UI by its path.

        The frontend routes in the page itself; a navigation that starts while it is
        still changing the URL is aborted by the browser (net::ERR_ABORTED), which is
        not a defect of the page: wait a moment and open it again. A dialog must have
        left history before (see `dialog_in_history`).
        """
        for attempt in range(1, 4):
            try:
                self.page.goto(self.base_url + path)
            except PlaywrightError as err:
                if "ERR_ABORTED" not in str(err) or attempt == 3:
                    raise
                self.page.wait_for_timeout(500 * attempt)
            else:
                return

    def problem(self, text: str) -> None:
        """Record something wrong; the step fails, the run goes on."""
        if text not in self.problems:
            self.problems.append(text)

    def shot(
        self, name: str, *, docs: str | None = None, clip: Locator | None = None
    ) -> None:
        """Save a screenshot of the page; with `docs`, also a small one for docs/.

        The small one shows the top of `clip` (or the viewport). It is copied to
        docs/`docs` only with --update-screenshots and only if the step passes, so docs/
        never shows a defect.
        """
        self.page.screenshot(path=OUTPUT / f"{self.step_number:02d}-{name}.png")
        if not (docs and self.update_docs):
            return
        small = OUTPUT / "for-docs" / docs
        small.parent.mkdir(exist_ok=True)
        box = clip.bounding_box() if clip is not None else None
        if box is None:
            self.page.screenshot(path=small)
        else:
            box["height"] = min(box["height"], DOCS_MAX_HEIGHT)
            self.page.screenshot(path=small, clip=box)
        self.docs_pending.append((small, DOCS / docs))

    def labels(self, root: Locator) -> list[str]:
        """The label texts under `root`."""
        labels: list[str] = root.evaluate(LABELS_JS)
        return labels

    def check_labels(self, root: Locator, keys: set[str], where: str) -> list[str]:
        """Record labels under `root` that are a raw field key or translation key."""
        labels = self.labels(root)
        bare = [label.rstrip("*").strip() for label in labels]
        if raw := sorted({label for label in bare if label in keys}):
            self.problem(f"{where}: labels are raw field keys: {', '.join(raw)}")
        if raw := sorted(
            {label for label in bare if label.startswith(f"component.{DOMAIN}.")}
        ):
            self.problem(f"{where}: labels are raw translation keys: {', '.join(raw)}")
        return labels

    def check_form(self, root: Locator, keys: set[str], where: str) -> None:
        """Labels, options of translated selects and visible texts of a form."""
        self.check_labels(root, keys, where)
        for raw in root.locator("ha-selector").evaluate_all(RAW_OPTIONS_JS):
            self.problem(f"{where}: options shown as their raw values ({raw})")
        self.check_text()

    def check_text(self) -> None:
        """Record visible "Translation error" texts and raw translation keys."""
        for needle in ("Translation error", f"component.{DOMAIN}."):
            matches = self.page.get_by_text(needle)
            for index in range(matches.count()):
                match = matches.nth(index)
                if not match.is_visible():
                    continue
                text = " ".join(match.inner_text().split())[:200]
                key = match.evaluate(FIELD_OF_JS)
                self.problem(f"visible {text!r}" + (f" (field {key})" if key else ""))

    def hass(self, expression: str) -> Any:
        """Evaluate `expression` with `hass` (the frontend's connection) in the page."""
        return self.page.evaluate(
            f"async () => {{ const hass = {HASS_JS}; return {expression}; }}"
        )

    def localize(self, key: str) -> str:
        """A text of the frontend's own, in the UI's language ("ui.common.menu")."""
        text: str = self.hass(f"hass.localize({json.dumps(key)})")
        if not text:
            raise StepError(f"the frontend has no text {key}")
        return text

    def on_console(self, message: ConsoleMessage) -> None:
        """Keep the browser's console errors, with the URL they came from."""
        if message.type == "error":
            self.console_errors.append(
                f"{message.text} ({message.location.get('url', '')})"
            )


def wait_until(check: Callable[[], bool], what: str, timeout_s: float = 20) -> None:
    """Poll `check` until it is true; raise StepError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise StepError(f"timed out waiting for {what}")
        time.sleep(0.2)


# --- helpers for steps -----------------------------------------------------------------


def settle(page: Page) -> None:
    """Wait for running animations (a dialog fading in) to end."""
    page.evaluate(
        """() => Promise.all(document.getAnimations()
          .filter(a => a.effect?.getComputedTiming().endTime !== Infinity)
          .map(a => a.finished.catch(() => null)))"""
    )


def flow_dialog(ui: Ui) -> Locator:
    """The config, options or subentry flow dialog."""
    return ui.page.locator("dialog-data-entry-flow")


def form_keys(form: Locator) -> list[str]:
    """The field keys of an ha-form, in order."""
    keys: list[str] = form.evaluate("form => (form.schema ?? []).map(s => s.name)")
    return keys


def form_data(form: Locator) -> dict[str, Any]:
    """The values an ha-form shows (defaults and suggested values included)."""
    data: dict[str, Any] = form.evaluate("form => form.data ?? {}")
    return data


def check_description(ui: Ui, description: str, where: str) -> None:
    """Record it if the dialog does not show the start of `description`."""
    start = description.split(".", maxsplit=1)[0]
    try:
        # Markdown renders in a worker, a moment after the title.
        flow_dialog(ui).get_by_text(start).filter(visible=True).first.wait_for()
    except PlaywrightError:
        ui.problem(f"{where}: the description {start!r}... is not shown")


def submit(ui: Ui) -> None:
    """Submit the flow dialog's form."""
    flow_dialog(ui).get_by_role("button", name="Submit").click()


def close_flow(ui: Ui) -> None:
    """Close the flow dialog without submitting."""
    dialog = flow_dialog(ui)
    dialog.get_by_role("button", name="Close").first.click()
    dialog.locator("ha-form, ha-markdown").first.wait_for(state="detached")
    wait_until(lambda: not dialog_in_history(ui), "the flow dialog to leave history")


def shows(where: Locator, text: str, exact: bool = True, timeout_s: float = 5) -> bool:
    """Whether `where` shows `text` visibly within `timeout_s`.

    A check made once right after a change can run before Lit renders it; this one
    gives the render a few seconds and still answers False when the text never comes.
    """
    try:
        where.get_by_text(text, exact=exact).filter(visible=True).first.wait_for(
            timeout=timeout_s * 1000
        )
    except PlaywrightError:
        return False
    return True


def subentries(ui: Ui) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subentry of the integration's entries, with its entry id."""
    for entry in ui.hass(
        f"hass.callWS({{type: 'config_entries/get', domain: '{DOMAIN}'}})"
    ):
        for subentry in ui.hass(
            "hass.callWS({type: 'config_entries/subentries/list',"
            f" entry_id: '{entry['entry_id']}'}})"
        ):
            yield entry["entry_id"], dict(subentry)


def finish_flow(ui: Ui) -> None:
    """End a flow whose last step was submitted, and wait for it to leave history.

    A subentry flow ends with a note and a Finish button (after a change, Close), or
    just closes. The note renders a moment after the subentry exists, so this waits
    for the form to go and clicks the note's button whenever one shows; looking once
    raced it (a CI run timed out with the note still open).
    """
    dialog = flow_dialog(ui)
    done = dialog.get_by_role("button", name=re.compile(r"^(Finish|Close)$"))

    def ended() -> bool:
        if dialog.locator("ha-form").count():
            return False
        if not dialog_in_history(ui):
            return True
        if done.count():
            with contextlib.suppress(PlaywrightError):
                done.last.click(timeout=2000)
        return False

    wait_until(ended, "the flow dialog to close")


def close_more_info(ui: Ui) -> None:
    """Close the more-info dialog (Escape; a second one if Details held the first)."""
    for _ in range(3):
        ui.page.keyboard.press("Escape")
        with contextlib.suppress(StepError):
            wait_until(lambda: not dialog_in_history(ui), "more-info to close", 5)
            return
    raise StepError("the more-info dialog did not close")


def dialog_in_history(ui: Ui) -> bool:
    """Whether an open dialog still holds the page's history entry.

    Closing a dialog ends with `history.back()` once its animation is done: a
    navigation started before that is undone by it (a CI run landed back on the device
    page this way). So a step that closes a dialog waits until it has left history.
    """
    return bool(ui.page.evaluate("() => Boolean(history.state?.dialog)"))


def dialog_panel(dialog: Locator) -> Locator:
    """The visible panel of a dialog (the part a docs screenshot shows)."""
    return dialog.locator("wa-dialog [part~='dialog']").first


def tall_shot(ui: Ui, element: Locator, name: str) -> None:
    """A screenshot with the viewport stretched to show all of `element`."""
    box = element.bounding_box()
    if box is None:
        return
    height = min(8000, int(box["y"] + box["height"] + 40))
    ui.page.set_viewport_size(ViewportSize(width=VIEWPORT["width"], height=height))
    try:
        ui.shot(name)
    finally:
        ui.page.set_viewport_size(VIEWPORT)
