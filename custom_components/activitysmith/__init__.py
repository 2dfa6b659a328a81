"""The ActivitySmith integration: iPhone Live Activities, pushes, badge and widgets.

Set-up and unload of a config entry; the actions are registered once in `async_setup`.
"""

from __future__ import annotations

from functools import partial
import logging

from homeassistant.const import CONF_API_KEY, EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .client import (
    ActivitySmithAuthError,
    ActivitySmithBudgetExhaustedError,
    ActivitySmithError,
)
from .const import DOMAIN
from .failures import act_on_failure, clear_billing_issue, clear_limit_issue
from .metrics.ledger import MetricLedger, async_remove_ledger
from .metrics.manager import TrackedMetrics
from .models import (
    ActivitySmithConfigEntry,
    ActivitySmithData,
    create_client,
    key_hash,
)
from .publisher import StreamPublisher
from .recipient_issues import check_people, follow_people, prune_removed
from .records import STATUS_ACTIVE, STATUS_PAUSED
from .services import async_setup_services
from .slot_owner import EntrySlots
from .slots import async_ledger_for, reconcile
from .store import async_remove_tracker, async_tracker_for
from .tracked.config import signal_subentries, stream_key_for, tracked_subentries
from .tracked.manager import TrackedEntities
from .webhook import CONF_WEBHOOK_ID, ButtonPresses, delete_cloudhook, new_credentials

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: list[Platform] = [
    Platform.EVENT,
    Platform.NOTIFY,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions once, whatever the number of entries."""
    async_setup_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry
) -> bool:
    """Check the key, then make the entry's client available to actions and entities."""
    client = create_client(hass, entry.data[CONF_API_KEY])
    try:
        await client.check_api_key()
    except ActivitySmithBudgetExhaustedError:
        # The account's budget says wait (a reload right after a 429): the key worked
        # before, and a rejection later starts reauth all the same.
        _LOGGER.debug("Key check skipped: the request budget says wait")
    except ActivitySmithAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ActivitySmithError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="cannot_connect"
        ) from err
    if CONF_WEBHOOK_ID not in entry.data:  # entries made before buttons existed
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, **new_credentials()}
        )
    activities = await async_tracker_for(hass, entry.entry_id)
    ledger = await async_ledger_for(hass, key_hash(entry.data[CONF_API_KEY]))
    buttons = ButtonPresses(hass, entry)
    publisher = StreamPublisher(
        hass,
        client,
        activities,
        buttons,
        ledger,
        entry.entry_id,
        on_failure=partial(act_on_failure, hass, entry),
        on_started=partial(clear_limit_issue, hass, entry),
        on_answered=partial(clear_billing_issue, hass, entry),
    )
    tracked = TrackedEntities(hass, entry, publisher, activities)
    sent_values = MetricLedger(hass, entry.entry_id)  # the widget metrics' and badge's
    await sent_values.async_load()
    metrics = TrackedMetrics(hass, entry, client, sent_values)
    entry.runtime_data = ActivitySmithData(
        key_id=key_hash(entry.data[CONF_API_KEY]),
        client=client,
        activities=activities,
        buttons=buttons,
        publisher=publisher,
        tracked=tracked,
        metrics=metrics,
    )
    buttons.async_register()
    entry.async_on_unload(buttons.async_unregister)

    async def send_waiting_ends(event: Event) -> None:
        """Home Assistant does not unload entries when it stops: close the client."""
        await _async_close(entry.runtime_data)

    # Not `async_listen_once`: its remover, called at an unload after the stop event
    # already fired, would log an error.
    entry.async_on_unload(
        hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, send_waiting_ends)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    reconcile(ledger, entry.entry_id, activities)
    ledger.attach(entry.entry_id, EntrySlots(hass, client, activities, publisher))
    prune_removed(hass, entry)
    await tracked.async_sync()
    await metrics.async_sync()
    # Subentries added, changed or removed: followed in place, never by a reload
    # (which would drop queued changes). A new key (reauth, reconfigure) reloads.
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    entry.async_on_unload(tracked.async_follow_registry())
    entry.async_on_unload(tracked.async_follow_presses())
    entry.async_on_unload(follow_people(hass, entry))
    entry.async_on_unload(async_at_started(hass, partial(check_people, entry=entry)))
    entry.async_on_unload(metrics.async_follow_registry())
    return True


async def _async_entry_updated(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry
) -> None:
    data = entry.runtime_data
    if key_hash(entry.data[CONF_API_KEY]) != data.key_id:
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    data.buttons.async_register()  # a rotated webhook id
    prune_removed(hass, entry)  # a removed recipient: out of the tracked entities
    check_people(hass, entry)
    await data.tracked.async_sync()
    await data.metrics.async_sync()
    async_dispatcher_send(hass, signal_subentries(entry.entry_id))


async def async_unload_entry(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry
) -> bool:
    """Unload the entry's platforms, saving what it knows about its activities."""
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await _async_close(entry.runtime_data)
    return unloaded


async def _async_close(data: ActivitySmithData) -> None:
    """Send (or log as dropped) what waits, record it and save.

    Safe to call twice (Home Assistant's stop, then an unload).
    """
    data.tracked.async_stop()
    await data.metrics.async_stop()
    await data.client.async_close()
    data.publisher.ledger.detach(data.publisher.entry_id)
    await data.activities.async_flush()


async def async_remove_entry(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry
) -> None:
    """End the entry's streams, delete the cloudhook, forget the store and its slots.

    Every stream it runs ends (tracked or an automation's), so no Live Activity is
    left on the phone holding a slot that nothing here can end any more.
    """
    if CONF_WEBHOOK_ID in entry.data:
        await delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    activities = await async_tracker_for(hass, entry.entry_id)
    keys = {stream_key_for(subentry_id) for subentry_id in tracked_subentries(entry)}
    keys |= {
        key
        for key, record in activities.streams.items()
        if record.status in (STATUS_ACTIVE, STATUS_PAUSED)
    }
    if keys:
        client = create_client(hass, entry.data[CONF_API_KEY])
        for key in sorted(keys):
            try:
                await client.end_stream(key)
            except ActivitySmithError as err:
                _LOGGER.debug("Could not end stream %s: %s", key, err)
        await client.async_close()
    ledger = await async_ledger_for(hass, key_hash(entry.data[CONF_API_KEY]))
    ledger.forget_entry(entry.entry_id)
    await async_remove_tracker(hass, entry.entry_id)
    await async_remove_ledger(hass, entry.entry_id)
