"""The widget metric and the badge added in the UI, their devices, a dashboard button.

The button card's tap starts a Live Activity the way dashboards call actions: no
response asked for.
"""

from __future__ import annotations

import json
from typing import Any
import urllib.request

from tracked_steps import open_subentry_button, tracked_device_entities
from ui import (
    DOMAIN,
    METRIC_ENTITY,
    METRIC_NAME,
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
    subentries,
    submit,
    wait_until,
)

METRIC = STRINGS["config_subentries"]["tracked_metric"]
BADGE = STRINGS["config_subentries"]["badge"]
METRIC_KEY = "indoor_temperature"
# Counts the input booleans that are on (EXTRA_CONFIGURATION has two, one of them on).
BADGE_TEMPLATE = (
    "{{ states.input_boolean | selectattr('state', 'eq', 'on') | list | count }}"
)
DASHBOARD = "ui-check"
DASHBOARD_TITLE = "From the dashboard"
# The card of the README's "Widgets and badge" section (a tap calls the action, as
# dashboards do: no response asked for).
BUTTON_CARD = {
    "type": "button",
    "name": "Pasta timer on the Lock Screen",
    "icon": "mdi:pasta",
    "tap_action": {
        "action": "perform-action",
        "perform_action": f"{DOMAIN}.start_live_activity",
        "data": {
            "title": DASHBOARD_TITLE,
            "type": "timer",
            "duration_seconds": 600,
            "color": "orange",
        },
    },
}


def check_step(ui: Ui, flow: dict[str, Any], step_id: str, where: str) -> Any:
    """Wait for a flow step by its title; check its description and labels."""
    spec = flow["step"][step_id]
    dialog = flow_dialog(ui)
    dialog.get_by_text(
        spec["title"].replace("{entity}", METRIC_NAME), exact=True
    ).wait_for()
    form = dialog.locator("ha-form")
    wait_until(lambda: bool(form_keys(form)), f"the fields of {where}")
    settle(ui.page)
    check_description(ui, spec["description"], where)
    labels = {label.rstrip("*").strip() for label in ui.labels(form)}
    for key in form_keys(form):
        label = spec["data"].get(key)
        if label is None or label not in labels:
            ui.problem(f"{where}: field {key} is not labelled {label!r}")
    ui.check_form(form, set(form_keys(form)), where)
    return form


def set_field(form: Any, key: str, value: Any) -> None:
    """Change one field as its selector does: ha-form's value-changed event."""
    form.evaluate(
        "(form, [key, value]) => form.dispatchEvent(new CustomEvent('value-changed',"
        " {detail: {value: {...form.data, [key]: value}}, bubbles: true, composed: true}))",
        [key, value],
    )


def fake_requests(ui: Ui, path: str) -> list[Any]:
    """The bodies of the requests to `path` the fake API received."""
    with urllib.request.urlopen(f"{ui.fake_url}/_bench/requests") as answer:  # noqa: S310
        requests = json.load(answer)["requests"]
    return [body for _, _, request_path, body in requests if request_path == path]


def subentry_of(ui: Ui, kind: str) -> dict[str, Any] | None:
    """The entry's first subentry of `kind`, if any."""
    return next((s for _, s in subentries(ui) if s["subentry_type"] == kind), None)


def widget_metric_add(ui: Ui) -> str:
    """Add widget metric: pick the entity; the key and decimals are suggested; sent."""
    page = ui.page
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_role("button", name=METRIC["initiate_flow"]["user"]).click()
    form = check_step(ui, METRIC, "user", "widget metric: entity step")
    form.locator("ha-selector").first.click()
    dialog = flow_dialog(ui)
    dialog.get_by_placeholder("Search").fill(METRIC_NAME)
    dialog.get_by_text(METRIC_NAME, exact=True).click()
    wait_until(
        lambda: form_data(form).get("entity_id") == METRIC_ENTITY,
        f"the entity field to hold {METRIC_ENTITY}",
    )
    submit(ui)
    form = check_step(ui, METRIC, "settings", "widget metric: settings step")
    data = form_data(form)
    expected = {"key": METRIC_KEY, "decimals": 1, "interval": 60}
    for key, value in expected.items():
        if data.get(key) != value:
            ui.problem(f"settings step: {key} is {data.get(key)!r}, not {value!r}")
    ui.shot(
        "settings", docs="widget-metric-flow.png", clip=dialog_panel(flow_dialog(ui))
    )
    submit(ui)
    wait_until(
        lambda: subentry_of(ui, "tracked_metric") is not None, "the widget metric"
    )
    finish_flow(ui)
    path = f"/api/metrics/{METRIC_KEY}/value"
    wait_until(lambda: bool(fake_requests(ui, path)), f"the fake API to get {path}")
    sent = fake_requests(ui, path)[-1]
    if sent != {"value": 21.5}:
        ui.problem(f"the metric update was {sent}, not {{'value': 21.5}}")
    return f"suggested {expected}; the fake API got {path} {sent}"


def badge_add(ui: Ui) -> str:
    """Add app badge: a count template; the fake API gets the badge; only one allowed."""
    page = ui.page
    ui.goto(f"/config/integrations/integration/{DOMAIN}")
    page.get_by_role("button", name=BADGE["initiate_flow"]["user"]).click()
    form = check_step(ui, BADGE, "user", "badge step")
    if form_data(form).get("count_states") != ["on"]:
        ui.problem(f"badge step: count_states is {form_data(form).get('count_states')}")
    set_field(form, "count_template", BADGE_TEMPLATE)
    wait_until(
        lambda: form_data(form).get("count_template") == BADGE_TEMPLATE,
        "the count template in the form",
    )
    ui.shot("badge", docs="badge-flow.png", clip=dialog_panel(flow_dialog(ui)))
    submit(ui)
    wait_until(lambda: subentry_of(ui, "badge") is not None, "the badge subentry")
    finish_flow(ui)
    wait_until(
        lambda: bool(fake_requests(ui, "/api/badge")), "the fake API to get a badge"
    )
    sent = fake_requests(ui, "/api/badge")[-1]
    if sent != {"badge": 1}:
        ui.problem(f"the badge sent was {sent}, not {{'badge': 1}}")
    # A second badge is refused with a translated reason.
    page.get_by_role("button", name=BADGE["initiate_flow"]["user"]).click()
    flow_dialog(ui).get_by_text(BADGE["abort"]["badge_already_configured"]).wait_for()
    ui.shot("second-badge")
    close_flow(ui)
    return f"the fake API got /api/badge {sent}; a second badge is refused"


def widget_devices(ui: Ui) -> str:
    """The widget metric's and the badge's devices show their sensors by name."""
    page = ui.page
    shown = []
    for kind, key in (("tracked_metric", "tracked_metric"), ("badge", "app_badge")):
        subentry = subentry_of(ui, kind)
        if subentry is None:
            raise StepError(f"no {kind} subentry")
        device_id, entities = tracked_device_entities(ui, subentry)
        sensor = entities.get(key)
        if sensor is None:
            ui.problem(f"the {kind} device has no {key} sensor: {entities}")
            continue
        ui.goto(f"/config/devices/device/{device_id}")
        name = STRINGS["entity"]["sensor"][key]["name"]
        page.get_by_text(name, exact=True).first.wait_for()
        state = ui.hass(f"hass.states['{sensor}']?.state")
        if state in (None, "unknown", "unavailable"):
            ui.problem(f"{sensor} shows {state!r}, not the value sent")
        settle(page)
        ui.shot(f"device-{kind}")
        shown.append(f"{subentry['title']!r}: {name!r} = {state}")
    open_subentry_button(ui, METRIC_NAME, METRIC["initiate_flow"]["reconfigure"])
    check_step(ui, METRIC, "user", "widget metric: reconfigure")
    close_flow(ui)
    return "; ".join(shown) + "; its reconfigure opens"


def dashboard_button(ui: Ui) -> str:
    """A dashboard button card's tap starts a Live Activity (no response asked for)."""
    page = ui.page
    metric = subentry_of(ui, "tracked_metric")
    badge = subentry_of(ui, "badge")
    if metric is None or badge is None:
        raise StepError("the widget metric and the badge are needed")
    _, metric_entities = tracked_device_entities(ui, metric)
    _, badge_entities = tracked_device_entities(ui, badge)
    config = {
        "title": "UI check",
        "views": [
            {
                "title": "Home",
                "cards": [
                    BUTTON_CARD,
                    {
                        "type": "entities",
                        "title": "ActivitySmith",
                        "entities": [
                            metric_entities["tracked_metric"],
                            badge_entities["app_badge"],
                        ],
                    },
                ],
            }
        ],
    }
    ui.hass(
        "hass.callWS({type: 'lovelace/dashboards/create', url_path: "
        f"'{DASHBOARD}', title: 'UI check', mode: 'storage', show_in_sidebar: false}})"
    )
    ui.hass(
        "hass.callWS({type: 'lovelace/config/save', url_path: "
        f"'{DASHBOARD}', config: {json.dumps(config)}}})"
    )
    ui.goto(f"/{DASHBOARD}/0")
    card = page.locator("hui-button-card")
    card.wait_for()
    settle(page)
    ui.shot("dashboard", docs="widgets-and-badge.png")
    card.click()
    wait_until(
        lambda: (
            (fake_start(ui) or {}).get("content_state", {}).get("title")
            == DASHBOARD_TITLE
        ),
        "the fake API to get the dashboard's start",
    )
    sensor = ui.hass(
        "Object.values(hass.entities).find(e => e.platform === 'activitysmith'"
        " && e.translation_key === 'live_activity')?.entity_id"
    )
    wait_until(
        lambda: (
            ui.hass(f"hass.states['{sensor}']?.attributes.title") == DASHBOARD_TITLE
        ),
        f"{sensor} to show the dashboard's Live Activity",
    )
    ui.shot("dashboard-pressed")
    return (
        f"the tap started {DASHBOARD_TITLE!r}: the fake API got it, {sensor} shows it"
    )


def fake_start(ui: Ui) -> dict[str, Any] | None:
    """The body of the last start the fake API received."""
    with urllib.request.urlopen(f"{ui.fake_url}/_fake/last-start") as answer:  # noqa: S310
        start: dict[str, Any] | None = json.load(answer)
    return start
