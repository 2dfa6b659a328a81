"""Names shared by several modules of the ActivitySmith integration."""

from typing import Final

DOMAIN: Final = "activitysmith"
# Keep in step with manifest.json (a test checks it); sent in the User-Agent header.
VERSION: Final = "0.1.0"
