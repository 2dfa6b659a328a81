"""The README's sentences about URLs say what the validators accept, no more, no less."""

from __future__ import annotations

from pathlib import Path
import re

import pytest
import voluptuous as vol

from custom_components.activitysmith.schemas import SEND_PUSH_NOTIFICATION
from custom_components.activitysmith.validators import HTTPS_URL, OPEN_URL, image_url

README = (Path(__file__).parent.parent / "README.md").read_text()
SCHEMES = ["http", "https", "shortcuts", "ftp", "tel", "mailto", "file", "myapp"]


def accepted(validate: object) -> set[str]:
    """The schemes of SCHEMES whose URL (with a host) `validate` lets through."""
    schemes = set()
    for scheme in SCHEMES:
        try:
            validate(f"{scheme}://run-shortcut/x?name=y")  # type: ignore[operator]
        except vol.Invalid:
            continue
        schemes.add(scheme)
    return schemes


def named_in(sentence: str) -> set[str]:
    """The schemes a README sentence names (`https://`...)."""
    return set(re.findall(r"`([a-z]+)://", sentence))


@pytest.mark.parametrize(
    ("pattern", "validate"),
    [
        (r"`open_url` takes (.*?);", OPEN_URL),
        (r"webhooks take (`[^)]*)\)", HTTPS_URL),
        (r"`media` \((.*?)\)", HTTPS_URL),
        (r"`icon` \((an `https://` image.*?)\)", image_url),
    ],
)
def test_each_url_sentence_names_the_schemes_the_code_accepts(
    pattern: str, validate: object
) -> None:
    """Readers rely on these: a dashboard's http:// link works, ftp:// does not."""
    match = re.search(pattern, README, re.DOTALL)
    assert match, pattern
    assert named_in(match.group(1)) == accepted(validate)


def test_a_url_without_a_host_is_refused_as_the_readme_says() -> None:
    """ "with a host": shortcuts:run-shortcut is not enough."""
    assert "URL with a host" in README
    for url in ("shortcuts:run-shortcut?name=x", "https:///path", "http://"):
        with pytest.raises(vol.Invalid):
            OPEN_URL(url)


def test_a_push_link_opens_any_app_as_the_readme_says() -> None:
    """ "any app's link": every scheme, with or without a host, on tap and on buttons."""
    match = re.search(r"`redirection` \((.*?)\)", README, re.DOTALL)
    assert match
    assert "any app's link" in match.group(1)
    assert "2048 characters" in match.group(1)
    for link in [f"{scheme}://x/y" for scheme in SCHEMES] + ["spotify:track:123"]:
        button = {"title": "B", "type": "open_url", "url": link}
        data = {"title": "T", "redirection": link, "actions": [button]}
        assert SEND_PUSH_NOTIFICATION(data)["redirection"] == link
