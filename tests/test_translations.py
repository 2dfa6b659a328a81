"""Every translation string renders in Home Assistant's frontend, with the placeholders
the code gives it, and every other language has what en.json has.

The frontend formats translations with intl-messageformat (ICU MessageFormat), where a
brace opens a placeholder, an apostrophe can quote and `<b>` is a tag: text that reads
fine in JSON can show "Translation error" in the UI. The strings go through the real
library in Node (tests/icu_format.mjs, pinned in package.json; `npm ci` runs when
node_modules is missing or stale). See translation_support.py for how the placeholders
each string gets are read from the integration's source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.activitysmith.const import DOMAIN

from .translation_support import (
    Offers,
    StringPath,
    completeness_problems,
    flatten,
    formatting_problems,
    node_and_packages,
    run_formatter,
    sample,
    scan_placeholders,
    translation_keys,
)

INTEGRATION = Path(__file__).parent.parent / "custom_components" / DOMAIN
TRANSLATIONS = {
    path.stem: flatten(json.loads(path.read_text()))
    for path in sorted((INTEGRATION / "translations").glob("*.json"))
}
ENGLISH = TRANSLATIONS["en"]
OTHER_LANGUAGES = sorted(set(TRANSLATIONS) - {"en"})


type Examined = dict[StringPath, dict[str, Any]]


@pytest.fixture(scope="session")
def node() -> str:
    """Node, with intl-messageformat installed."""
    return node_and_packages()


def examine(
    node: str,
    files: Mapping[str, Mapping[StringPath, str]],
    allowed: Callable[[StringPath], set[str]],
) -> dict[str, Examined]:
    """Parse and format every string of `files` (language: strings) in one Node run,
    filling the placeholders `allowed` names for its path."""
    messages = [
        {
            "text": text,
            "locale": language,
            "values": {name: sample(name) for name in allowed(path)},
        }
        for language, strings in files.items()
        for path, text in strings.items()
    ]
    results = iter(run_formatter(node, messages))
    return {
        language: {path: next(results) for path in strings}
        for language, strings in files.items()
    }


@pytest.fixture(scope="session")
def offers() -> Offers:
    """The placeholders the integration's code gives each translation key."""
    sources = {
        str(path.relative_to(INTEGRATION)): path.read_text()
        for path in sorted(INTEGRATION.rglob("*.py"))
    }
    return scan_placeholders(sources, translation_keys(ENGLISH))


@pytest.fixture(scope="session")
def examined(node: str, offers: Offers) -> dict[str, Examined]:
    """Every string of every translation file, as the frontend's formatter sees it."""
    return examine(node, TRANSLATIONS, offers.allowed)


@pytest.mark.parametrize("language", sorted(TRANSLATIONS))
def test_every_string_renders_with_the_placeholders_the_code_gives(
    language: str, offers: Offers, examined: dict[str, Examined]
) -> None:
    """Config flow, actions, selectors, entities, exceptions, issues: all of them."""
    strings = TRANSLATIONS[language]
    allowed = {path: offers.allowed(path) for path in strings}
    problems = formatting_problems(strings, allowed, list(examined[language].values()))
    assert not problems, "\n".join(problems)


def test_every_placeholder_dict_of_the_code_is_readable(offers: Offers) -> None:
    """The table is read from literal dicts; anything else would go unchecked."""
    assert not offers.unreadable, "\n".join(offers.unreadable)


@pytest.mark.parametrize(
    "language",
    OTHER_LANGUAGES
    or [pytest.param("", marks=pytest.mark.skip(reason="only en.json exists yet"))],
)
def test_a_translation_has_every_string_and_placeholder_of_en_json(
    language: str, examined: dict[str, Examined]
) -> None:
    """Nothing missing, no placeholder added or dropped (Home Assistant drops those)."""
    problems = completeness_problems(
        placeholders(examined["en"]), placeholders(examined[language])
    )
    assert not problems, "\n".join(problems)


# Shown as plain text (an action's error toast, a repair issue), never as Markdown.
PLAIN_TEXT_SECTIONS = ("exceptions", "issues")


def markdown_in_plain_texts(strings: Mapping[StringPath, str]) -> list[str]:
    """The plain-text strings that quote with backticks, which would show as they are."""
    return [
        f"{'.'.join(path)}: {text}"
        for path, text in strings.items()
        if path[0] in PLAIN_TEXT_SECTIONS and "`" in text
    ]


@pytest.mark.parametrize("language", sorted(TRANSLATIONS))
def test_exception_and_issue_texts_quote_names_without_markdown(language: str) -> None:
    """Field names are quoted "like this", as Home Assistant's own messages do."""
    problems = markdown_in_plain_texts(TRANSLATIONS[language])
    assert not problems, "\n".join(problems)


def test_the_markdown_check_catches_a_backtick_where_text_is_plain() -> None:
    """Only the plain-text sections count: a flow description may use Markdown."""
    strings: dict[StringPath, str] = {
        ("exceptions", "x", "message"): "Give `title`.",
        ("issues", "y", "fix_flow", "step", "confirm", "description"): "Set `a`.",
        ("issues", "z", "title"): 'Set "a".',
        ("config", "step", "user", "description"): "Paste `ask_...`.",
    }
    assert markdown_in_plain_texts(strings) == [
        "exceptions.x.message: Give `title`.",
        "issues.y.fix_flow.step.confirm.description: Set `a`.",
    ]


def placeholders(examined: Examined) -> dict[StringPath, set[str]]:
    """The placeholder names each string uses."""
    return {path: set(result["arguments"]) for path, result in examined.items()}


def no_values(path: StringPath) -> set[str]:
    """No placeholder values (the placeholders a string uses come from parsing it)."""
    return set()


# The checks themselves catch what they are for -------------------------------------

FAKE_SOURCE = """
LIMIT = "limit_issue"

class ContentError(Exception):
    def __init__(self, translation_key, **placeholders): ...

def direct():
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="direct",
        translation_placeholders={"entity_id": entity_id},
    )

def rule(content):
    raise ContentError("passed_on", field=name, type=kind)

def explain(err, not_found):
    if err.status == 429:
        return "paired", {"retry_after": "60"}
    table = ((AuthError, "from_table"), (NotFoundError, not_found))
    key = next((key for kind, key in table if isinstance(err, kind)), "fallback")
    return key, {"status": "400", "message": err.message}

def call_api(request, *, not_found="not_found", **placeholders):
    ir.async_create_issue(hass, DOMAIN, "id", translation_key=LIMIT,
                          translation_placeholders={"limit": "15"})
    key, details = explain(err, not_found)
    raise HomeAssistantError(translation_key=key,
                             translation_placeholders={**placeholders, **details})

async def handler(call):
    await call_api(request, not_found="through_a_helper", stream_key=key)

class Flow:
    async def async_step_reauth_confirm(self, user_input=None):
        return await self._replace("reauth_confirm", user_input)

    async def _replace(self, step_id, user_input):
        return self.async_show_form(step_id=step_id,
                                    description_placeholders={"title": "t"})

def opaque():
    raise HomeAssistantError(translation_key="opaque",
                             translation_placeholders=err.placeholders)

class Watcher:
    def __init__(self, hass, issue_key):
        self._issue_key = issue_key

    def _raise(self, entity_id):
        ir.async_create_issue(hass, DOMAIN, "id", translation_key=self._issue_key,
                              translation_placeholders={"entity_id": entity_id})

def watch(hass):
    return Watcher(hass, "watched_issue")
"""
FAKE_KEYS = {
    "exception": {
        "direct",
        "passed_on",
        "paired",
        "from_table",
        "fallback",
        "not_found",
        "through_a_helper",
        "opaque",
    },
    "issue": {"limit_issue", "watched_issue"},
    "step": {"reauth_confirm"},
}


def test_the_placeholder_table_follows_keys_through_calls_tables_and_pairs() -> None:
    """Each rule of translation_support's docstring, on a made-up integration."""
    offers = scan_placeholders({"fake.py": FAKE_SOURCE}, FAKE_KEYS)
    api_error = {"status", "message"}
    assert dict(offers.by_key) == {
        ("exception", "direct"): {"entity_id"},
        ("exception", "passed_on"): {"field", "type"},
        ("exception", "paired"): {"retry_after"},
        ("exception", "from_table"): api_error,
        ("exception", "fallback"): api_error,
        ("exception", "not_found"): api_error,
        ("exception", "through_a_helper"): {"stream_key"} | api_error,
        ("exception", "opaque"): set(),
        ("issue", "limit_issue"): {"limit"},
        ("issue", "watched_issue"): {"entity_id"},
        ("step", "reauth_confirm"): {"title"},
    }
    line = FAKE_SOURCE.splitlines().index("def opaque():") + 2
    assert offers.unreadable == [
        f"fake.py:{line}: translation_placeholders of 'opaque' is not a dict literal"
    ]
    assert offers.allowed(("config", "step", "reauth_confirm", "description")) == {
        "title"
    }
    assert offers.allowed(("config", "error", "invalid_auth")) == {"title"}
    assert offers.allowed(("services", "start", "fields", "icon", "name")) == set()


def test_the_formatting_check_catches_what_breaks_in_the_frontend(node: str) -> None:
    """Braces, quotes, tags and a placeholder the code does not give each fail."""
    strings: dict[StringPath, str] = {
        ("fine",): "Replace the key of {title}; it's {title}'s.",
        ("braces",): "For example {symbol: washer.fill, color: blue}.",
        ("quoted",): "Type '{'symbol'}' in YAML.",
        ("doubled",): "Don''t.",
        ("tag",): "A <b>bold</b> word.",
        ("unknown",): "Replace the key of {entry}.",
    }
    results = examine(node, {"en": strings}, lambda _: {"title"})["en"]
    allowed = {path: {"title"} for path in strings}
    problems = formatting_problems(strings, allowed, list(results.values()))
    failing = {problem.split(":")[0] for problem in problems}
    assert failing == {"braces", "quoted", "doubled", "tag", "unknown"}


def test_the_completeness_check_catches_a_missing_string_and_a_new_placeholder(
    node: str,
) -> None:
    """A made-up German file lacks one string and adds a placeholder to another."""
    english: dict[StringPath, str] = {
        ("exceptions", "rate_limited", "message"): "Try again in {retry_after} s.",
        ("exceptions", "timeout", "message"): "No answer in time.",
    }
    german: dict[StringPath, str] = {
        ("exceptions", "rate_limited", "message"): "In {retry_after} s ({limit}).",
    }
    seen = examine(node, {"en": english, "de": german, "de-copy": english}, no_values)
    assert completeness_problems(
        placeholders(seen["en"]), placeholders(seen["de"])
    ) == [
        "exceptions.rate_limited.message: uses ['limit'], which en.json does not",
        "exceptions.timeout.message: missing",
    ]
    assert (
        completeness_problems(placeholders(seen["en"]), placeholders(seen["de-copy"]))
        == []
    )
