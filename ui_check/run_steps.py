"""The appliance run: a washer's power sensor tracked with its preset, step by step."""

from __future__ import annotations

from typing import Any

from tracked_steps import TRACKED, check_flow_step
from ui import (
    DOMAIN,
    STRINGS,
    WASHER_NAME,
    WASHER_POWER,
    StepError,
    Ui,
    dialog_panel,
    finish_flow,
    flow_dialog,
    form_data,
    shows,
    subentries,
    submit,
    wait_until,
)

MINUTES = {"start_for": 1, "end_for": 3}


def run_pick(ui: Ui) -> str:
    """Add tracked entity: the washer's power sensor, the timer type, counting up."""
    page = ui.page
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_role("button", name=TRACKED["initiate_flow"]["user"]).click()
    form, _ = check_flow_step(ui, "user", "entity step (washer)", WASHER_NAME)
    form.locator("ha-selector").first.click()
    dialog = flow_dialog(ui)
    dialog.get_by_placeholder("Search").fill(WASHER_NAME)
    dialog.get_by_text(WASHER_NAME, exact=True).click()
    wait_until(
        lambda: form_data(form).get("entity_id") == WASHER_POWER,
        f"the entity field to hold {WASHER_POWER}",
    )
    submit(ui)
    _, data = check_flow_step(ui, "type", "type step (washer)", WASHER_NAME)
    if data.get("type") != "timer":
        ui.problem(f"type step: suggests {data.get('type')!r} for a power sensor")
    submit(ui)
    _, data = check_flow_step(ui, "content", "content step (washer)", WASHER_NAME)
    if data.get("counts_down") != "false":
        ui.problem(f"content step: counts_down is {data.get('counts_down')!r}")
    submit(ui)
    return "a power sensor: timer suggested, counting up (counts_down false)"


def run_when(ui: Ui) -> str:
    """The when step suggests the appliance run (above a threshold)."""
    form, data = check_flow_step(ui, "when", "when step (washer)", WASHER_NAME)
    if data.get("condition") != "above":
        ui.problem(f"when step: condition is {data.get('condition')!r}, not 'above'")
    label = STRINGS["selector"]["condition"]["options"]["above"]
    if not shows(form, label):
        ui.problem(f"when step: the condition is not shown as {label!r}")
    submit(ui)
    return f"condition {label!r} suggested"


def run_thresholds(ui: Ui) -> str:
    """The run step: above 5 W for 1 minute, below 2 W for 3 minutes, pre-filled."""
    _, data = check_flow_step(ui, "run", "run step (washer)", WASHER_NAME)
    expected = {"start_threshold": "5", "end_threshold": "2"}
    for key, value in expected.items():
        if str(data.get(key)) != value:
            ui.problem(f"run step: {key} is {data.get(key)!r}, not {value!r}")
    for key, minutes in MINUTES.items():
        duration: Any = data.get(key) or {}
        if (duration.get("hours"), duration.get("minutes")) != (0, minutes):
            ui.problem(f"run step: {key} is {duration!r}, not {minutes} min")
    ui.shot("run", docs="tracked-entity-run.png", clip=dialog_panel(flow_dialog(ui)))
    submit(ui)
    return "start above 5 for 1 min, end below 2 for 3 min, pre-filled"


def run_done(ui: Ui) -> str:
    """The done step: the summary and the push on; submitting creates the run."""
    _, data = check_flow_step(ui, "done", "done step (washer)", WASHER_NAME)
    if data.get("done_push") is not True:
        ui.problem(f"done step: done_push is {data.get('done_push')!r}, not on")
    ui.shot("done", clip=dialog_panel(flow_dialog(ui)))
    submit(ui)
    wait_until(lambda: washer_subentry(ui) is not None, "the washer's subentry")
    finish_flow(ui)
    subentry = washer_subentry(ui)
    if subentry is None:  # pragma: no cover - waited for above
        raise StepError("no subentry for the washer")
    return f"the push on; {subentry['title']!r} created"


def washer_subentry(ui: Ui) -> dict[str, Any] | None:
    """The tracked entity subentry of the washer's power sensor, if it exists."""
    return next((s for _, s in subentries(ui) if s["title"] == WASHER_NAME), None)
