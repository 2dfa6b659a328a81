"""The integration's data files agree with its code: what hassfest and HACS check."""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
from PIL import Image
import pytest
import voluptuous as vol
import yaml

from custom_components.activitysmith import services as services_module
from custom_components.activitysmith.client import ActivitySmithClient
from custom_components.activitysmith.const import DOMAIN
from custom_components.activitysmith.content import FIELDS
from custom_components.activitysmith.records import (
    DELIVERY_COUNTS,
    STATUS_ACTIVE,
    ActivityRecord,
)

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN


def load(name: str) -> Any:
    """A JSON or YAML file of the integration."""
    text = (INTEGRATION / name).read_text()
    return yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)


SERVICES_YAML = load("services.yaml")
TRANSLATIONS = load("translations/en.json")
ICONS = load("icons.json")
REGISTERED = {name: schema for name, _, schema in services_module.SERVICES}


def schema_keys(name: str) -> set[str]:
    """The data keys the action's schema accepts (unwrapping the translated schema)."""
    validate = REGISTERED[name].schema
    inner = validate.__closure__[0].cell_contents  # the schema `translated` wraps
    return {str(key) for key in inner.schema}


def test_services_yaml_lists_exactly_the_registered_actions() -> None:
    """Every action has UI fields, and every UI entry is an action."""
    assert SERVICES_YAML.keys() == REGISTERED.keys()


@pytest.mark.parametrize("action", sorted(REGISTERED))
def test_services_yaml_fields_match_the_schema(action: str) -> None:
    """The UI offers every field the schema takes, and no other."""
    assert set(SERVICES_YAML[action]["fields"]) == schema_keys(action)


@pytest.mark.parametrize("action", sorted(REGISTERED))
def test_every_action_and_field_is_translated_and_has_an_icon(action: str) -> None:
    """Names and descriptions for the action and each field; an icon per action."""
    texts = TRANSLATIONS["services"][action]
    assert texts["name"]
    assert texts["description"]
    for field in SERVICES_YAML[action]["fields"]:
        assert texts["fields"][field]["name"], field
        assert texts["fields"][field]["description"], field
    assert ICONS["services"][action]["service"].startswith("mdi:")


def test_every_exception_translation_is_used_and_every_used_one_exists() -> None:
    """No translation key is missing, none is dead."""
    source = "\n".join(path.read_text() for path in INTEGRATION.rglob("*.py"))
    quoted = set(re.findall(r'"([a-z_]+)"', source))
    defined = set(TRANSLATIONS["exceptions"])
    assert defined <= quoted
    used = set(re.findall(r'translation_key="([a-z_]+)"', source))
    used |= set(re.findall(r'_broken_rule\(\s*"([a-z_]+)"', source))
    used |= set(re.findall(r'not_found="([a-z_]+)"', source))
    used -= set(TRANSLATIONS["selector"])  # selectors' translation keys, not errors
    used -= set(TRANSLATIONS["issues"])  # repair issues' keys, not errors
    assert used <= defined


def selectors(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Every selector of these fields, including those of object selectors' fields."""
    found = []
    for field in fields.values():
        found.append(field["selector"])
        if inner := (field["selector"].get("object") or {}).get("fields"):
            found += selectors(inner)
    return found


def option_values(select: dict[str, Any]) -> list[str]:
    """A select's option values, whether plain or {value, label}."""
    return [
        option["value"] if isinstance(option, dict) else option
        for option in select["options"]
    ]


def test_selector_options_are_translated() -> None:
    """Every option of a translated select has a label, nested ones included."""
    checked = 0
    for action in SERVICES_YAML.values():
        for found in selectors(action["fields"]):
            select = found.get("select")
            if select and "translation_key" in select:
                labels = TRANSLATIONS["selector"][select["translation_key"]]["options"]
                assert set(option_values(select)) <= labels.keys()
                checked += 1
    assert checked > len(SERVICES_YAML)  # nested selects were reached too


# (action.field, config) of every object selector that has fields.
OBJECT_SELECTORS = {
    f"{action}.{name}": field["selector"]["object"]
    for action, description in SERVICES_YAML.items()
    for name, field in description["fields"].items()
    if (field["selector"].get("object") or {}).get("fields")
}


@pytest.mark.parametrize(
    ("where", "config"), OBJECT_SELECTORS.items(), ids=OBJECT_SELECTORS.keys()
)
def test_object_selector_fields_have_labels_and_translations(
    where: str, config: dict[str, Any]
) -> None:
    """The add/edit dialog shows a name and help for each field, never its raw key.

    The frontend takes them from en.json `selector.<translation_key>.fields`, else from
    the field's `label`, which must then say the same.
    """
    translated = TRANSLATIONS["selector"][config["translation_key"]]["fields"]
    assert translated.keys() == config["fields"].keys()
    for name, field in config["fields"].items():
        assert translated[name]["description"], name
        assert field["label"] == translated[name]["name"], name
    assert config["label_field"] in config["fields"]
    assert config["description_field"] in config["fields"]


@pytest.mark.parametrize(
    ("where", "config"), OBJECT_SELECTORS.items(), ids=OBJECT_SELECTORS.keys()
)
def test_selects_inside_an_object_selector_label_their_options(
    where: str, config: dict[str, Any]
) -> None:
    """The dialog does not translate options, so each carries its English label."""
    for field in config["fields"].values():
        select = field["selector"].get("select")
        if not select or "translation_key" not in select:
            continue  # untranslated options (GET, POST) show as they are
        translated = TRANSLATIONS["selector"][select["translation_key"]]["options"]
        for option in select["options"]:
            assert option["label"] == translated[option["value"]], option


def test_icon_and_badge_are_plain_text_in_the_ui_and_mappings_in_yaml() -> None:
    """A text field for washer.fill or LIVE; YAML may still give symbol or title, and color.

    Live Activity fields only: a push's icon is an image URL and its badge a count.
    """
    content_fields = [
        (action, name, description["fields"][name]["selector"])
        for action, description in SERVICES_YAML.items()
        for name in ("icon", "badge")
        if name in description["fields"]
        and "number" not in description["fields"][name]["selector"]  # badge count
        and "notification" not in action  # a push's icon is an image URL
    ]
    assert content_fields
    for action, name, ui in content_fields:
        assert ui == {"text": None}, f"{action}.{name}"
        fields = SERVICES_YAML[action]["fields"]
        required = {k: v["example"] for k, v in fields.items() if v.get("required")}
        key, text = ("symbol", "washer.fill") if name == "icon" else ("title", "LIVE")
        colored = {key: text, "color": "blue"}
        for given, meant in ((text, {key: text}), (colored, colored)):
            assert REGISTERED[action]({**required, name: given})[name] == meant


def test_manifest_is_valid_for_hassfest_and_hacs() -> None:
    """Key order domain, name, then alphabetical; HACS keys only."""
    manifest = load("manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["integration_type"] == "service"
    assert manifest["iot_class"] == "cloud_push"
    assert manifest["config_flow"] is True
    hacs = json.loads((ROOT / "hacs.json").read_text())
    allowed = {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "homeassistant",
        "hacs",
        "persistent_directory",
        "render_readme",
    }
    assert set(hacs) <= allowed
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(HA_VERSION)


def test_brand_icons_have_the_sizes_home_assistant_wants() -> None:
    """icon.png 256x256 and icon@2x.png 512x512."""
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        with Image.open(INTEGRATION / "brand" / name) as image:
            assert image.size == (size, size)


async def test_translations_load_in_home_assistant(
    hass: HomeAssistant, loaded_entry: Any
) -> None:
    """Home Assistant itself reads the translation file (a malformed one fails here)."""
    exceptions = await async_get_translations(hass, "en", "exceptions", [DOMAIN])
    assert exceptions[f"component.{DOMAIN}.exceptions.rate_limited.message"]


@pytest.mark.parametrize("action", sorted(REGISTERED))
def test_every_selector_is_valid_for_home_assistant(action: str) -> None:
    """Home Assistant's own selector schema accepts each field's selector."""
    for name, field in SERVICES_YAML[action]["fields"].items():
        try:
            selector.validate_selector(field["selector"])
        except vol.Invalid as err:
            pytest.fail(f"{action}.{name}: {err}")


def test_home_assistant_reads_every_action_description() -> None:
    """services.yaml loads with Home Assistant's YAML loader, anchors and nested fields."""
    descriptions = load_yaml_dict(str(INTEGRATION / "services.yaml"))
    assert descriptions.keys() == REGISTERED.keys()
    metrics = descriptions["start_live_activity"]["fields"]["metrics"]["selector"]
    assert metrics["object"]["multiple"] is True
    assert set(metrics["object"]["fields"]) == {"label", "value", "unit", "color"}
    button = descriptions["end_live_activity_stream"]["fields"]["secondary_action"]
    assert set(button["selector"]["object"]["fields"]) == {
        "title",
        "type",
        "action",
        "url",
        "method",
        "body",
    }


def test_the_client_imports_nothing_from_home_assistant() -> None:
    """client/ could be published as a library as it is."""
    offending = [
        f"{path.name}: {name}"
        for path in (INTEGRATION / "client").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
        if name.split(".")[0] == "homeassistant"
        or (isinstance(node, ast.ImportFrom) and node.level > 1)
    ]
    assert list((INTEGRATION / "client").glob("*.py"))
    assert offending == []


@pytest.mark.parametrize("sensor", ["live_activity", "stream", "tracked"])
def test_every_attribute_a_sensor_can_show_has_a_translated_name(sensor: str) -> None:
    """Every content field, the icon's parts and the bookkeeping have a name in en.json.

    The other languages must have every string of en.json (test_translations), so a
    sensor's details never show a raw attribute key in any of them.
    """
    every_field = dict.fromkeys(FIELDS, "x") | {"icon": {"symbol": "s", "color": "red"}}
    now = dt_util.utcnow()
    streamed = sensor != "live_activity"
    record = ActivityRecord(
        "id",
        every_field,
        STATUS_ACTIVE,
        now,
        now,
        ended_at=now,
        delivery=dict.fromkeys(DELIVERY_COUNTS, 1),
        stream_key="k" if streamed else None,
        error="e" if streamed else None,
        warning="w" if streamed else None,
    )
    shown = set(record.attributes()) | ({"entity_id"} if sensor == "tracked" else set())
    named = set(TRANSLATIONS["entity"]["sensor"][sensor]["state_attributes"])
    assert shown - named == set()


@pytest.mark.parametrize(
    ("attribute", "selector_key"),
    [
        ("type", "activity_type"),
        ("color", "color"),
        ("step_color", "color"),
        ("symbol_color", "color"),
    ],
)
def test_a_type_or_color_attribute_is_named_as_its_selector_names_it(
    attribute: str, selector_key: str
) -> None:
    """A sensor's details show "Progress bar" or "Blue", as the action forms do."""
    options = TRANSLATIONS["selector"][selector_key]["options"]
    for name in ("live_activity", "stream", "tracked"):  # the activity sensors
        sensor = TRANSLATIONS["entity"]["sensor"][name]
        assert sensor["state_attributes"][attribute]["state"] == options


@pytest.mark.parametrize("tool", ["bench/bench.py", "ui_check/hass_with_fake_api.py"])
async def test_the_bench_and_the_ui_check_redirect_the_constant_the_client_reads(
    hass: HomeAssistant, tool: str
) -> None:
    """Both point the client at their fake API through a named module constant.

    Setting a name the client no longer reads would send their requests to the real
    ActivitySmith (and fail); this finds the name in the tool and proves it takes hold.
    """
    [dotted] = set(
        re.findall(
            r"custom_components\.activitysmith\.[\w.]+\.API_BASE_URL",
            (ROOT / tool).read_text(),
        )
    )
    module_name, constant = dotted.rsplit(".", 1)
    module = importlib.import_module(module_name)
    fake = "http://127.0.0.1:9/api"
    with patch.object(module, constant, fake):
        client = ActivitySmithClient(async_get_clientsession(hass), "key")
    assert repr(client) == f"ActivitySmithClient(base_url={fake!r})"


# Every rule of the Integration Quality Scale as Home Assistant lists it today.
QUALITY_SCALE_RULES = [
    "action-exceptions",
    "action-setup",
    "appropriate-polling",
    "async-dependency",
    "brands",
    "common-modules",
    "config-entry-unloading",
    "config-flow",
    "config-flow-test-coverage",
    "dependency-transparency",
    "devices",
    "diagnostics",
    "discovery",
    "discovery-update-info",
    "docs-actions",
    "docs-conditions",
    "docs-configuration-parameters",
    "docs-data-update",
    "docs-examples",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-installation-parameters",
    "docs-known-limitations",
    "docs-removal-instructions",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-triggers",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-event-setup",
    "entity-translations",
    "entity-unavailable",
    "entity-unique-id",
    "exception-translations",
    "has-entity-name",
    "icon-translations",
    "inject-websession",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "reconfiguration-flow",
    "repair-issues",
    "runtime-data",
    "stale-devices",
    "strict-typing",
    "test-before-configure",
    "test-before-setup",
    "test-coverage",
    "unique-config-entry",
]


def quality_scale_status() -> dict[str, str]:
    rules = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))["rules"]
    return {
        name: rule if isinstance(rule, str) else rule["status"]
        for name, rule in rules.items()
    }


def test_quality_scale_lists_every_rule_with_a_reason_for_each_exemption() -> None:
    rules = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))["rules"]
    assert sorted(rules) == sorted(QUALITY_SCALE_RULES)
    for name, rule in rules.items():
        if not isinstance(rule, str):
            assert rule["status"] in ("done", "exempt"), name
            assert rule.get("comment"), name


def test_quality_scale_claims_no_exemption_the_code_contradicts() -> None:
    """What the code has cannot be exempt: an options flow, new devices, categories."""
    status = quality_scale_status()
    source = {path.name: path.read_text() for path in INTEGRATION.rglob("*.py")}
    if "async_get_options_flow" in source["config_flow.py"]:
        assert status["docs-configuration-parameters"] == "done"
    if "async_get_supported_subentry_types" in source["config_flow.py"]:
        assert status["dynamic-devices"] == "done"
    if any("_attr_entity_category" in text for text in source.values()):
        assert status["entity-category"] == "done"
    if any("_attr_device_class" in text for text in source.values()):
        assert status["entity-device-class"] == "done"
    assert all(
        value == "done"
        for name, value in status.items()
        if name
        not in {
            "appropriate-polling",
            "discovery",
            "discovery-update-info",
            "docs-conditions",
            "docs-triggers",
            "entity-disabled-by-default",
            "entity-unavailable",
            "log-when-unavailable",
        }
    )


def test_services_yaml_loads_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant warns of duplicate keys (a merge key overridden, for one)."""
    load_yaml_dict(INTEGRATION / "services.yaml")
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
