"""Checks the tracked-entity flow's steps share: templates that parse, buttons."""

from __future__ import annotations

from typing import Any

from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from ..validators import HOME_ASSISTANT_BUTTON


def template_errors(
    user_input: dict[str, Any], names: tuple[str, ...] | None = None
) -> dict[str, str]:
    """`invalid_template` for each field whose template does not parse."""
    errors: dict[str, str] = {}
    for name, value in user_input.items():
        if (names is not None and name not in names) or not isinstance(value, str):
            continue
        try:
            cv.template(value)  # parses it, as Template(...).ensure_valid() does
        except vol.Invalid:
            errors[name] = "invalid_template"
    return errors


def button_errors(
    user_input: dict[str, Any], title_key: str, action_key: str
) -> dict[str, str]:
    """A button needs both a title and an action id of the allowed characters."""
    title = user_input.get(title_key, "")
    action = user_input.get(action_key, "")
    if not title and not action:
        return {}
    if not title:
        return {title_key: "button_needs_title"}
    try:
        HOME_ASSISTANT_BUTTON(
            {"title": title, "type": "home_assistant", "action": action}
        )
    except vol.Invalid:
        return {action_key: "invalid_action_id"}
    return {}
