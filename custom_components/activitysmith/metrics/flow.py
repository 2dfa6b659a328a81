"""The `tracked_metric` and `badge` subentry flows: widgets and the badge from the UI.

"Add widget metric": pick an entity, then its metric key (suggested from the entity
id), the decimals (suggested from the entity's display precision), the least interval
between sends and, for an entity whose state is no number, a value template. "Add app
badge" (at most one per entry): the entities and states that count, or a template.
Every field is checked here, with a translated error next to it; reconfigure walks the
same steps with the current values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.exceptions import TemplateError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.template import Template
import voluptuous as vol

from ..followed import EntitySubentryFlow
from ..tracked.config import variables_for
from .config import (
    BADGE_SUBENTRY_TYPE,
    CONF_COUNT_STATES,
    CONF_COUNT_TEMPLATE,
    CONF_DECIMALS,
    CONF_ENTITIES,
    CONF_ENTITY_ID,
    CONF_INTERVAL,
    CONF_KEY,
    CONF_VALUE_TEMPLATE,
    DEFAULT_COUNT_STATES,
    DEFAULT_INTERVAL,
    MAX_DECIMALS,
    MAX_INTERVAL,
    MIN_INTERVAL,
    badge_count,
    is_metric_key,
    metric_subentries,
    metric_value,
    suggested_key,
)

BOX = NumberSelectorMode.BOX
HELD = (STATE_UNAVAILABLE, STATE_UNKNOWN)
COUNTED_SUGGESTIONS = ("on", "open", "home", "unlocked", "problem")


class TrackedMetricFlow(EntitySubentryFlow):
    """Add or change one widget metric."""

    async def async_step_entity_picked(self) -> SubentryFlowResult:
        """After the entity: its key, rounding and interval."""
        return await self.async_step_settings()

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The metric key, rounding, interval and value template."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._errors(user_input)
            if not errors:
                self._data.update(user_input)
                self._data[CONF_DECIMALS] = int(user_input[CONF_DECIMALS])
                self._data[CONF_INTERVAL] = float(user_input[CONF_INTERVAL])
                if not user_input.get(CONF_VALUE_TEMPLATE):
                    self._data.pop(CONF_VALUE_TEMPLATE, None)
                return self._finish()
        entity_id = self._data[CONF_ENTITY_ID]
        current = {
            CONF_KEY: suggested_key(entity_id),
            CONF_DECIMALS: self._suggested_decimals(),
            CONF_INTERVAL: DEFAULT_INTERVAL,
            **self._data,
            **(user_input or {}),
        }
        schema = vol.Schema(
            {
                vol.Required(CONF_KEY): TextSelector(),
                vol.Required(CONF_DECIMALS): NumberSelector(
                    NumberSelectorConfig(mode=BOX, step=1)
                ),
                vol.Required(CONF_INTERVAL): NumberSelector(
                    NumberSelectorConfig(mode=BOX, step=1, unit_of_measurement="s")
                ),
                vol.Optional(CONF_VALUE_TEMPLATE): TextSelector(),
            }
        )
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(schema, current),
            errors=errors,
            description_placeholders={"entity": self._entity_name()},
        )

    def _errors(self, user_input: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        key = str(user_input[CONF_KEY]).strip()
        user_input[CONF_KEY] = key
        if not is_metric_key(key):
            errors[CONF_KEY] = "invalid_metric_key"
        elif any(
            subentry.data.get(CONF_KEY) == key and subentry_id != self._editing()
            for subentry_id, subentry in metric_subentries(self._get_entry()).items()
        ):
            errors[CONF_KEY] = "metric_key_in_use"
        decimals = float(user_input[CONF_DECIMALS])
        if not decimals.is_integer() or not 0 <= decimals <= MAX_DECIMALS:
            errors[CONF_DECIMALS] = "invalid_decimals"
        if not MIN_INTERVAL <= float(user_input[CONF_INTERVAL]) <= MAX_INTERVAL:
            errors[CONF_INTERVAL] = "invalid_interval"
        if (problem := self._value_problem(user_input)) is not None:
            field = (
                CONF_VALUE_TEMPLATE if user_input.get(CONF_VALUE_TEMPLATE) else "base"
            )
            errors[field] = problem
        return errors

    def _value_problem(self, user_input: dict[str, Any]) -> str | None:
        """What is wrong with the value the entity gives now, if it gives one."""
        state = self.hass.states.get(self._data[CONF_ENTITY_ID])
        text = user_input.get(CONF_VALUE_TEMPLATE)
        if text:
            try:
                cv.template(text)  # parses it, as Template(...).ensure_valid() does
            except vol.Invalid:
                return "invalid_template"
            template = Template(text, self.hass)
            if state is None or state.state in HELD:
                return None  # nothing to render it with yet
            try:
                raw = template.async_render(
                    variables_for(self.hass, state), parse_result=False
                )
            except TemplateError:
                return "template_not_a_number"
        elif state is None or state.state in HELD:
            return None
        else:
            raw = state.state
        try:
            metric_value(raw.strip(), 0)
        except vol.Invalid:
            return "template_not_a_number" if text else "entity_not_numeric"
        return None

    def _editing(self) -> str | None:
        if self.source == "reconfigure":
            return self._get_reconfigure_subentry().subentry_id
        return None

    def _suggested_decimals(self) -> int:
        """The entity's display precision, else the decimals its state has now."""
        entity_id = self._data[CONF_ENTITY_ID]
        if (registered := er.async_get(self.hass).async_get(entity_id)) is not None:
            options: Mapping[str, Any] = registered.options.get("sensor", {})
            for option in ("display_precision", "suggested_display_precision"):
                if isinstance(precision := options.get(option), int):
                    return min(MAX_DECIMALS, max(0, precision))
        state = self.hass.states.get(entity_id)
        if state is None or "." not in state.state:
            return 0
        return min(MAX_DECIMALS, len(state.state.rpartition(".")[2]))

    def _entity_name(self) -> str:
        state = self.hass.states.get(self._data[CONF_ENTITY_ID])
        return state.name if state else str(self._data[CONF_ENTITY_ID])

    def _finish(self) -> SubentryFlowResult:
        title = self._entity_name()
        if self.source == "reconfigure":
            return self.async_update_and_abort(
                self._get_entry(),
                self._get_reconfigure_subentry(),
                data=self._data,
                title=title,
            )
        return self.async_create_entry(title=title, data=self._data)


class BadgeFlow(ConfigSubentryFlow):
    """Add or change the entry's app badge (one at most)."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """What the badge counts."""
        if any(
            subentry.subentry_type == BADGE_SUBENTRY_TYPE
            for subentry in self._get_entry().subentries.values()
        ):
            return self.async_abort(reason="badge_already_configured")
        return await self._async_ask("user", {}, user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change what the badge counts."""
        current = dict(self._get_reconfigure_subentry().data)
        return await self._async_ask("reconfigure", current, user_input)

    async def _async_ask(
        self,
        step_id: str,
        current: dict[str, Any],
        user_input: dict[str, Any] | None,
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._errors(user_input)
            if not errors:
                data = {
                    key: value
                    for key, value in user_input.items()
                    if value not in ("", None, [])
                }
                if step_id == "reconfigure":
                    return self.async_update_and_abort(
                        self._get_entry(), self._get_reconfigure_subentry(), data=data
                    )
                return self.async_create_entry(title="App badge", data=data)
        suggested = {
            CONF_COUNT_STATES: list(DEFAULT_COUNT_STATES),
            **current,
            **(user_input or {}),
        }
        schema = vol.Schema(
            {
                vol.Optional(CONF_ENTITIES): EntitySelector(
                    EntitySelectorConfig(multiple=True)
                ),
                vol.Optional(CONF_COUNT_STATES): SelectSelector(
                    SelectSelectorConfig(
                        options=list(COUNTED_SUGGESTIONS),
                        multiple=True,
                        custom_value=True,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Optional(CONF_COUNT_TEMPLATE): TextSelector(),
            }
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    def _errors(self, user_input: dict[str, Any]) -> dict[str, str]:
        text = user_input.get(CONF_COUNT_TEMPLATE)
        if not text:
            if not user_input.get(CONF_ENTITIES):
                return {"base": "badge_counts_nothing"}
            if not user_input.get(CONF_COUNT_STATES):
                return {CONF_COUNT_STATES: "badge_needs_states"}
            return {}
        try:
            cv.template(text)
        except vol.Invalid:
            return {CONF_COUNT_TEMPLATE: "invalid_template"}
        try:
            rendered = Template(text, self.hass).async_render(parse_result=False)
            badge_count(rendered.strip())
        except TemplateError, vol.Invalid:
            return {CONF_COUNT_TEMPLATE: "template_not_a_count"}
        return {}
