"""What a loaded ActivitySmith config entry carries at runtime, and how its client is made."""

from __future__ import annotations

from dataclasses import dataclass, field
import hashlib

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .client import ActivitySmithClient, RequestBudget
from .const import DOMAIN, VERSION
from .metrics.manager import TrackedMetrics
from .publisher import StreamPublisher
from .recipients import Delivery
from .store import ActivityTracker
from .tracked.manager import TrackedEntities
from .webhook import ButtonPresses

type ActivitySmithConfigEntry = ConfigEntry[ActivitySmithData]

USER_AGENT = f"HomeAssistant/{HA_VERSION} activitysmith-home-assistant/{VERSION}"


@dataclass(frozen=True, slots=True)
class ActivitySmithData:
    """Runtime data of one loaded config entry, built in one step at set-up."""

    # Which key the client was built with (a hash): a new key means a reload.
    key_id: str
    client: ActivitySmithClient
    activities: ActivityTracker
    buttons: ButtonPresses
    publisher: StreamPublisher
    tracked: TrackedEntities
    metrics: TrackedMetrics
    # Per stream key: the recipients a running stream started with (fixed till it ends).
    recipient_runs: dict[str, Delivery] = field(default_factory=dict)


def key_hash(api_key: str) -> str:
    """Identify a key by a hash of it, so the key itself is never an id."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


def create_client(hass: HomeAssistant, api_key: str) -> ActivitySmithClient:
    """Build a client on Home Assistant's shared aiohttp session.

    Every client of one key spends the same request budget, because the limit is the
    account's: it survives reloads and reauth, and counts the config flow's key checks.
    """
    budgets: dict[str, RequestBudget] = hass.data.setdefault(f"{DOMAIN}_budgets", {})
    budget = budgets.setdefault(key_hash(api_key), RequestBudget())
    return ActivitySmithClient(
        async_get_clientsession(hass), api_key, user_agent=USER_AGENT, budget=budget
    )
