"""What goes wrong with recipients, told to the user: repairs and translated errors.

- A "No recipients found" answer (or a 403, a channel outside the key's scope) to a
  send with recipients raises a repair per channel, naming the channel and the
  recipients it belongs to; a later send that reaches the channel clears it. A 403
  is also a translated error naming the channels.
- A recipient whose person entity was deleted has a repair (presence cannot be told;
  the recipient is left out when presence is home or away).
- A removed recipient is taken out of the tracked entities that chose it. One whose
  every recipient was removed keeps its choice, sends nothing, and has a repair:
  confirm it to send to every device of the key, or pick recipients again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from .client import (
    ActivitySmithError,
    ActivitySmithForbiddenError,
    ActivitySmithNoRecipientsError,
    JsonObject,
)
from .const import DOMAIN
from .failures import call_api, translated
from .recipients import ATTR_PRESENCE, ATTR_RECIPIENTS, Delivery, recipients_of
from .tracked.config import tracked_subentries

NO_DEVICE_ISSUE: Final = "recipient_no_device"
FORBIDDEN_ISSUE: Final = "recipient_forbidden"
PERSON_ISSUE: Final = "recipient_person_missing"
REMOVED_ISSUE: Final = "tracked_recipients_removed"


def _channel_issue_id(kind: str, entry_id: str, slug: str) -> str:
    return f"{kind}_{entry_id}_{slug}"


def failed(
    hass: HomeAssistant, entry: ConfigEntry[Any], delivery: Delivery, err: Exception
) -> HomeAssistantError | None:
    """Raise the repairs a failed send to `delivery` calls for.

    Return the translated error naming the channels for a 403 (None: the usual one).
    """
    if isinstance(err, ActivitySmithNoRecipientsError):
        slugs = [s for s in err.channels if s in delivery.channels] or delivery.channels
        _channel_issues(hass, entry, delivery, slugs, NO_DEVICE_ISSUE)
        return None
    if not isinstance(err, ActivitySmithForbiddenError):
        return None
    _channel_issues(hass, entry, delivery, delivery.channels, FORBIDDEN_ISSUE)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="forbidden_channels",
        translation_placeholders={
            "channels": ", ".join(delivery.channels),
            "recipients": ", ".join(delivery.names),
        },
    )


def _channel_issues(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    delivery: Delivery,
    slugs: Iterable[str],
    kind: str,
) -> None:
    """One repair per channel, naming it and the recipients it belongs to."""
    for slug in slugs:
        ir.async_create_issue(
            hass,
            DOMAIN,
            _channel_issue_id(kind, entry.entry_id, slug),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=kind,
            translation_placeholders={
                "channel": slug,
                "recipient": ", ".join(delivery.holders(slug)),
            },
        )


def reached(hass: HomeAssistant, entry: ConfigEntry[Any], delivery: Delivery) -> None:
    """A send to `delivery` worked: its channels' repairs no longer apply."""
    for slug in delivery.channels:
        for kind in (NO_DEVICE_ISSUE, FORBIDDEN_ISSUE):
            ir.async_delete_issue(
                hass, DOMAIN, _channel_issue_id(kind, entry.entry_id, slug)
            )


def translated_for(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    delivery: Delivery | None,
    err: ActivitySmithError,
) -> HomeAssistantError:
    """The error an action raises for a failed send (repairs raised as needed)."""
    if delivery is not None and (named := failed(hass, entry, delivery, err)):
        return named
    return translated(err)


async def call_api_for(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    delivery: Delivery | None,
    request: Awaitable[JsonObject],
) -> JsonObject:
    """`call_api`, plus the recipients' repairs (raised or cleared) and the 403 error."""
    try:
        answer = await call_api(hass, entry, request)
    except HomeAssistantError as err:
        cause = err.__cause__
        if (
            delivery is not None
            and isinstance(cause, ActivitySmithError)
            and (named := failed(hass, entry, delivery, cause)) is not None
        ):
            raise named from cause
        raise
    if delivery is not None:
        reached(hass, entry, delivery)
    return answer


@callback
def check_people(
    hass: HomeAssistant, entry: ConfigEntry[Any], removed: str | None = None
) -> None:
    """Raise or withdraw the repair of each recipient whose person entity is gone.

    `removed` was just deleted from the registry (its state may linger a moment).
    """
    registry = er.async_get(hass)
    for recipient in recipients_of(entry).values():
        issue_id = f"{PERSON_ISSUE}_{recipient.subentry_id}"
        person = recipient.person
        if person is None or (
            person != removed
            and (registry.async_get(person) or hass.states.get(person))
        ):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=PERSON_ISSUE,
            translation_placeholders={"recipient": recipient.name, "person": person},
            data={"entry_id": entry.entry_id, "subentry_id": recipient.subentry_id},
        )
    _drop_orphans(hass, entry, PERSON_ISSUE)


@callback
def prune_removed(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Take removed recipients out of the tracked entities that chose them.

    A tracked entity left with none keeps its choice (it sends nothing) and gets a
    repair; one whose recipients are all there again loses it.
    """
    known = recipients_of(entry)
    for subentry_id, subentry in tracked_subentries(entry).items():
        chosen = list(subentry.data.get(ATTR_RECIPIENTS) or ())
        kept = [rid for rid in chosen if rid in known]
        issue_id = f"{REMOVED_ISSUE}_{subentry_id}"
        if chosen and not kept:
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id,
                is_fixable=True,
                severity=ir.IssueSeverity.WARNING,
                translation_key=REMOVED_ISSUE,
                translation_placeholders={"title": subentry.title},
                data={"entry_id": entry.entry_id, "subentry_id": subentry_id},
            )
            continue
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        if kept != chosen:
            hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, ATTR_RECIPIENTS: kept}
            )
    _drop_orphans(hass, entry, REMOVED_ISSUE)


def _drop_orphans(hass: HomeAssistant, entry: ConfigEntry[Any], kind: str) -> None:
    """Withdraw the entry's `kind` repairs whose subentry was removed."""
    registry = ir.async_get(hass)
    for (domain, issue_id), issue in list(registry.issues.items()):
        data = issue.data or {}
        if (
            domain == DOMAIN
            and issue_id.startswith(f"{kind}_")
            and data.get("entry_id") == entry.entry_id
            and data.get("subentry_id") not in entry.subentries
        ):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


class SendToEveryoneFlow(ConfirmRepairFlow):
    """Confirm that a tracked entity whose recipients are gone sends to everyone."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        """Remember which tracked entity the issue is about."""
        super().__init__()
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Drop its recipients and presence once the user confirms (if still gone)."""
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(self._entry_id)
            subentry = entry.subentries.get(self._subentry_id) if entry else None
            if entry is not None and subentry is not None:
                chosen = subentry.data.get(ATTR_RECIPIENTS) or ()
                if not set(chosen) & recipients_of(entry).keys():
                    data = {
                        key: value
                        for key, value in subentry.data.items()
                        if key not in (ATTR_RECIPIENTS, ATTR_PRESENCE)
                    }
                    self.hass.config_entries.async_update_subentry(
                        entry, subentry, data=data
                    )
        return await super().async_step_confirm(user_input)


def follow_people(hass: HomeAssistant, entry: ConfigEntry[Any]) -> Callable[[], None]:
    """Check the recipients' people whenever a person entity is removed or renamed."""

    @callback
    def changed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        change = event.data
        if change["entity_id"].startswith("person."):
            removed = change["entity_id"] if change["action"] == "remove" else None
            check_people(hass, entry, removed)

    return hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, changed)
