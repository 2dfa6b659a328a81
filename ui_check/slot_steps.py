"""The slots' steps: the slots sensor's details and the priority field, in every language.

Each language is switched as the profile page does; the texts must then be that
language's, never English or a key.
"""

from __future__ import annotations

import json
from typing import Any

from steps import check_details
from tracked_steps import (
    open_subentry_button,
    select_language,
    tracked_subentry_or_fail,
)
from ui import (
    COMPONENT,
    LANGUAGES,
    TRACKED_NAME,
    Ui,
    close_more_info,
    dialog_in_history,
    dialog_panel,
    flow_dialog,
    form_data,
    form_keys,
    settle,
    shows,
    wait_until,
)


def strings_of(language: str) -> dict[str, Any]:
    """The integration's translations in `language`."""
    path = COMPONENT / "translations" / f"{language}.json"
    strings: dict[str, Any] = json.loads(path.read_text())
    return strings


def slots_sensor(ui: Ui) -> str:
    """The Live Activity slots sensor: its name and translated details, per language."""
    entity_id = ui.hass(
        "Object.values(hass.entities).find(e => e.platform === 'activitysmith'"
        " && e.translation_key === 'slots')?.entity_id"
    )
    if not entity_id:
        ui.problem("no Live Activity slots sensor")
        return "no slots sensor"
    checked = []
    try:
        for language in ("en", *LANGUAGES):
            strings = strings_of(language)["entity"]["sensor"]["slots"]
            select_language(ui, language)
            # The frontend's texts follow the language a moment later; the details
            # need this integration's in it (and the dialog's menu the frontend's).
            key = "component.activitysmith.entity.sensor.slots.state_attributes"
            wanted = strings["state_attributes"]["capacity"]["name"]
            wait_until(
                lambda key=key, wanted=wanted: (
                    ui.hass(  # type: ignore[misc]
                        f"hass.localize('{key}.capacity.name')"
                    )
                    == wanted
                ),
                f"the slots sensor's texts in {language}",
            )
            ui.page.evaluate(
                "entityId => document.querySelector('home-assistant').dispatchEvent("
                "new CustomEvent('hass-more-info', {detail: {entityId}}))",
                entity_id,
            )
            # The entity's name is the server language's; its details the UI's.
            names, _ = check_details(
                ui, entity_id, strings, named=language == "en", tag=f"-slots-{language}"
            )
            close_more_info(ui)
            checked.append(f"{language} ({len(names)} attribute names)")
    finally:
        select_language(ui, "en")
    return f"{entity_id}: named and detailed in " + ", ".join(checked)


def tracked_priority(ui: Ui) -> str:
    """The priority field of the tracked entity's when step, in every language.

    Reconfigure is walked to the when step (each step found by its translated
    title); the field must be labelled, and its value shown, in that language.
    """
    _, subentry = tracked_subentry_or_fail(ui)
    checked = []
    try:
        for language in ("en", *LANGUAGES):
            flow = strings_of(language)["config_subentries"]["tracked_entity"]
            options = strings_of(language)["selector"]["priority"]["options"]
            select_language(ui, language)
            open_subentry_button(
                ui, subentry["title"], flow["initiate_flow"]["reconfigure"]
            )
            for step in ("user", "type", "content", "when"):
                title = flow["step"][step]["title"].replace("{entity}", TRACKED_NAME)
                dialog = flow_dialog(ui)
                dialog.get_by_text(title, exact=True).wait_for()
                form = dialog.locator("ha-form")
                wait_until(
                    lambda form=form: bool(form_keys(form)),  # type: ignore[misc]
                    f"the {step} step's fields",
                )
                if step != "when":
                    submit = "ui.panel.config.integrations.config_flow.submit"
                    dialog.get_by_role("button", name=ui.localize(submit)).click()
            settle(ui.page)
            label = flow["step"]["when"]["data"]["priority"]
            value = form_data(form).get("priority")
            labels = {text.rstrip("*").strip() for text in ui.labels(form)}
            if label not in labels:
                ui.problem(f"{language}: the when step has no field {label!r}")
            if value not in options:
                ui.problem(f"{language}: the priority is {value!r}")
            elif not shows(dialog, options[value]):
                ui.problem(f"{language}: the priority does not show {options[value]!r}")
            ui.shot(f"priority-{language}", clip=dialog_panel(dialog))
            dialog.get_by_role(
                "button", name=ui.localize("ui.common.close")
            ).first.click()
            dialog.locator("ha-form").wait_for(state="detached")
            wait_until(lambda: not dialog_in_history(ui), "the flow to leave history")
            checked.append(f"{language} ({label!r}: {options.get(value, value)!r})")
    finally:
        select_language(ui, "en")
    return "priority field in " + ", ".join(checked)
