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

To add a step, write `def my_step(ui: Ui) -> str` using `ui.page` (Playwright),
`ui.check_form(...)` (or `check_flow_step` for a step of the tracked-entity flow) and
`ui.shot(name, docs=...)`, and put it in STEPS after the steps it builds on. While working
on it, `--only TEXT` runs just the steps whose name contains TEXT, after the set-up.
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
    ConsoleMessage,
    Error as PlaywrightError,
    Locator,
    Page,
    Route,
    ViewportSize,
    expect,
    sync_playwright,
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
EXTRA_CONFIGURATION: dict[str, Any] = {
    "timer": {"pasta": {"name": TRACKED_NAME, "duration": "00:10:00"}}
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


# --- the steps -------------------------------------------------------------------------


def onboarding(ui: Ui) -> str:
    """Create the owner in the onboarding form, then finish the remaining steps."""
    page = ui.page
    ui.goto("/")
    page.get_by_role("button", name="Create my smart home").click()
    page.locator("input[name=name]").wait_for()
    heading = page.locator("h1").first
    headings = [heading.inner_text()]
    for name in ("name", "username"):
        page.locator(f"input[name={name}]").fill(OWNER[name])
    for name in ("password", "password_confirm"):
        page.locator(f"input[name={name}]").fill(OWNER["password"])
    page.get_by_role("button", name="Create account").click()
    # Then one button per step (analytics: Next; all set: Finish), whatever the release.
    # The analytics step waits until Home Assistant has started, which takes minutes on
    # the first start (it installs packages); after it, everything is up.
    for _ in range(6):
        expect(heading).not_to_have_text(headings[-1])
        headings.append(heading.inner_text())
        finish = page.get_by_role("button", name="Finish", exact=True)
        if finish.is_visible():
            finish.click()
            break
        next_step = page.get_by_role("button", name="Next", exact=True)
        next_step.click(timeout=HASS_START_TIMEOUT_S * 1000)
    page.wait_for_url(
        lambda url: "onboarding" not in url and "auth_callback" not in url
    )
    path = page.url.removeprefix(ui.base_url).split("?")[0]
    return f"{' > '.join(headings)} > {path}"


def open_key_form(ui: Ui) -> str:
    """Settings > Devices & services > Add integration > ActivitySmith."""
    page = ui.page
    strings = STRINGS["config"]["step"]["user"]
    ui.goto("/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    page.get_by_placeholder("Search for a brand name").fill("ActivitySmith")
    page.get_by_text("ActivitySmith", exact=True).click()
    dialog = page.locator("dialog-data-entry-flow")
    dialog.get_by_text(strings["title"], exact=True).wait_for()
    dialog.locator("input[name=api_key]").wait_for()
    labels = ui.check_labels(dialog, {"api_key"}, "key form")
    if not any(label.rstrip("*") == strings["data"]["api_key"] for label in labels):
        ui.problem(
            f"key form: no field labelled {strings['data']['api_key']!r}: {labels}"
        )
    settle(page)
    ui.shot("key-form", docs="config-flow-api-key.png", clip=dialog_panel(dialog))
    return f"found in Add integration; the form shows {strings['title']!r} and its key field"


def wrong_key(ui: Ui) -> str:
    """A key ActivitySmith rejects: the translated error, and the key stays typed."""
    page = ui.page
    dialog = page.locator("dialog-data-entry-flow")
    key = dialog.locator("input[name=api_key]")
    key.fill(WRONG_KEY)
    dialog.get_by_role("button", name="Submit").click()
    error = STRINGS["config"]["error"]["invalid_auth"]
    dialog.get_by_text(error).wait_for()
    ui.shot("wrong-key")
    # Needs the config flow to show the form again with the typed key as suggested value.
    if (kept := key.input_value()) != WRONG_KEY:
        ui.problem(
            "key form: after the error the key field is "
            + ("empty" if not kept else f"{kept!r}")
            + f", not the key typed ({WRONG_KEY!r})"
        )
    return f"shows {error!r}; the typed key stays in the field"


def valid_key(ui: Ui) -> str:
    """A key ActivitySmith accepts: the entry is created and loaded."""
    page = ui.page
    dialog = page.locator("dialog-data-entry-flow")
    dialog.locator("input[name=api_key]").fill(VALID_KEY)
    dialog.get_by_role("button", name="Submit").click()
    dialog.get_by_role("button", name=re.compile(r"^(Skip and finish|Finish)$")).click()

    def loaded() -> bool:
        entries = ui.hass(
            f"hass.callWS({{type: 'config_entries/get', domain: '{DOMAIN}'}})"
        )
        return [entry["state"] for entry in entries] == ["loaded"]

    wait_until(loaded, "one loaded ActivitySmith entry")
    wait_until(lambda: not dialog_in_history(ui), "the flow dialog to leave history")
    ui.shot("entry-created")
    return "entry created and loaded"


def check_action(action: str) -> Callable[[Ui], str]:
    """A step for Developer tools > Actions (UI mode) with activitysmith.`action`."""

    def step(ui: Ui) -> str:
        page = ui.page
        fields: dict[str, Any] = SERVICES[action].get("fields") or {}
        name = STRINGS["services"][action]["name"]
        ui.goto("/developer-tools/action")
        page.get_by_role("button", name="UI mode").click()
        page.locator("ha-service-picker").click()
        page.get_by_placeholder("Search", exact=True).fill(f"{DOMAIN}.{action}")
        page.get_by_text(f"{DOMAIN}.{action}", exact=True).click()
        page.locator("ha-service-picker").get_by_text(name, exact=True).wait_for()

        form, rows, row_keys = action_form(ui, action)
        ui.check_form(form, set(fields), action)
        docs = "action-form.png" if action == DOCS_ACTION else None
        ui.shot("form", docs=docs, clip=form)
        tall_shot(ui, form, "form-full")

        dialogs = []
        for key, spec in fields.items():
            object_fields = ((spec.get("selector") or {}).get("object") or {}).get(
                "fields"
            )
            if not object_fields:
                continue
            rows.nth(row_keys.index(key)).get_by_role("button", name="Add").click()
            dialog = page.locator("dialog-form ha-dialog[open]")
            dialog.locator("ha-form").wait_for()
            settle(page)
            ui.check_form(dialog, set(object_fields), f"{action} > {key} > Add")
            ui.shot(f"{key}-add")
            dialog.get_by_role("button", name="Cancel").click()
            dialog.wait_for(state="hidden")
            dialogs.append(key)
        opened = f"; Add dialogs of {', '.join(dialogs)}" if dialogs else ""
        return f"{name!r}: {len(fields)} fields, their labels and options{opened}"

    step.__doc__ = f"Developer tools > Actions: {DOMAIN}.{action}."
    return step


def action_form(ui: Ui, action: str) -> tuple[Locator, Locator, list[str | None]]:
    """The open action form once every field of `action` renders: form, rows, keys."""
    fields: dict[str, Any] = SERVICES[action].get("fields") or {}
    form = ui.page.locator("ha-service-control")
    rows = form.locator("ha-settings-row")
    row_keys: list[str | None] = []

    def rendered() -> bool:
        row_keys[:] = rows.evaluate_all(
            "rows => rows.map(row => row.querySelector('ha-selector')?.key ?? null)"
        )
        return set(fields) <= set(row_keys)

    try:
        wait_until(rendered, f"the {len(fields)} fields of {action}")
    except StepError as err:
        missing = ", ".join(key for key in fields if key not in row_keys)
        raise StepError(f"{err}; not rendered: {missing}") from err
    return form, rows, row_keys


def integration_page(ui: Ui) -> str:
    """Settings > Devices & services > ActivitySmith."""
    page = ui.page
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_role("heading", name="ActivitySmith").wait_for()
    page.locator("ha-config-entry-row").filter(has_text="ActivitySmith").wait_for()
    # Under the entry, its device: "ActivitySmith • 2 entities".
    device = page.locator("ha-config-entry-device-row")
    device.filter(has_text=re.compile(r"\d+\W*entities")).first.wait_for()
    ui.shot("integration")
    return "shows the integration, its entry and the entry's device with its entities"


def live_activity_sensor(ui: Ui) -> str:
    """The Live Activity sensor in Settings > Entities, with its translated attributes."""
    page = ui.page
    strings = STRINGS["entity"]["sensor"]["live_activity"]
    entity_id = start_live_activity(ui)
    ui.goto(f"/config/entities?domain={DOMAIN}")
    page.get_by_text(strings["name"], exact=True).click()
    names, values = check_details(ui, entity_id, strings)
    return (
        f"{entity_id} details: translated attribute names ({', '.join(names)})"
        f" and values ({', '.join(values)})"
    )


def check_details(
    ui: Ui,
    entity_id: str,
    strings: dict[str, Any],
    *,
    named: bool = True,
    tag: str = "",
) -> tuple[list[str], list[str]]:
    """In the open more-info dialog: the name, then Details with translated attributes.

    `strings` is the entity's translations (entity.<platform>.<key>), in the UI's
    language; with `named`, the dialog must show the entity's translated name first.
    Returns the attribute names and values found translated.
    """
    page = ui.page
    dialog = page.locator("ha-more-info-dialog")
    if named:
        dialog.get_by_text(strings["name"], exact=True).first.wait_for()
    else:
        dialog.get_by_label(ui.localize("ui.common.menu"), exact=True).wait_for()
    settle(page)
    ui.shot(f"more-info{tag}")
    dialog.get_by_label(ui.localize("ui.common.menu"), exact=True).click()
    details = ui.localize("ui.dialogs.more_info_control.details")
    dialog.locator("ha-dropdown-item").filter(has_text=details).click()
    attributes = ui.hass(f"hass.states['{entity_id}'].attributes")
    # The frontend takes an `icon` attribute as the entity's icon ("mdi:timer"); anything
    # else breaks the icon ("this.icon.split is not a function" in the console).
    icon = attributes.get("icon")
    if icon is not None and not (isinstance(icon, str) and ":" in icon):
        ui.problem(
            f"{entity_id}: attribute icon is {icon!r}; the frontend shows it as the"
            " entity's icon, which then fails to render"
        )
    translated = {
        key: spec
        for key, spec in strings.get("state_attributes", {}).items()
        if key in attributes
    }
    names = [spec["name"] for spec in translated.values() if "name" in spec]
    values = [
        spec["state"][attributes[key]]
        for key, spec in translated.items()
        if isinstance(attributes[key], str) and attributes[key] in spec.get("state", {})
    ]
    # The translated names come with the entity translations, which may load later.
    if names:
        dialog.get_by_text(names[0], exact=True).first.wait_for()
    else:
        dialog.locator("ha-attribute-value").first.wait_for()
    for name in names:
        if not dialog.get_by_text(name, exact=True).filter(visible=True).count():
            ui.problem(f"{entity_id} details: no attribute named {name!r}")
    # Values are text right in a shadow root, which text selectors do not match.
    shown = dialog.locator("ha-attribute-value").evaluate_all(
        "values => values.map(value => (value.shadowRoot ?? value).textContent.trim())"
    )
    for value in values:
        if value not in shown:
            ui.problem(f"{entity_id} details: no attribute value {value!r} ({shown})")
    ui.shot(f"details{tag}")
    return names, values


def start_live_activity(ui: Ui) -> str:
    """Start a Live Activity (fake API); its sensor's entity id once it shows it."""
    ui.hass(
        f"hass.callService('{DOMAIN}', 'start_live_activity', {{title: 'UI check', "
        "type: 'segmented_progress', number_of_steps: 3, current_step: 1}, "
        "undefined, true, true)"
    )
    entity_id: str | None = ui.hass(
        "Object.values(hass.entities).find(e => e.platform === 'activitysmith'"
        " && e.translation_key === 'live_activity')?.entity_id"
    )
    if not entity_id:
        raise StepError("no Live Activity sensor in the entity registry")
    wait_until(
        lambda: ui.hass(f"hass.states['{entity_id}']?.attributes.status") == "active",
        f"{entity_id} to show the started activity",
    )
    return entity_id


def button_event(ui: Ui) -> str:
    """The Button pressed event entity, after a press of a home_assistant button.

    The button goes out in a start, as ActivitySmith gets it (a signed webhook button);
    the step then calls the webhook with the button's body, as ActivitySmith does when
    the button is tapped, and opens the entity's details.
    """
    page = ui.page
    strings = STRINGS["entity"]["event"]["button"]
    action = "ui_check_lock"
    # Buttons that come home need an https URL; nothing reaches this one, nothing has to.
    ui.hass(
        f"hass.callWS({{type: 'config/core/update', external_url: '{EXTERNAL_URL}'}})"
    )
    ui.hass(
        f"hass.callService('{DOMAIN}', 'start_live_activity', {{title: 'Front door', "
        "type: 'alert', message: 'Unlocked', action: {title: 'Lock', "
        f"type: 'home_assistant', action: '{action}'}}}}, undefined, true, true)"
    )
    with urllib.request.urlopen(f"{ui.fake_url}/_fake/last-start") as answer:  # noqa: S310
        sent = json.load(answer)
    button = (sent or {}).get("action") or {}
    if not str(button.get("url", "")).startswith(EXTERNAL_URL):
        raise StepError(f"the start did not carry a webhook button: {button}")
    path = button["url"].removeprefix(EXTERNAL_URL)
    press = urllib.request.Request(  # noqa: S310 - our Home Assistant on 127.0.0.1
        ui.base_url + path,
        data=json.dumps(button["body"]).encode(),
        headers={"Content-Type": "application/json"},
        method=button["method"],
    )
    with urllib.request.urlopen(press) as answer:  # noqa: S310
        answer.read()
    entity_id = ui.hass(
        "Object.values(hass.entities).find(e => e.platform === 'activitysmith'"
        " && e.translation_key === 'button')?.entity_id"
    )
    if not entity_id:
        raise StepError("no Button pressed event entity in the entity registry")
    wait_until(
        lambda: ui.hass(f"hass.states['{entity_id}']?.attributes.event_type") == action,
        f"{entity_id} to record the press of {action}",
    )

    ui.goto(f"/config/entities?domain={DOMAIN}")
    page.get_by_text(strings["name"], exact=True).click()
    names, _ = check_details(ui, entity_id, strings)
    shown = page.locator("ha-more-info-dialog ha-attribute-value").evaluate_all(
        "values => values.map(value => (value.shadowRoot ?? value).textContent.trim())"
    )
    if action not in shown:
        ui.problem(
            f"{entity_id} details: the pressed action {action!r} not shown ({shown})"
        )
    return (
        f"{entity_id} ({strings['name']!r}) after a press of a webhook button:"
        f" translated attribute names ({', '.join(names)})"
    )


def options_flow(ui: Ui) -> str:
    """The entry's Configure dialog: Regenerate button links (closed, not submitted)."""
    page = ui.page
    strings = STRINGS["options"]["step"]["init"]
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    page.locator("ha-config-entry-row").get_by_role("button", name="Configure").click()
    dialog = flow_dialog(ui)
    dialog.get_by_text(strings["title"], exact=True).wait_for()
    settle(page)
    check_description(ui, strings["description"], "options")
    ui.shot("options", clip=dialog_panel(dialog))
    ui.check_text()
    close_flow(ui)
    return f"{strings['title']!r} with its description; closed without submitting"


# The "Add tracked entity" flow, one step each, then what it made.

TRACKED = STRINGS["config_subentries"]["tracked_entity"]


def tracked_pick(ui: Ui) -> str:
    """Add tracked entity: the entity step; pick the timer."""
    page = ui.page
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_role("button", name=TRACKED["initiate_flow"]["user"]).click()
    form, _ = check_flow_step(ui, "user", "entity step")
    form.locator("ha-selector").first.click()  # the entity picker opens its list
    dialog = flow_dialog(ui)
    dialog.get_by_placeholder("Search").fill(TRACKED_NAME)
    dialog.get_by_text(TRACKED_NAME, exact=True).click()
    wait_until(
        lambda: form_data(form).get("entity_id") == TRACKED_TIMER,
        f"the entity field to hold {TRACKED_TIMER}",
    )
    ui.shot("picked", clip=dialog_panel(dialog))
    submit(ui)
    return f"{TRACKED['step']['user']['title']!r}: picked {TRACKED_TIMER}"


def tracked_type(ui: Ui) -> str:
    """Add tracked entity: the type step, its options translated, timer suggested."""
    _, data = check_flow_step(ui, "type", "type step")
    options = STRINGS["selector"]["activity_type"]["options"]
    dialog = flow_dialog(ui)
    missing = [
        label
        for label in options.values()
        if not dialog.get_by_text(label, exact=True).filter(visible=True).count()
    ]
    if missing:
        ui.problem(f"type step: options not shown by their names: {', '.join(missing)}")
    if data.get("type") != "timer":
        ui.problem(f"type step: suggests {data.get('type')!r} for a timer, not 'timer'")
    ui.shot("type", clip=dialog_panel(dialog))
    submit(ui)
    return f"{len(options)} options by their names; {options['timer']!r} suggested"


def tracked_content(ui: Ui) -> str:
    """Add tracked entity: the content step, every field filled in."""
    form, data = check_flow_step(ui, "content", "content step")
    expected = {
        "title": TRACKED_NAME,
        "color": "orange",
        "duration_seconds": "{{ remaining }}",
    }
    for key, value in expected.items():
        if data.get(key) != value:
            ui.problem(f"content step: {key} is {data.get(key)!r}, not {value!r}")
    color = STRINGS["selector"]["color"]["options"].get(data.get("color", ""), "")
    if color and not form.get_by_text(color, exact=True).filter(visible=True).count():
        ui.problem(f"content step: the color is not shown as {color!r}")
    ui.shot(
        "content", docs="tracked-entity-flow.png", clip=dialog_panel(flow_dialog(ui))
    )
    keys = form_keys(form)
    submit(ui)
    filled = ", ".join(f"{key} {value!r}" for key, value in expected.items())
    return f"{len(keys)} fields labelled ({', '.join(keys)}); suggested {filled}"


def tracked_when(ui: Ui) -> str:
    """Add tracked entity: the when step; submitting it creates the subentry."""
    _, data = check_flow_step(ui, "when", "when step")
    expected = {
        "show_states": ["active", "paused"],
        "end_states": ["idle"],
        "auto_dismiss_minutes": 3,
    }
    for key, value in expected.items():
        if data.get(key) != value:
            ui.problem(f"when step: {key} is {data.get(key)!r}, not {value!r}")
    ui.shot("when", clip=dialog_panel(flow_dialog(ui)))
    submit(ui)
    wait_until(lambda: tracked_subentry(ui) is not None, "the tracked entity subentry")
    # A subentry flow ends with a short note and a Finish button, or just closes.
    finish = flow_dialog(ui).get_by_role("button", name="Finish")
    with contextlib.suppress(PlaywrightError):
        finish.click(timeout=5000)
    flow_dialog(ui).locator("ha-form").wait_for(state="detached")
    wait_until(lambda: not dialog_in_history(ui), "the flow dialog to leave history")
    return "suggested states " + ", ".join(f"{k} {v!r}" for k, v in expected.items())


def tracked_device(ui: Ui) -> str:
    """The new tracked entity on the integration page, and its device's entities."""
    page = ui.page
    _, subentry = tracked_subentry_or_fail(ui)
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_text(subentry["title"], exact=True).first.wait_for()
    ui.shot("integration")
    device_id, entities = tracked_device_entities(ui, subentry)
    ui.goto(f"/config/devices/device/{device_id}")
    names = {
        "tracked": STRINGS["entity"]["sensor"]["tracked"]["name"],
        "mirroring": STRINGS["entity"]["switch"]["mirroring"]["name"],
    }
    for key, name in names.items():
        if key not in entities:
            ui.problem(f"the tracked entity's device has no {name!r} ({key}) entity")
            continue
        page.get_by_text(name, exact=True).first.wait_for()
    settle(page)
    ui.shot("device")
    return (
        f"the integration page lists {subentry['title']!r}; its device shows"
        f" {' and '.join(repr(name) for name in names.values())}"
    )


def tracked_follows(ui: Ui) -> str:
    """Start the timer: the Live Activity starts (fake API); its details; cancel: ended."""
    page = ui.page
    _, subentry = tracked_subentry_or_fail(ui)
    device_id, entities = tracked_device_entities(ui, subentry)
    sensor, switch = entities.get("tracked"), entities.get("mirroring")
    if not sensor or not switch:
        raise StepError(f"the tracked entity's device lacks its entities: {entities}")
    if ui.hass(f"hass.states['{switch}']?.state") != "on":
        ui.problem(f"{switch} is not on")

    def operation_is(operation: str) -> Callable[[], bool]:
        return lambda: (
            ui.hass(f"hass.states['{sensor}']?.attributes.operation") == operation
        )

    ui.hass(f"hass.callService('timer', 'start', {{entity_id: '{TRACKED_TIMER}'}})")
    wait_until(operation_is("started"), f"{sensor} to show the started activity")
    ui.goto(f"/config/devices/device/{device_id}")
    strings = STRINGS["entity"]["sensor"]["tracked"]
    page.get_by_text(strings["name"], exact=True).first.click()
    names, values = check_details(ui, sensor, strings)
    close_more_info(ui)
    ui.hass(f"hass.callService('timer', 'cancel', {{entity_id: '{TRACKED_TIMER}'}})")
    wait_until(operation_is("ended"), f"{sensor} to show the ended activity")
    return (
        f"timer started: {sensor} details with translated names ({', '.join(names)})"
        f" and values ({', '.join(values)}); timer cancelled: ended"
    )


def tracked_reconfigure(ui: Ui) -> str:
    """The tracked entity's Reconfigure: the entity step with the current entity."""
    _, subentry = tracked_subentry_or_fail(ui)
    change = TRACKED["initiate_flow"]["reconfigure"]
    note = open_subentry_button(ui, subentry["title"], change)
    form, data = check_flow_step(ui, "user", "reconfigure")
    if data.get("entity_id") != TRACKED_TIMER:
        ui.problem(
            f"reconfigure: the entity is {data.get('entity_id')!r}, not {TRACKED_TIMER}"
        )
    if not form.get_by_text(TRACKED_NAME, exact=True).filter(visible=True).count():
        ui.problem(f"reconfigure: the entity picker does not show {TRACKED_NAME!r}")
    ui.shot("reconfigure", clip=dialog_panel(flow_dialog(ui)))
    close_flow(ui)
    return (
        f"{change!r} opens with {TRACKED_TIMER} ({TRACKED_NAME!r}) picked; closed{note}"
    )


def open_subentry_button(ui: Ui, title: str, name: str) -> str:
    """On the integration page, click the button `name` of the sub-entry row `title`.

    Should the page lack the row or its button (a CI run once timed out here: the
    previous step's dialog, closing, stepped back in history over this navigation; see
    `dialog_in_history`), what it shows instead is saved with a screenshot, the page is
    loaded once more and the click retried; the returned note says so, and a second
    miss fails the step with what it showed.
    """
    row = ui.page.locator("ha-config-sub-entry-row").filter(has_text=title)
    missing = click_in_row(ui, row, name)
    if missing is None:
        return ""
    again = click_in_row(ui, row, name)
    if again is not None:
        raise StepError(
            f"the row {title!r} has no button {name!r}; its buttons: {again}"
        )
    return f" (after a reload: the first render's buttons were {missing})"


def click_in_row(ui: Ui, row: Locator, name: str) -> list[str] | None:
    """Load the integration page and click `row`'s button `name`.

    None when clicked; else what the row has instead (and a screenshot).
    """
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    try:
        row.wait_for(timeout=STEP_TIMEOUT_MS // 2)
        row.get_by_role("button", name=name, exact=True).click(
            timeout=STEP_TIMEOUT_MS // 2
        )
    except PlaywrightError:
        ui.shot("row-without-button")
        if not row.count():
            rows = ui.page.locator("ha-config-sub-entry-row").all_inner_texts()
            return [f"no such row; the sub-entry rows: {rows}"]
        return row_button_labels(row)
    return None


def row_button_labels(row: Locator) -> list[str]:
    """The accessible names of the buttons in `row`, for a diagnosis."""
    return [
        button.get_attribute("aria-label") or button.inner_text()
        for button in row.get_by_role("button").all()
    ]


def languages(ui: Ui) -> str:
    """Every other language as the frontend loads it: an action form, a sensor's details.

    The UI is switched as its profile page does (`hass-language-select`); the
    integration's strings must then show in that language, never English or a key.
    """
    entity_id = start_live_activity(ui)
    checked = []
    try:
        for language in LANGUAGES:
            strings = json.loads(
                (COMPONENT / "translations" / f"{language}.json").read_text()
            )
            select_language(ui, language)
            labels = check_action_in(ui, DOCS_ACTION, strings, language)
            ui.page.evaluate(
                "entityId => document.querySelector('home-assistant').dispatchEvent("
                "new CustomEvent('hass-more-info', {detail: {entityId}}))",
                entity_id,
            )
            sensor = strings["entity"]["sensor"]["live_activity"]
            names, values = check_details(
                ui, entity_id, sensor, named=False, tag=f"-{language}"
            )
            close_more_info(ui)
            checked.append(
                f"{language} ({labels} labels, {len(names)} attribute"
                f" names, {len(values)} values)"
            )
    finally:
        select_language(ui, "en")
    return "translated action form and sensor details in " + ", ".join(checked)


def select_language(ui: Ui, language: str) -> None:
    """Switch the UI's language, as the profile page does, and wait until it took."""
    ui.page.evaluate(
        "language => document.querySelector('home-assistant').dispatchEvent("
        "new CustomEvent('hass-language-select', {detail: language}))",
        language,
    )
    wait_until(lambda: ui.hass("hass.language") == language, f"the UI in {language}")


def check_action_in(ui: Ui, action: str, strings: dict[str, Any], language: str) -> int:
    """The action's form in the UI's language: every field labelled from `strings`.

    Opened as Developer tools remembers it (its local storage), not through menus
    whose English names would not be found. Returns the number of labels checked.
    """
    ui.page.evaluate(
        """action => {
            localStorage.setItem('panel-dev-action-state-service-data',
                                 JSON.stringify({action, data: {}}));
            localStorage.setItem('panel-dev-action-state-yaml-mode', 'false');
        }""",
        f"{DOMAIN}.{action}",
    )
    ui.goto("/developer-tools/action")
    fields = strings["services"][action]["fields"]
    form, _, _ = action_form(ui, action)
    expected = {spec["name"] for spec in fields.values()}
    shown: set[str] = set()

    def labelled() -> bool:
        shown.update(label.rstrip("*").strip() for label in ui.labels(form))
        return expected <= shown

    with contextlib.suppress(StepError):  # what is missing is named below
        wait_until(labelled, f"the {language} labels of {action}")
    for label in sorted(expected - shown):
        ui.problem(f"{action} in {language}: no field labelled {label!r}")
    ui.check_form(form, set(fields), f"{action} in {language}")
    ui.shot(f"{action}-{language}", clip=form)
    return len(expected)


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
    ("languages: action form and sensor details", languages),
]
# What every other step builds on: `--only` runs these too.
SETUP_STEPS = ("onboarding", "add integration:")


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


def check_flow_step(ui: Ui, step_id: str, where: str) -> tuple[Locator, dict[str, Any]]:
    """Wait for a tracked-entity flow step by its title; check its texts and fields.

    Every field must be labelled with its translation. Returns the form and its values.
    """
    spec = TRACKED["step"][step_id]
    fill = {"{entity}": TRACKED_NAME}
    title = spec["title"]
    for placeholder, value in fill.items():
        title = title.replace(placeholder, value)
    dialog = flow_dialog(ui)
    dialog.get_by_text(title, exact=True).wait_for()
    form = dialog.locator("ha-form")
    wait_until(lambda: bool(form_keys(form)), f"the fields of {where}")
    settle(ui.page)
    keys = form_keys(form)
    check_description(ui, spec["description"], where)
    labels = {label.rstrip("*").strip() for label in ui.labels(form)}
    for key in keys:
        label = spec.get("data", {}).get(key)
        if label is None:
            ui.problem(f"{where}: field {key} has no translation")
        elif label not in labels:
            ui.problem(f"{where}: field {key} is not labelled {label!r}")
    ui.check_form(form, set(keys), where)
    return form, form_data(form)


def submit(ui: Ui) -> None:
    """Submit the flow dialog's form."""
    flow_dialog(ui).get_by_role("button", name="Submit").click()


def close_flow(ui: Ui) -> None:
    """Close the flow dialog without submitting."""
    dialog = flow_dialog(ui)
    dialog.get_by_role("button", name="Close").first.click()
    dialog.locator("ha-form, ha-markdown").first.wait_for(state="detached")
    wait_until(lambda: not dialog_in_history(ui), "the flow dialog to leave history")


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


def tracked_subentry(ui: Ui) -> tuple[str, dict[str, Any]] | None:
    """The entry id and the tracked entity subentry of TRACKED_TIMER, if it exists."""
    entries = ui.hass(
        f"hass.callWS({{type: 'config_entries/get', domain: '{DOMAIN}'}})"
    )
    for entry in entries:
        subentries = ui.hass(
            "hass.callWS({type: 'config_entries/subentries/list',"
            f" entry_id: '{entry['entry_id']}'}})"
        )
        for subentry in subentries:
            if subentry["subentry_type"] == "tracked_entity":
                return entry["entry_id"], subentry
    return None


def tracked_subentry_or_fail(ui: Ui) -> tuple[str, dict[str, Any]]:
    """The tracked entity subentry; the step cannot go on without it."""
    if (found := tracked_subentry(ui)) is None:
        raise StepError("no tracked entity subentry")
    return found


def tracked_device_entities(
    ui: Ui, subentry: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    """The subentry's device and its entities (translation key -> entity id)."""
    devices = ui.hass("hass.callWS({type: 'config/device_registry/list'})")
    sub_id = subentry["subentry_id"]
    device_id = next(
        (
            device["id"]
            for device in devices
            if any(
                sub_id in subs
                for subs in (device.get("config_entries_subentries") or {}).values()
            )
        ),
        None,
    )
    if device_id is None:
        raise StepError(f"no device for the tracked entity {subentry['title']!r}")
    entities = ui.hass(
        f"Object.values(hass.entities).filter(e => e.device_id === '{device_id}')"
        ".map(e => [e.translation_key, e.entity_id])"
    )
    return device_id, dict(entities)


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
