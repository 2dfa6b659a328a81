"""The steps before the tracked entity: set-up, the action forms, entity pages, options.

Each step takes the `Ui`, does what a user would, records what is wrong with
`ui.problem(...)` and returns a line saying what it checked.
"""

from __future__ import annotations

from collections.abc import Callable
import json
import re
from typing import Any
import urllib.error
import urllib.request

from playwright.sync_api import (
    Locator,
    expect,
)
from ui import (
    DOCS_ACTION,
    DOMAIN,
    EXTERNAL_URL,
    HASS_START_TIMEOUT_S,
    OWNER,
    SERVICES,
    STRINGS,
    VALID_KEY,
    WRONG_KEY,
    StepError,
    Ui,
    check_description,
    close_flow,
    dialog_in_history,
    dialog_panel,
    flow_dialog,
    settle,
    shows,
    tall_shot,
    wait_until,
)


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
        if not shows(dialog, name):
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
