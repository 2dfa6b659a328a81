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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
import enum
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
    split_entity_id,
)
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import (
    config_validation as cv,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
)
from homeassistant.helpers.template import Template
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType
import voluptuous as vol

from . import content
from .buttons import signal_pressed
from .client import ActivitySmithLiveActivityLimitError
from .const import ATTR_AUTO_DISMISS_MINUTES, DOMAIN
from .models import ActivitySmithConfigEntry, ActivitySmithData
from .streams import end_stream, send_stream_state
from .tracked_defaults import METRIC_FIELDS

_LOGGER = logging.getLogger(__name__)

SUBENTRY_TYPE: Final = "tracked_entity"
CONF_ENTITY_ID: Final = "entity_id"
CONF_TYPE: Final = "type"
CONF_FIELDS: Final = "fields"
CONF_SHOW_STATES: Final = "show_states"
CONF_END_STATES: Final = "end_states"
CONF_SHOW_TEMPLATE: Final = "show_template"
CONF_CHANNELS: Final = "channels"
CONF_ENABLED: Final = "enabled"
# A start refused for the Live Activity limit is tried again this often.
LIMIT_RETRY: Final = timedelta(seconds=60)
MISSING_ISSUE: Final = "tracked_entity_missing"
# A tracked timer's button per state: its title, and the timer action it runs.
TIMER_BUTTONS: Final = {"active": ("Pause", "pause"), "paused": ("Resume", "start")}


def timer_action_id(command: str, subentry_id: str) -> str:
    """The action id of a tracked timer's button (letters, digits and -, <= 64)."""
    return f"timer-{command}-{subentry_id.lower()}"


def stream_key_for(subentry_id: str) -> str:
    """The stream a tracked entity drives (subentry ids are letters and digits)."""
    return f"ha-{subentry_id.lower()}"


def signal_subentries(entry_id: str) -> SignalType[()]:
    """Sent after the entry's subentries changed (for the platforms to add entities)."""
    return SignalType(f"{DOMAIN}_{entry_id}_subentries")


def signal_tracked(entry_id: str, subentry_id: str) -> SignalType[()]:
    """Sent when a tracked entity's own status (error, decision) changes."""
    return SignalType(f"{DOMAIN}_{entry_id}_tracked_{subentry_id}")


class Decision(enum.StrEnum):
    """What the tracked entity's state means for its Live Activity."""

    SHOW = "show"
    END = "end"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class TrackedConfig:
    """A tracked_entity subentry's data, typed."""

    entity_id: str
    type: str
    fields: Mapping[str, str]
    show_states: tuple[str, ...]
    end_states: tuple[str, ...]
    show_template: str | None
    auto_dismiss_minutes: int
    channels: tuple[str, ...]
    enabled: bool

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> TrackedConfig:
        """Read a subentry's data (written by the subentry flow)."""
        return cls(
            entity_id=data[CONF_ENTITY_ID],
            type=data[CONF_TYPE],
            fields=dict(data.get(CONF_FIELDS, {})),
            show_states=tuple(data.get(CONF_SHOW_STATES, ())),
            end_states=tuple(data.get(CONF_END_STATES, ())),
            show_template=data.get(CONF_SHOW_TEMPLATE) or None,
            auto_dismiss_minutes=int(data.get(ATTR_AUTO_DISMISS_MINUTES, 3)),
            channels=tuple(data.get(CONF_CHANNELS, ())),
            enabled=bool(data.get(CONF_ENABLED, True)),
        )


def variables_for(hass: HomeAssistant, state: State) -> dict[str, Any]:
    """What every template of a tracked entity can use besides `states()` and co."""
    return {
        "entity_id": state.entity_id,
        "entity": state,
        "state": state.state,
        "name": state.name,
        "state_name": translated_state(hass, state),
        "remaining": timer_remaining(state),
    }


def translated_state(hass: HomeAssistant, state: State) -> str:
    """The state as the UI names it ("Open" for a door that is on), else the state."""
    domain = state.domain
    translations = async_get_cached_translations(
        hass, hass.config.language, "entity_component", domain
    )
    device_class = state.attributes.get("device_class") or "_"
    for key in (
        f"component.{domain}.entity_component.{device_class}.state.{state.state}",
        f"component.{domain}.entity_component._.state.{state.state}",
    ):
        if key in translations:
            return translations[key]
    return state.state


def timer_remaining(state: State) -> int | None:
    """A timer's remaining seconds, or None for anything else.

    While a timer runs its `remaining` attribute is not live: the time comes from
    `finishes_at`. When it is paused, `remaining` holds it.
    """
    if state.domain != "timer":
        return None
    finishes = state.attributes.get("finishes_at")
    end = dt_util.parse_datetime(str(finishes)) if finishes else None
    if state.state == "active" and end is not None:
        return max(0, round((end - dt_util.utcnow()).total_seconds()))
    remaining = str(state.attributes.get("remaining") or "")
    try:
        hours, minutes, seconds = (float(part) for part in remaining.split(":"))
    except ValueError:
        return None
    return round(hours * 3600 + minutes * 60 + seconds)


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
        record = self._data.activities.streams.get(self.stream_key)
        return record is not None and record.status != "ended"

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
            and self.running
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
        if (button := await self._timer_button()) is not None:
            request["action"] = button
        try:
            if decision is Decision.SHOW and content_state is not None:
                await send_stream_state(
                    self._hass,
                    self._entry,
                    self._data,
                    self.stream_key,
                    content_state,
                    request,
                )
            else:
                request[ATTR_AUTO_DISMISS_MINUTES] = self.config.auto_dismiss_minutes
                await end_stream(
                    self._hass,
                    self._entry,
                    self._data,
                    self.stream_key,
                    content_state,
                    request,
                )
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

    async def _timer_button(self) -> dict[str, str] | None:
        """A running timer gets Pause, a paused one Resume (when buttons can reach home).

        The timer type takes one button, so Cancel does not fit beside them.
        """
        state = self._hass.states.get(self.config.entity_id)
        if (
            self.config.type != "timer"
            or state is None
            or state.domain != "timer"
            or state.state not in TIMER_BUTTONS
            or not await self._data.buttons.async_can_reach_home()
        ):
            return None
        title, command = TIMER_BUTTONS[state.state]
        return {
            "title": title,
            "type": "home_assistant",
            "action": timer_action_id(command, self.subentry_id),
        }

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


class TrackedEntities:
    """The entry's tracked entities, kept in step with its subentries."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ActivitySmithConfigEntry,
        data: ActivitySmithData,
    ) -> None:
        """Start with none; `async_sync` follows the subentries."""
        self._hass = hass
        self._entry = entry
        self._data = data
        self.by_subentry: dict[str, TrackedEntity] = {}

    @property
    def stream_keys(self) -> set[str]:
        """The streams tracked entities drive (their sensors are their own)."""
        return {tracked.stream_key for tracked in self.by_subentry.values()}

    async def async_sync(self) -> None:
        """Start new subentries, restart changed ones, end and drop removed ones."""
        wanted = {
            subentry_id: subentry
            for subentry_id, subentry in self._entry.subentries.items()
            if subentry.subentry_type == SUBENTRY_TYPE
        }
        for subentry_id in list(self.by_subentry):
            tracked = self.by_subentry[subentry_id]
            subentry = wanted.get(subentry_id)
            if subentry is not None and TrackedConfig.from_data(subentry.data) == (
                tracked.config
            ):
                continue
            tracked.async_stop()
            del self.by_subentry[subentry_id]
            if subentry is None:
                ir.async_delete_issue(self._hass, DOMAIN, issue_id_for(subentry_id))
                await tracked.async_end()
        # State names ("Open" for a door) come from the entity components' translations.
        domains = {
            split_entity_id(subentry.data[CONF_ENTITY_ID])[0]
            for subentry in wanted.values()
        }
        await async_get_translations(
            self._hass, self._hass.config.language, "entity_component", domains
        )
        for subentry_id, subentry in wanted.items():
            if subentry_id not in self.by_subentry:
                tracked = TrackedEntity(self._hass, self._entry, self._data, subentry)
                self.by_subentry[subentry_id] = tracked
                tracked.async_start()

    @callback
    def async_stop(self) -> None:
        """Stop following every entity (on unload; the activities stay)."""
        for tracked in self.by_subentry.values():
            tracked.async_stop()

    @callback
    def async_follow_presses(self) -> Callable[[], None]:
        """Run tracked timers' buttons when they are pressed."""

        @callback
        def pressed(action: str) -> None:
            for tracked in self.by_subentry.values():
                self._entry.async_create_task(self._hass, tracked.async_pressed(action))

        return async_dispatcher_connect(
            self._hass, signal_pressed(self._entry.entry_id), pressed
        )

    @callback
    def async_follow_registry(self) -> Callable[[], None]:
        """Follow a renamed entity; a deleted one raises a repair issue."""

        @callback
        def changed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
            change = event.data
            if change["action"] == "remove":
                for tracked in self.for_entity(change["entity_id"]):
                    ir.async_create_issue(
                        self._hass,
                        DOMAIN,
                        issue_id_for(tracked.subentry_id),
                        is_fixable=True,
                        severity=ir.IssueSeverity.WARNING,
                        translation_key=MISSING_ISSUE,
                        translation_placeholders={
                            "entity_id": change["entity_id"],
                            "title": tracked.title,
                        },
                        data={
                            "entry_id": self._entry.entry_id,
                            "subentry_id": tracked.subentry_id,
                        },
                    )
            elif change["action"] == "update" and "old_entity_id" in change:
                for tracked in self.for_entity(change["old_entity_id"]):
                    subentry = self._entry.subentries[tracked.subentry_id]
                    self._hass.config_entries.async_update_subentry(
                        self._entry,
                        subentry,
                        data={**subentry.data, CONF_ENTITY_ID: change["entity_id"]},
                    )

        return self._hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, changed)

    def for_entity(self, entity_id: str) -> list[TrackedEntity]:
        """The tracked entities that follow `entity_id`."""
        return [t for t in self.by_subentry.values() if t.config.entity_id == entity_id]


def issue_id_for(subentry_id: str) -> str:
    """The repair issue raised when a tracked entity's entity is deleted."""
    return f"{MISSING_ISSUE}_{subentry_id}"
