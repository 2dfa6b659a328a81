"""The steps of a tracked entity (Add tracked entity to Reconfigure), and languages."""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import json
from typing import Any

from playwright.sync_api import (
    Error as PlaywrightError,
    Locator,
)
from steps import action_form, check_details, start_live_activity
from ui import (
    COMPONENT,
    DOCS_ACTION,
    DOMAIN,
    LANGUAGES,
    STRINGS,
    TRACKED_NAME,
    TRACKED_TIMER,
    StepError,
    Ui,
    check_description,
    close_flow,
    close_more_info,
    dialog_panel,
    finish_flow,
    flow_dialog,
    form_data,
    form_keys,
    settle,
    shows,
    subentries,
    submit,
    wait_until,
)

TRACKED = STRINGS["config_subentries"]["tracked_entity"]


def check_flow_step(
    ui: Ui, step_id: str, where: str, entity: str = TRACKED_NAME
) -> tuple[Locator, dict[str, Any]]:
    """Wait for a tracked-entity flow step by its title; check its texts and fields.

    Every field must be labelled with its translation. Returns the form and its values.
    """
    spec = TRACKED["step"][step_id]
    fill = {"{entity}": entity}
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
    missing = [label for label in options.values() if not shows(dialog, label)]
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
    if color and not shows(form, color):
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
    finish_flow(ui)
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
    open_subentry_button(ui, subentry["title"], change)
    form, data = check_flow_step(ui, "user", "reconfigure")
    if data.get("entity_id") != TRACKED_TIMER:
        ui.problem(
            f"reconfigure: the entity is {data.get('entity_id')!r}, not {TRACKED_TIMER}"
        )
    if not shows(form, TRACKED_NAME):
        ui.problem(f"reconfigure: the entity picker does not show {TRACKED_NAME!r}")
    ui.shot("reconfigure", clip=dialog_panel(flow_dialog(ui)))
    close_flow(ui)
    return f"{change!r} opens with {TRACKED_TIMER} ({TRACKED_NAME!r}) picked; closed"


def open_subentry_button(ui: Ui, title: str, name: str) -> None:
    """On the integration page, click the button `name` of the sub-entry row `title`.

    If the page lacks the row or its button, the step fails naming what the page
    showed instead, with a screenshot (a CI run once timed out here with nothing to
    tell why: the previous step's dialog, closing, had stepped back in history over
    this navigation; see `dialog_in_history`).
    """
    row = ui.page.locator("ha-config-sub-entry-row").filter(has_text=title)
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    try:
        row.wait_for()
        row.get_by_role("button", name=name, exact=True).click()
    except PlaywrightError as err:
        ui.shot("row-without-button")
        if not row.count():
            rows = ui.page.locator("ha-config-sub-entry-row").all_inner_texts()
            raise StepError(
                f"no sub-entry row {title!r} on {ui.page.url}; the rows: {rows}"
            ) from err
        raise StepError(
            f"the row {title!r} has no button {name!r}; its buttons:"
            f" {row_button_labels(row)}"
        ) from err


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
    # The choice is also saved to the user's profile, which a reload reads back: wait
    # for it, or the next page might open in the language before.
    saved = "(await hass.callWS({type: 'frontend/get_user_data', key: 'language'}))"
    wait_until(
        lambda: ui.hass(f"{saved}.value?.language") == language,
        f"{language} saved to the profile",
    )


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


def tracked_subentry(ui: Ui) -> tuple[str, dict[str, Any]] | None:
    """The entry id and the tracked entity subentry of TRACKED_TIMER, if it exists."""
    return next(
        (
            (entry_id, subentry)
            for entry_id, subentry in subentries(ui)
            if subentry["subentry_type"] == "tracked_entity"
        ),
        None,
    )


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
