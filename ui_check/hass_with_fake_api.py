"""Run Home Assistant with the integration talking to a fake ActivitySmith API.

    python ui_check/hass_with_fake_api.py API_URL [hass arguments...]

for example `... http://127.0.0.1:40123/api --config /tmp/cfg`. Run it with the Python of
the Home Assistant environment (.venv-develop). It imports the integration's HTTP client
from the config directory's custom_components, points the client's base-URL constant at
API_URL, then hands over to Home Assistant's own `main` (what the `hass` command runs).

This is the only way the UI check redirects the integration: no setting a user can change
sends the API key anywhere but ActivitySmith.
"""

from __future__ import annotations

import importlib
import os
import sys

# Where the client keeps its base URL, as "module.CONSTANT" (the first that imports wins).
BASE_URL_CONSTANTS = ("custom_components.activitysmith.client.transport.API_BASE_URL",)


def point_client_at(api_url: str) -> str:
    """Set the first importable base-URL constant to `api_url`; return its path."""
    for dotted in BASE_URL_CONSTANTS:
        module_name, constant = dotted.rsplit(".", 1)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if not module_name.startswith(str(err.name)):
                raise  # the module exists but one of its imports is missing
            continue
        if not hasattr(module, constant):
            raise SystemExit(
                f"{module_name} has no {constant}: update BASE_URL_CONSTANTS"
            )
        setattr(module, constant, api_url)
        return dotted
    raise SystemExit(f"none of {BASE_URL_CONSTANTS} exists: update BASE_URL_CONSTANTS")


def main() -> int:
    """Patch the client, then run Home Assistant with the remaining arguments."""
    api_url, hass_args = sys.argv[1], sys.argv[2:]
    config_dir = hass_args[hass_args.index("--config") + 1]
    # What `hass --config` does later, so custom_components imports from there now.
    sys.path.insert(0, os.path.abspath(config_dir))
    print(f"hass_with_fake_api: {point_client_at(api_url)} = {api_url}", flush=True)

    from homeassistant.__main__ import main as hass_main  # noqa: PLC0415

    sys.argv = ["hass", *hass_args]
    return hass_main()


if __name__ == "__main__":
    sys.exit(main())
