"""The home_assistant button of a tracked entity's Live Activity.

The user's own button, else for a tracked timer: Pause while it runs, Resume while it
is paused (the timer type takes one button, so Cancel does not fit beside them). A
press of a timer's button names its command in its action id.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import State

from .config import TrackedConfig

# A tracked timer's button per state: its title, and the timer action it runs.
TIMER_BUTTONS: Final = {"active": ("Pause", "pause"), "paused": ("Resume", "start")}


def timer_action_id(command: str, subentry_id: str) -> str:
    """The action id of a tracked timer's button (letters, digits and -, <= 64)."""
    return f"timer-{command}-{subentry_id.lower()}"


def button_for(
    config: TrackedConfig, state: State | None, subentry_id: str
) -> dict[str, str] | None:
    """The activity's home_assistant button, if it has one."""
    if config.button is not None:
        title, action = config.button
    elif (
        config.type == "timer"
        and state is not None
        and state.domain == "timer"
        and state.state in TIMER_BUTTONS
    ):
        title, command = TIMER_BUTTONS[state.state]
        action = timer_action_id(command, subentry_id)
    else:
        return None
    return {"title": title, "type": "home_assistant", "action": action}


def timer_command_of(action: str, subentry_id: str) -> str | None:
    """The timer action one of a tracked timer's buttons runs, if it is one."""
    return next(
        (
            command
            for command in ("pause", "start")
            if action == timer_action_id(command, subentry_id)
        ),
        None,
    )
