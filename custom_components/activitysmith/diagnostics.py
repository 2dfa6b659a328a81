"""Diagnostics for bug reports: what the entry knows and did, with the key redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .models import ActivitySmithConfigEntry
from .webhook import CONF_SECRET, CONF_WEBHOOK_ID

# The unique id is a hash of the key: harmless, but nothing a report needs either.
# The webhook id and the buttons' secret are what keeps button presses genuine.
TO_REDACT = {CONF_API_KEY, "unique_id", CONF_WEBHOOK_ID, CONF_SECRET}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ActivitySmithConfigEntry
) -> dict[str, Any]:
    """The entry, its activities, streams and tracked entities, the budget, errors."""
    client = entry.runtime_data.client
    activities = entry.runtime_data.activities
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "activities": activities.as_dict(),
        "budget": client.budget.as_dict(),
        "queued_stream_requests": client.streams.pending,
        "last_error_per_endpoint": client.last_errors,
        "buttons": entry.runtime_data.buttons.as_dict(),
        "slots": entry.runtime_data.publisher.ledger.as_dict(),
        "tracked_entities": {
            subentry_id: {
                **tracked.as_dict(),
                "last_send": record.as_stored()
                if (record := activities.streams.get(tracked.stream_key))
                else None,
            }
            for subentry_id, tracked in entry.runtime_data.tracked.by_subentry.items()
        },
        "metrics": entry.runtime_data.metrics.as_dict(),
    }
