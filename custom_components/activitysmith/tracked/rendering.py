"""A tracked entity's templates rendered into a content state's fields, shaped.

Each field's template is rendered with the tracked entity's variables; a `value`
activity keeps its readout as rendered text. The metric fields of the form become the
one metric of a metrics or stats activity, and every field is shaped as an action's
would be (`content.FIELDS`), with the field named in the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.helpers.template import Template
import voluptuous as vol

from .. import content
from .defaults import METRIC_FIELDS


def render_fields(
    templates: Mapping[str, Template], variables: Mapping[str, Any], activity_type: str
) -> dict[str, Any]:
    """Each template's result by field name, empty ones left out; `type` first."""
    rendered: dict[str, Any] = {"type": activity_type}
    for name, template in templates.items():
        # A value activity shows its readout as rendered ("1,240" stays text).
        as_text = name == "value" and activity_type == "value"
        value = template.async_render(variables, parse_result=not as_text)
        if value not in (None, ""):
            rendered[name] = value
    return rendered


def shaped(rendered: Mapping[str, Any]) -> dict[str, Any]:
    """The fields in the API's shape: the metric fields folded into one metric."""
    fields = dict(rendered)
    if any(name in fields for name in METRIC_FIELDS):
        metric = {
            key: fields.pop(f"metric_{key}")
            for key in ("label", "value", "unit")
            if f"metric_{key}" in fields
        }
        fields["metrics"] = [metric]
    result: dict[str, Any] = {}
    for name, value in fields.items():
        try:
            result[name] = content.FIELDS[name](value)
        except vol.Invalid as err:
            raise vol.Invalid(f"{name}: {err.msg} (got {value!r})") from err
    return result
