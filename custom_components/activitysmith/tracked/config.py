"""A tracked entity's configuration, and the values its templates see.

The data of a `tracked_entity` subentry (written by `flow`, read by `entity`),
the stream it drives, the signals its entities listen to, and the variables every
template of a tracked entity can use besides `states()` and co.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import enum
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.translation import async_get_cached_translations
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from ..const import ATTR_AUTO_DISMISS_MINUTES, DOMAIN

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
