"""The steps a run condition adds to the tracked-entity flow: the run, and its end.

After "when it shows" picks a run condition, the run step asks for its thresholds and
durations (or, for a value that changes, how recently), pre-filled from the entity's
default row, and the done step for the final words and the "done" push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.core import State

from .conditions import CONF_CONDITION, ConditionKind
from .run_flow import (
    CHANGING_SCHEMA,
    DONE_DEFAULTS,
    DONE_SCHEMA,
    THRESHOLD_SCHEMA,
    condition_errors,
    done_errors,
    run_suggestions,
)

if TYPE_CHECKING:
    from .defaults import Default


class RunSteps(ConfigSubentryFlow):
    """The run and done steps, for the tracked-entity flow that mixes them in."""

    if TYPE_CHECKING:
        _data: dict[str, Any]

        def _default(self) -> Default: ...
        def _state(self) -> State | None: ...
        def _entity_name(self) -> str: ...
        def _finish(self) -> SubentryFlowResult: ...

    async def async_step_run(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """When a run starts and ends: thresholds and durations, or how recently."""
        kind = ConditionKind(self._data[CONF_CONDITION])
        schema = CHANGING_SCHEMA if kind is ConditionKind.CHANGING else THRESHOLD_SCHEMA
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = condition_errors(self.hass, self._state(), kind, user_input)
            if not errors:
                for key in schema.schema:  # a field left empty is empty
                    self._data.pop(str(key), None)
                self._data.update(user_input)
                return await self.async_step_done()
        current = {
            **run_suggestions(self._data, self._default().run),
            **(user_input or {}),
        }
        current = run_suggestions(current, {})  # durations and thresholds as shown
        return self.async_show_form(
            step_id="run",
            data_schema=self.add_suggested_values_to_schema(schema, current),
            errors=errors,
            description_placeholders={"entity": self._entity_name()},
        )

    async def async_step_done(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """How a run ends: its final words, and the "done" push (or none)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = done_errors(user_input)
            if not errors:
                for key in DONE_DEFAULTS:  # a field left empty is empty
                    self._data.pop(key, None)
                self._data.update(user_input)
                return self._finish()
        current = {
            **DONE_DEFAULTS,
            **self._default().run,
            **self._data,
            **(user_input or {}),
        }
        return self.async_show_form(
            step_id="done",
            data_schema=self.add_suggested_values_to_schema(DONE_SCHEMA, current),
            errors=errors,
            description_placeholders={"entity": self._entity_name()},
        )
