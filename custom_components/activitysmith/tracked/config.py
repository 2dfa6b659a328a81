"""A tracked entity's configuration, and the values its templates see.

The data of a `tracked_entity` subentry (written by `flow`, read by `entity`),
the stream it drives, the signals its entities listen to, and the variables every
template of a tracked entity can use besides `states()` and co.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, KeysView, Mapping
from dataclasses import dataclass
import enum
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_translate_state
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from ..const import ATTR_AUTO_DISMISS_MINUTES, ATTR_PRIORITY, DOMAIN, Priority
from .conditions import RunConfig

SUBENTRY_TYPE: Final = "tracked_entity"
CONF_ENTITY_ID: Final = "entity_id"
CONF_TYPE: Final = "type"
CONF_FIELDS: Final = "fields"
CONF_SHOW_STATES: Final = "show_states"
CONF_END_STATES: Final = "end_states"
CONF_SHOW_TEMPLATE: Final = "show_template"
CONF_CHANNELS: Final = "channels"
CONF_BUTTON_TITLE: Final = "button_title"
CONF_BUTTON_ACTION: Final = "button_action"
CONF_ENABLED: Final = "enabled"
CONF_MIN_INTERVAL: Final = "min_interval"
CONF_PRIORITY: Final = ATTR_PRIORITY


def tracked_subentries(entry: ConfigEntry[Any]) -> dict[str, ConfigSubentry]:
    """The entry's tracked-entity subentries, by subentry id."""
    return {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_TYPE
    }


def stream_key_for(subentry_id: str) -> str:
    """The stream a tracked entity drives (subentry ids are letters and digits)."""
    return f"ha-{subentry_id.lower()}"


# The streams of tracked entities: "ha-" and a subentry id (a ULID, lowercased).
TRACKED_STREAM_KEY: Final = re.compile(r"ha-[0-9a-z]{26}")


def is_tracked_stream(stream_key: str) -> bool:
    """Whether a stream belongs to a tracked entity (existing or removed)."""
    return TRACKED_STREAM_KEY.fullmatch(stream_key) is not None


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
    # A home_assistant button: its title and action id (both, or neither).
    button: tuple[str, str] | None = None
    # The least seconds between two updates; None: the client's default.
    min_interval: float | None = None
    # Which activity keeps a slot on the phone when there are too many (slots.py).
    priority: Priority = Priority.NORMAL
    # A run condition (thresholds held for a time, or a changing value) instead of
    # the states above; None: shown by its states (conditions.py).
    run: RunConfig | None = None

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
            button=(
                (data[CONF_BUTTON_TITLE], data[CONF_BUTTON_ACTION])
                if data.get(CONF_BUTTON_TITLE) and data.get(CONF_BUTTON_ACTION)
                else None
            ),
            min_interval=(
                float(data[CONF_MIN_INTERVAL])
                if data.get(CONF_MIN_INTERVAL) is not None
                else None
            ),
            priority=_priority(data.get(CONF_PRIORITY)),
            run=RunConfig.from_data(data),
        )


def _priority(value: object) -> Priority:
    """A stored priority; normal for a missing or unknown one (a newer version's)."""
    try:
        return Priority.parse(str(value))
    except ValueError:
        return Priority.NORMAL


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


class LiveVariables(Mapping[str, Any]):
    """`variables_for` the entity as it is at each render (for template tracking).

    Home Assistant's template tracker renders with the variables it was given; these
    are read anew whenever it renders, so its results follow the tracked entity.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entity_id: str,
        *,
        extra: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """Follow `entity_id`; `extra` gives more variables (a run's) at each read."""
        self._hass = hass
        self._entity_id = entity_id
        self._extra = extra

    def _now(self) -> dict[str, Any]:
        state = self._hass.states.get(self._entity_id) or State(
            self._entity_id, STATE_UNKNOWN
        )
        found = variables_for(self._hass, state)
        return found if self._extra is None else found | dict(self._extra())

    def __getitem__(self, name: str) -> Any:
        """One variable, as it is now."""
        return self._now()[name]

    def __iter__(self) -> Iterator[str]:
        """The variables' names."""
        return iter(self._now())

    def __len__(self) -> int:
        """How many variables there are."""
        return len(self._now())

    def keys(self) -> KeysView[str]:
        """The variables' names (one read of the entity for a whole render)."""
        return self._now().keys()


def translated_state(hass: HomeAssistant, state: State) -> str:
    """The state as the UI names it ("Open" for a door, "Main wash" for an enum).

    What the frontend shows: the entity's own translation (its platform and
    translation key), else its domain's for its device class; Home Assistant loads
    both when it sets up the integrations the entity belongs to.
    """
    entry = er.async_get(hass).async_get(state.entity_id)
    return async_translate_state(
        hass,
        state.state,
        state.domain,
        entry.platform if entry else None,
        entry.translation_key if entry else None,
        state.attributes.get("device_class"),
    )


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
