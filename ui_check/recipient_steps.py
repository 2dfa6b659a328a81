"""The steps of a recipient: Add recipient, its notify entity, picked by a tracked entity."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator
from tracked_steps import (
    TRACKED,
    check_flow_step,
    open_subentry_button,
    tracked_device_entities,
    tracked_subentry_or_fail,
)
from ui import (
    DOMAIN,
    STRINGS,
    StepError,
    Ui,
    check_description,
    close_flow,
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

RECIPIENT = STRINGS["config_subentries"]["recipient"]
RECIPIENT_NAME = "Anna"
CHANNELS = ["family", "anna"]


def recipient_add(ui: Ui) -> str:
    """Add recipient: its form translated; a name typed, channels given; created."""
    page = ui.page
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_role("button", name=RECIPIENT["initiate_flow"]["user"]).click()
    spec = RECIPIENT["step"]["user"]
    dialog = flow_dialog(ui)
    dialog.get_by_text(spec["title"], exact=True).wait_for()
    form = dialog.locator("ha-form")
    wait_until(lambda: bool(form_keys(form)), "the fields of Add recipient")
    settle(page)
    check_description(ui, spec["description"], "Add recipient")
    labels = {label.rstrip("*").strip() for label in ui.labels(form)}
    for key in form_keys(form):
        if spec["data"].get(key) not in labels:
            ui.problem(
                f"Add recipient: field {key} is not labelled {spec['data'][key]!r}"
            )
    ui.check_form(form, set(form_keys(form)), "Add recipient")
    dialog.locator("input[name=name]").fill(RECIPIENT_NAME)
    set_form_values(form, {"channels": CHANNELS})
    ui.shot("recipient-form", clip=dialog_panel(dialog))
    submit(ui)
    wait_until(lambda: recipient_subentry(ui) is not None, "the recipient subentry")
    finish_flow(ui)
    subentry = recipient_subentry(ui) or {}
    if subentry.get("title") != RECIPIENT_NAME:
        ui.problem(f"the recipient is titled {subentry.get('title')!r}")
    return f"{spec['title']!r}: {RECIPIENT_NAME} with channels {', '.join(CHANNELS)}"


def recipient_notify(ui: Ui) -> str:
    """The recipient's device on the integration page, with its notify entity."""
    subentry = recipient_subentry(ui)
    if subentry is None:
        raise StepError("no recipient subentry")
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    ui.page.get_by_text(RECIPIENT_NAME, exact=True).first.wait_for()
    device_id, entities = tracked_device_entities(ui, subentry)
    notify = entities.get("push")
    if notify is None:
        raise StepError(f"the recipient's device has no notify entity: {entities}")
    ui.goto(f"/config/devices/device/{device_id}")
    name = STRINGS["entity"]["notify"]["push"]["name"]
    ui.page.get_by_text(name, exact=True).first.wait_for()
    settle(ui.page)
    ui.shot("recipient-device")
    if ui.hass(f"hass.states['{notify}']?.entity_id") != notify:
        ui.problem(f"{notify} has no state")
    return f"{RECIPIENT_NAME}'s device shows {name!r} ({notify})"


def recipient_in_tracked(ui: Ui) -> str:
    """Change tracked entity: its last step offers the recipient and presence."""
    _, tracked = tracked_subentry_or_fail(ui)
    recipient = recipient_subentry(ui)
    if recipient is None:
        raise StepError("no recipient subentry")
    open_subentry_button(ui, tracked["title"], TRACKED["initiate_flow"]["reconfigure"])
    for step_id in ("user", "type", "content"):
        check_flow_step(ui, step_id, f"reconfigure, {step_id} step")
        submit(ui)
    form, _ = check_flow_step(ui, "when", "reconfigure, when step")
    keys = form_keys(form)
    for key in ("recipients", "presence"):
        if key not in keys:
            ui.problem(f"when step: no {key} field once a recipient exists")
    presence = STRINGS["selector"]["presence"]["options"]
    set_form_values(
        form, {"recipients": [recipient["subentry_id"]], "presence": "home"}
    )
    dialog = flow_dialog(ui)
    for label in (RECIPIENT_NAME, presence["home"]):
        if not shows(dialog, label, exact=False):
            ui.problem(f"when step: {label!r} is not shown once picked")
    ui.shot("recipient-picked", clip=dialog_panel(dialog))
    submit(ui)
    finish_flow(ui)
    # What was stored: Change tracked entity opens with it picked.
    open_subentry_button(ui, tracked["title"], TRACKED["initiate_flow"]["reconfigure"])
    for step_id in ("user", "type", "content"):
        check_flow_step(ui, step_id, f"reconfigure again, {step_id} step")
        submit(ui)
    _, data = check_flow_step(ui, "when", "reconfigure again, when step")
    picked = {"recipients": data.get("recipients"), "presence": data.get("presence")}
    if picked != {"recipients": [recipient["subentry_id"]], "presence": "home"}:
        ui.problem(f"Change tracked entity shows {picked!r}, not what was picked")
    close_flow(ui)
    return f"picked {RECIPIENT_NAME!r} and {presence['home']!r}; shown again on Change"


def set_form_values(form: Locator, values: dict[str, Any]) -> None:
    """Set fields of an ha-form as its selectors do (a value-changed event)."""
    form.evaluate(
        """(form, values) => form.dispatchEvent(new CustomEvent('value-changed',
            {detail: {value: {...(form.data ?? {}), ...values}}}))""",
        values,
    )
    wait_until(
        lambda: all(form_data(form).get(key) == value for key, value in values.items()),
        f"the form to hold {values}",
    )


def recipient_subentry(ui: Ui) -> dict[str, Any] | None:
    """The first recipient subentry of the entry, if there is one."""
    return next(
        (s for _, s in subentries(ui) if s["subentry_type"] == "recipient"), None
    )
