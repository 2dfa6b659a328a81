"""The `tracked_entity` subentry flow: pick an entity, see it on the Lock Screen.

Three steps (entity, type, content) and a fourth for when it shows; a run condition
adds two (`run_steps`): when the run starts and ends, and what its end says. Every field comes pre-filled from the
defaults table, so submitting each step unchanged creates a tracked entity that works.
Reconfigure walks the same steps with the current values.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import State
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)
import voluptuous as vol

from ..const import ATTR_AUTO_DISMISS_MINUTES, MAX_MIN_INTERVAL, PRIORITY_NAMES
from ..content import ACTIVITY_TYPES, COLORS
from ..followed import EntitySubentryFlow
from ..recipient_flow import recipient_errors, recipient_fields
from .conditions import CONF_CONDITION
from .config import (
    CONF_BUTTON_ACTION,
    CONF_BUTTON_TITLE,
    CONF_CHANNELS,
    CONF_END_STATES,
    CONF_ENTITY_ID,
    CONF_FIELDS,
    CONF_MIN_INTERVAL,
    CONF_PRIORITY,
    CONF_SHOW_STATES,
    CONF_SHOW_TEMPLATE,
    CONF_TYPE,
)
from .defaults import TYPE_FIELDS, Default, default_fields, default_for
from .flow_checks import button_errors, template_errors
from .run_flow import RUN_KEYS, WHEN_FIELDS, condition_suggestion, is_run
from .run_steps import RunSteps

TEXT = TextSelector()
COMMON_FIELDS = ("title", "subtitle", "icon")
TYPE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(ACTIVITY_TYPES),
        translation_key="activity_type",
        mode=SelectSelectorMode.LIST,
    )
)
PRIORITY_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(PRIORITY_NAMES),
        translation_key="priority",
        mode=SelectSelectorMode.DROPDOWN,
    )
)
COLOR_SELECTOR = SelectSelector(
    SelectSelectorConfig(options=list(COLORS), translation_key="color")
)


def _states_selector(suggestions: list[str]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=sorted(set(suggestions)),
            multiple=True,
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


class TrackedEntityFlow(RunSteps, EntitySubentryFlow):
    """Add or change one tracked entity."""

    async def async_step_entity_picked(self) -> SubentryFlowResult:
        """After the entity: the Live Activity type."""
        return await self.async_step_type()

    async def async_step_type(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Which Live Activity type, suggested from the entity's domain and class."""
        if user_input is not None:
            if user_input[CONF_TYPE] != self._data.get(CONF_TYPE):
                self._data[CONF_TYPE] = user_input[CONF_TYPE]
                self._data[CONF_FIELDS] = self._default_content()
            return await self.async_step_content()
        suggested = self._data.get(CONF_TYPE, self._default().type)
        schema = vol.Schema({vol.Required(CONF_TYPE, default=suggested): TYPE_SELECTOR})
        return self.async_show_form(
            step_id="type",
            data_schema=schema,
            description_placeholders={"entity": self._entity_name()},
        )

    async def async_step_content(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """What it shows: each field a text, or a template of the entity."""
        names = (*COMMON_FIELDS, "color", *TYPE_FIELDS[self._data[CONF_TYPE]])
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = template_errors(user_input)
            if not errors:
                self._data[CONF_FIELDS] = {
                    name: value for name, value in user_input.items() if value != ""
                }
                return await self.async_step_when()
        current = user_input or self._data.get(CONF_FIELDS) or self._default_content()
        schema = vol.Schema(
            {
                (
                    vol.Required(name) if name == "title" else vol.Optional(name)
                ): COLOR_SELECTOR if name == "color" else TEXT
                for name in names
            }
        )
        return self.async_show_form(
            step_id="content",
            data_schema=self.add_suggested_values_to_schema(schema, current),
            errors=errors,
            description_placeholders={"entity": self._entity_name()},
        )

    async def async_step_when(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """When it shows, how long it stays after the end, and who gets it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = template_errors(user_input, (CONF_SHOW_TEMPLATE,))
            errors |= button_errors(user_input, CONF_BUTTON_TITLE, CONF_BUTTON_ACTION)
            errors |= recipient_errors(user_input)
            if not errors:
                if not is_run(user_input):  # states: nothing of a run is kept
                    for key in RUN_KEYS:
                        self._data.pop(key, None)
                    user_input.pop(CONF_CONDITION, None)
                self._data.update(user_input)
                self._data[ATTR_AUTO_DISMISS_MINUTES] = int(
                    user_input.get(ATTR_AUTO_DISMISS_MINUTES, 3)
                )
                # The row's priority, unless one was chosen (the form's own field).
                self._data.setdefault(CONF_PRIORITY, self._default().priority.label)
                if is_run(self._data):
                    return await self.async_step_run()
                return self._finish()
        default = self._default()
        state = self._state()
        suggestions = [
            *default.show_states,
            *default.end_states,
            *([state.state] if state else []),
        ]
        current = {
            CONF_SHOW_STATES: list(default.show_states),
            CONF_END_STATES: list(default.end_states),
            ATTR_AUTO_DISMISS_MINUTES: 3,
            CONF_PRIORITY: default.priority.label,
            **self._data,
            **(user_input or {}),
        }
        current[CONF_CONDITION] = condition_suggestion(
            {**self._data, **(user_input or {})}, default.run
        )
        schema = vol.Schema(
            {
                **WHEN_FIELDS,
                vol.Optional(CONF_SHOW_STATES): _states_selector(suggestions),
                vol.Optional(CONF_END_STATES): _states_selector(suggestions),
                vol.Required(CONF_PRIORITY): PRIORITY_SELECTOR,
                vol.Optional(ATTR_AUTO_DISMISS_MINUTES): NumberSelector(
                    NumberSelectorConfig(
                        min=0, max=1440, step=1, mode=NumberSelectorMode.BOX
                    )
                ),
                vol.Optional(CONF_CHANNELS): TextSelector(
                    TextSelectorConfig(multiple=True)
                ),
                **recipient_fields(self._get_entry()),
                vol.Optional(CONF_MIN_INTERVAL): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=MAX_MIN_INTERVAL,
                        step=0.1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="s",
                    )
                ),
                vol.Optional(CONF_BUTTON_TITLE): TEXT,
                vol.Optional(CONF_BUTTON_ACTION): TEXT,
                vol.Optional(CONF_SHOW_TEMPLATE): TEXT,
            }
        )
        return self.async_show_form(
            step_id="when",
            data_schema=self.add_suggested_values_to_schema(schema, current),
            errors=errors,
            description_placeholders={"entity": self._entity_name()},
        )

    def _finish(self) -> SubentryFlowResult:
        data = {
            key: value
            for key, value in self._data.items()
            if value not in ("", None, []) or key in (CONF_SHOW_STATES, CONF_END_STATES)
        }
        title = self._entity_name()
        if self.source == "reconfigure":
            return self.async_update_and_abort(
                self._get_entry(),
                self._get_reconfigure_subentry(),
                data=data,
                title=title,
            )
        return self.async_create_entry(title=title, data=data)

    def _state(self) -> State | None:
        return self.hass.states.get(self._data[CONF_ENTITY_ID])

    def _default(self) -> Default:
        state = self._state() or State(self._data[CONF_ENTITY_ID], "unknown")
        return default_for(state)

    def _default_content(self) -> dict[str, Any]:
        default = self._default()
        return {
            "title": self._entity_name(),
            "icon": default.icon,
            "color": default.color,
            **default_fields(default, self._data[CONF_TYPE]),
        }

    def _entity_name(self) -> str:
        state = self._state()
        return state.name if state else self._data[ATTR_ENTITY_ID]
