"""Recipients: who in the household gets what, by ActivitySmith channel and presence.

A `recipient` subentry names a person of the household: one or more ActivitySmith
channel slugs that reach their phones, and optionally a `person` entity. Whatever sends
(an action, a tracked entity, a recipient's notify entity) and was given recipients
asks `resolve` which channels to send to: the union of the chosen recipients' slugs
(each once) after the presence filter. When the filter leaves nobody, nothing may be
sent at all: an empty or missing target would reach every device of the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import enum
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import STATE_HOME, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN

SUBENTRY_TYPE: Final = "recipient"
CONF_NAME: Final = "name"
CONF_CHANNELS: Final = "channels"
CONF_PERSON: Final = "person"
ATTR_RECIPIENTS: Final = "recipients"
ATTR_PRESENCE: Final = "presence"
RECIPIENT_MODEL: Final = "Recipient"


class Presence(enum.StrEnum):
    """Which of the chosen recipients get it, by where their person is."""

    ANYONE = "anyone"
    HOME = "home"
    AWAY = "away"


PRESENCE_NAMES: Final = tuple(presence.value for presence in Presence)


class Nobody(enum.StrEnum):
    """Why nothing was sent although recipients were asked for."""

    HOME = "nobody_home"
    AWAY = "nobody_away"
    REMOVED = "recipients_removed"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient subentry's data, typed."""

    subentry_id: str
    name: str
    channels: tuple[str, ...]
    person: str | None

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> Recipient:
        """Read a subentry written by the recipient flow."""
        data = subentry.data
        return cls(
            subentry_id=subentry.subentry_id,
            name=str(data.get(CONF_NAME) or subentry.title),
            channels=tuple(dict.fromkeys(data.get(CONF_CHANNELS, ()))),
            person=data.get(CONF_PERSON) or None,
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a send with recipients goes: channels, or nobody and why."""

    channels: tuple[str, ...]
    recipients: tuple[Recipient, ...]
    nobody: Nobody | None = None

    @property
    def sent(self) -> bool:
        """Whether there is anyone to send to (never an empty target)."""
        return bool(self.channels)

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the recipients it goes to."""
        return tuple(recipient.name for recipient in self.recipients)

    def holders(self, slug: str) -> tuple[str, ...]:
        """The names of the recipients reached through channel `slug`."""
        return tuple(r.name for r in self.recipients if slug in r.channels)

    def not_sent(self) -> dict[str, Any]:
        """An action's answer when nobody was left: nothing sent, and why."""
        return {"sent": False, "reason": str(self.nobody)}


def recipient_subentries(entry: ConfigEntry[Any]) -> dict[str, ConfigSubentry]:
    """The entry's recipient subentries, by subentry id."""
    return {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_TYPE
    }


def recipients_of(entry: ConfigEntry[Any]) -> dict[str, Recipient]:
    """The entry's recipients, by subentry id."""
    return {
        subentry_id: Recipient.from_subentry(subentry)
        for subentry_id, subentry in recipient_subentries(entry).items()
    }


def is_home(hass: HomeAssistant, recipient: Recipient) -> bool | None:
    """Where the recipient's person is: home, away, or None when it is not known.

    A person in another zone is away; a person entity that is unknown, unavailable
    or deleted is neither.
    """
    state = hass.states.get(recipient.person) if recipient.person else None
    if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    return state.state == STATE_HOME


def _passes(hass: HomeAssistant, recipient: Recipient, presence: Presence) -> bool:
    """Whether presence lets the recipient through; one without a person always is."""
    if presence is Presence.ANYONE or recipient.person is None:
        return True
    return is_home(hass, recipient) is (presence is Presence.HOME)


def resolve(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    recipient_ids: Iterable[str],
    presence: Presence | str = Presence.ANYONE,
    *,
    strict: bool = True,
) -> Delivery:
    """The channels to send to for `recipient_ids` (subentry ids) and `presence`.

    An unknown id is a translated validation error when `strict` (an action's input);
    otherwise (the stored choice of a tracked entity) it is skipped, and nobody is
    left if no chosen recipient exists any more. The caller must send nothing when
    the answer is not `sent`.
    """
    known = recipients_of(entry)
    chosen: list[Recipient] = []
    for recipient_id in dict.fromkeys(recipient_ids):
        if (recipient := known.get(recipient_id)) is not None:
            chosen.append(recipient)
        elif strict:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_recipient",
                translation_placeholders={"recipient": recipient_id},
            )
    if not chosen:
        return Delivery((), (), Nobody.REMOVED)
    presence = Presence(presence)
    reached = tuple(r for r in chosen if _passes(hass, r, presence))
    channels = tuple(dict.fromkeys(slug for r in reached for slug in r.channels))
    if not channels:
        nobody = Nobody.AWAY if presence is Presence.AWAY else Nobody.HOME
        return Delivery((), (), nobody)
    return Delivery(channels, reached)


def recipient_ids_of(
    hass: HomeAssistant, entry: ConfigEntry[Any], values: Iterable[str]
) -> list[str]:
    """Subentry ids for what an action names: a recipient's device, id or name.

    Anything else is kept as given, for `resolve` to report as unknown.
    """
    known = recipients_of(entry)
    by_name = {recipient.name.casefold(): rid for rid, recipient in known.items()}
    devices = dr.async_get(hass)
    ids: list[str] = []
    for value in values:
        device = devices.async_get(value)
        by_device = next(
            (
                identifier
                for domain, identifier in (device.identifiers if device else ())
                if domain == DOMAIN and identifier in known
            ),
            None,
        )
        ids.append(by_device or by_name.get(value.casefold()) or value)
    return ids


def asked(data: Mapping[str, Any]) -> bool:
    """Whether action data asks for recipients.

    Presence alone, and recipients beside channels, are translated errors.
    """
    if ATTR_PRESENCE in data and not data.get(ATTR_RECIPIENTS):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="presence_without_recipients"
        )
    if data.get(ATTR_RECIPIENTS) and CONF_CHANNELS in data:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="channels_with_recipients"
        )
    return bool(data.get(ATTR_RECIPIENTS))


def delivery_for(
    hass: HomeAssistant, entry: ConfigEntry[Any], data: Mapping[str, Any]
) -> tuple[dict[str, Any], Delivery | None]:
    """An action's data with the recipients' channels, and where it goes.

    Without recipients the data is returned as it is and the delivery is None.
    """
    if not asked(data):
        return dict(data), None
    ids = recipient_ids_of(hass, entry, data[ATTR_RECIPIENTS])
    delivery = resolve(hass, entry, ids, data.get(ATTR_PRESENCE, Presence.ANYONE))
    request = {
        key: value
        for key, value in data.items()
        if key not in (ATTR_RECIPIENTS, ATTR_PRESENCE)
    }
    if delivery.sent:
        request[CONF_CHANNELS] = list(delivery.channels)
    return request, delivery
