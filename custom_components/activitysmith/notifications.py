"""Push notifications, the app-icon badge and widget metrics."""

from __future__ import annotations

from typing import Any, Final

SERVICES: Final[tuple[Any, ...]] = ()
