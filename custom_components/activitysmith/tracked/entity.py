"""Tracked entities: one Home Assistant entity mirrored onto one ActivitySmith stream.

Each `tracked_entity` subentry names an entity, a Live Activity type, a template per
field and when the activity shows. On every change of the entity (or of any entity its
templates read) the content is rendered, checked and sent as a stream update through
the client's budget, so tracked entities share its ordering, pacing and fairness.
Entering a show state starts the stream, leaving it ends it with the final content;
`unavailable` and `unknown` hold the last state. Identical content is not sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import logging
from typing import Any, Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import (
    config_validation as cv,
)
from homeassistant.helpers.dispatcher import (
    async_dispatcher_send,
)
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
)
from homeassistant.helpers.template import Template
import voluptuous as vol

from .. import content
from ..client import ActivitySmithLiveActivityLimitError
from ..const import ATTR_AUTO_DISMISS_MINUTES
from ..models import ActivitySmithConfigEntry, ActivitySmithData
from ..streams import end_stream, send_stream_state
from .config import (
    CONF_CHANNELS,
    Decision,
    TrackedConfig,
    signal_tracked,
    stream_key_for,
    variables_for,
)
from .defaults import METRIC_FIELDS

_LOGGER = logging.getLogger(__name__)

# A start refused for the Live Activity limit is tried again this often.
LIMIT_RETRY: Final = timedelta(seconds=60)
# A tracked timer's button per state: its title, and the timer action it runs.
TIMER_BUTTONS: Final = {"active": ("Pause", "pause"), "paused": ("Resume", "start")}


def timer_action_id(command: str, subentry_id: str) -> str:
    """The action id of a tracked timer's button (letters, digits and -, <= 64)."""
    return f"timer-{command}-{subentry_id.lower()}"


class TrackedEntity:
    """Mirrors one entity onto its stream for as long as its subentry exists."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ActivitySmithConfigEntry,
        data: ActivitySmithData,
        subentry: ConfigSubentry,
    ) -> None:
        """Prepare; `async_start` subscribes and reconciles with the phone."""
        self._hass = hass
        self._entry = entry
        self._data = data
        self.subentry_id = subentry.subentry_id
        self.title = subentry.title
        self.config = TrackedConfig.from_data(subentry.data)
        self.stream_key = stream_key_for(subentry.subentry_id)
        self.error: str | None = None
        self.decision: Decision | None = None
        self._templates = {
            name: Template(text, hass) for name, text in self.config.fields.items()
        }
        self._show_template = (
            Template(self.config.show_template, hass)
            if self.config.show_template
            else None
        )
        self._unwatch: Callable[[], None] | None = None
        self._cancel_retry: Callable[[], None] | None = None
        self._watched: set[str] = set()
        self._dirty = False
        self._task: asyncio.Task[None] | None = None
        # The first refresh after a start sends the state even if it looks known:
        # the stream answers noop when the phone already shows it.
        self._reconciled = False

    @property
    def running(self) -> bool:
        """Whether the stream shows something on the phone (or is about to)."""
        return self._data.activities.running_stream_content(self.stream_key) is not None

    @callback
    def async_start(self) -> None:
        """Follow the entity, and bring the phone in line with its state now."""
        self._watch({self.config.entity_id})
        self.async_schedule_refresh()

    @callback
    def async_stop(self) -> None:
        """Stop following (on unload, or before a reconfigured copy takes over)."""
        for cancel in (self._unwatch, self._cancel_retry):
            if cancel is not None:
                cancel()
        self._unwatch = self._cancel_retry = None
        if self._task is not None:
            self._task.cancel()

    async def async_end(self) -> None:
        """End the stream if it runs (the subentry was removed or paused)."""
        if self.running:
            await self._send(Decision.END, None)

    @callback
    def async_schedule_refresh(self, *_: Any) -> None:
        """Render and send soon; a burst of changes is one refresh at a time."""
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = self._entry.async_create_background_task(
                self._hass, self._refresh_while_dirty(), f"activitysmith {self.title}"
            )

    async def _refresh_while_dirty(self) -> None:
        while self._dirty:
            self._dirty = False
            await self._refresh()

    async def _refresh(self) -> None:
        state = self._hass.states.get(self.config.entity_id)
        if not self.config.enabled:
            self._set_status(None, None)
            await self.async_end()
            return
        if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            self._set_status(Decision.HOLD, self.error)
            return
        variables = variables_for(self._hass, state)
        try:
            decision = self._decide(state, variables)
            content_state = (
                self._render(variables) if decision is not Decision.HOLD else None
            )
        except (TemplateError, vol.Invalid, HomeAssistantError) as err:
            self._set_status(self.decision, _message_of(err))
            return
        self._set_status(decision, None)
        if decision is Decision.HOLD:
            return
        if decision is Decision.END and not self.running:
            return
        if (
            decision is Decision.SHOW
            and self._reconciled
            and self._data.activities.running_stream_content(self.stream_key)
            == content_state
        ):
            return  # identical content is not sent again
        self._reconciled = True
        await self._send(decision, content_state)

    def _decide(self, state: State, variables: dict[str, Any]) -> Decision:
        if self._show_template is not None:
            shown = self._show_template.async_render(variables, parse_result=False)
            return Decision.SHOW if cv.boolean(shown.strip()) else Decision.END
        show, end = self.config.show_states, self.config.end_states
        if not show or state.state in show:
            return Decision.SHOW
        if not end or state.state in end:
            return Decision.END
        return Decision.HOLD

    def _render(self, variables: dict[str, Any]) -> dict[str, Any]:
        """The content state the templates give now, checked like an action's."""
        rendered: dict[str, Any] = {"type": self.config.type}
        watched = {self.config.entity_id}
        for name, template in self._templates.items():
            info = template.async_render_to_info(variables)
            watched |= info.entities
            value = info.result()
            if value not in (None, ""):
                rendered[name] = value
        self._watch(watched)
        if any(name in rendered for name in METRIC_FIELDS):
            metric = {
                key: rendered.pop(f"metric_{key}")
                for key in ("label", "value", "unit")
                if f"metric_{key}" in rendered
            }
            rendered["metrics"] = [metric]
        shaped: dict[str, Any] = {}
        for name, value in rendered.items():
            try:
                shaped[name] = content.FIELDS[name](value)
            except vol.Invalid as err:
                raise vol.Invalid(f"{name}: {err.msg} (got {value!r})") from err
        content_state = content.content_of(shaped)
        content.validate(content_state, "update" if self.running else "start", {})
        return content_state

    def _watch(self, entity_ids: set[str]) -> None:
        """Follow the state changes of these entities (what the templates read)."""
        if entity_ids == self._watched and self._unwatch is not None:
            return
        if self._unwatch is not None:
            self._unwatch()
        self._watched = entity_ids

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            self.async_schedule_refresh()

        self._unwatch = async_track_state_change_event(
            self._hass, sorted(entity_ids), changed
        )

    async def _send(
        self, decision: Decision, content_state: dict[str, Any] | None
    ) -> None:
        request: dict[str, Any] = {}
        if self.config.channels:
            request[CONF_CHANNELS] = list(self.config.channels)
        if (button := await self._button()) is not None:
            request["action"] = button
        where = (self._hass, self._entry, self._data, self.stream_key)
        if decision is Decision.SHOW and content_state is not None:
            sending = send_stream_state(*where, content_state, request)
        else:
            request[ATTR_AUTO_DISMISS_MINUTES] = self.config.auto_dismiss_minutes
            sending = end_stream(*where, content_state, request)
        try:
            await sending
        except HomeAssistantError as err:
            _LOGGER.warning("Could not mirror %s: %s", self.config.entity_id, err)
            if isinstance(err.__cause__, ActivitySmithLiveActivityLimitError):
                # Tried again when a slot may have freed, in order, never twice.
                self._reconciled = False
                if self._cancel_retry is not None:
                    self._cancel_retry()
                self._cancel_retry = async_call_later(
                    self._hass, LIMIT_RETRY, self.async_schedule_refresh
                )

    async def _button(self) -> dict[str, str] | None:
        """The activity's home_assistant button, when buttons can reach home.

        The user's own, else for a timer: Pause while it runs, Resume while paused (the
        timer type takes one button, so Cancel does not fit beside them).
        """
        state = self._hass.states.get(self.config.entity_id)
        if self.config.button is not None:
            title, action = self.config.button
        elif (
            self.config.type == "timer"
            and state is not None
            and state.domain == "timer"
            and state.state in TIMER_BUTTONS
        ):
            title, command = TIMER_BUTTONS[state.state]
            action = timer_action_id(command, self.subentry_id)
        else:
            return None
        if not await self._data.buttons.async_can_reach_home():
            return None
        return {"title": title, "type": "home_assistant", "action": action}

    async def async_pressed(self, action: str) -> None:
        """One of this timer's buttons was pressed: run the timer's own action."""
        for command in ("pause", "start"):
            if action == timer_action_id(command, self.subentry_id):
                await self._hass.services.async_call(
                    "timer", command, {"entity_id": self.config.entity_id}
                )

    def _set_status(self, decision: Decision | None, error: str | None) -> None:
        if error is not None and error != self.error:
            _LOGGER.warning("Tracked entity %s: %s", self.config.entity_id, error)
        if (decision, error) != (self.decision, self.error):
            self.decision, self.error = decision, error
            async_dispatcher_send(
                self._hass, signal_tracked(self._entry.entry_id, self.subentry_id)
            )

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics: what it follows, decided and last sent."""
        record = self._data.activities.streams.get(self.stream_key)
        return {
            "entity_id": self.config.entity_id,
            "type": self.config.type,
            "enabled": self.config.enabled,
            "stream_key": self.stream_key,
            "decision": self.decision,
            "error": self.error,
            "last_send": record.as_stored() if record else None,
        }


def _message_of(err: Exception) -> str:
    if isinstance(err, HomeAssistantError) and err.translation_key:
        placeholders = err.translation_placeholders or {}
        details = ", ".join(f"{k}: {v}" for k, v in placeholders.items())
        return f"{err.translation_key} ({details})" if details else err.translation_key
    return str(err) or type(err).__name__
