"""Check requests against the API's published OpenAPI spec (../shared/activitysmith).

`OpenApiContract.problems(method, url, body)` says what the real API would refuse
about one request: a URL outside the spec's server, a path no template matches, a
method the path does not have, a path parameter or a JSON body its schema refuses.
The conftest fixture `api_contract` runs it over every request a test's mocked API
received (`RecordedCalls` keeps them even when a test clears `mock_calls`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
import json
from pathlib import Path
import re
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from yarl import URL

SPEC_PATH = (
    Path(__file__).resolve().parents[2] / "shared" / "activitysmith" / "openapi.json"
)
SPEC_URI = "urn:activitysmith:openapi"
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
MAX_MESSAGE = 300


def _pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) to `parts`."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _explain(error: ValidationError) -> str:
    """The most telling part of one schema error, with where in the body it is."""
    best = best_match([error]) or error
    return f"{best.json_path}: {_short(best.message)}"


@dataclass(frozen=True, slots=True)
class _Template:
    path: str
    regex: re.Pattern[str]
    names: tuple[str, ...]
    literal_segments: int


def _compile(path: str) -> _Template:
    names: list[str] = []
    pattern = ""
    literal = 0
    for segment in path.strip("/").split("/"):
        if match := re.fullmatch(r"\{([^}]+)\}", segment):
            names.append(match.group(1))
            pattern += "/([^/]+)"
        else:
            literal += 1
            pattern += "/" + re.escape(segment)
    return _Template(path, re.compile(pattern), tuple(names), literal)


class OpenApiContract:
    """The requests one OpenAPI 3.1 document accepts."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.server = spec["servers"][0]["url"].rstrip("/")
        self._registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        # Literal segments first: /a/b wins over /a/{x} when both match.
        self._templates = sorted(
            (_compile(path) for path in spec["paths"]),
            key=lambda t: -t.literal_segments,
        )

    def _validator(self, *pointer: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{SPEC_URI}#{_pointer(*pointer)}"}, registry=self._registry
        )

    def problems(self, method: str, url: Any, body: Any) -> list[str]:
        """What the API would refuse about this request; empty if nothing."""
        url = URL(str(url))
        method = method.lower()
        base = str(url.with_query(None).with_fragment(None))
        if not base.startswith(self.server + "/"):
            return [f"the URL is not under the API's server {self.server}"]
        raw_path = base.removeprefix(self.server)
        for template in self._templates:
            if match := template.regex.fullmatch(raw_path):
                break
        else:
            return [f"no path of the spec matches {raw_path}"]
        item = self.spec["paths"][template.path]
        if method not in item:
            allowed = sorted(m.upper() for m in item if m in METHODS)
            return [f"{template.path} has no {method.upper()} (only {allowed})"]
        operation = item[method]
        found: list[str] = []
        params = {
            (p["in"], p["name"]): (where, i)
            for where, plist in (
                ("path-item", item.get("parameters", [])),
                ("operation", operation.get("parameters", [])),
            )
            for i, p in enumerate(plist)
        }
        for name, raw in zip(template.names, match.groups(), strict=True):
            where, index = params.get(("path", name), (None, None))
            if where is None:
                found.append(f"path parameter {name} is not declared")
                continue
            value = unquote(raw)
            parts = (
                ("paths", template.path, "parameters", str(index), "schema")
                if where == "path-item"
                else (
                    "paths",
                    template.path,
                    method,
                    "parameters",
                    str(index),
                    "schema",
                )
            )
            found.extend(
                f"path parameter {name}={value!r}: {_short(error.message)}"
                for error in self._validator(*parts).iter_errors(value)
            )
        declared_query = {n for (where, n) in params if where == "query"}
        found.extend(
            f"query parameter {name} is not in the spec"
            for name in url.query
            if name not in declared_query
        )
        found.extend(self._body_problems(template.path, method, operation, body))
        return found

    def _body_problems(
        self, path: str, method: str, operation: dict[str, Any], body: Any
    ) -> list[str]:
        request_body = operation.get("requestBody")
        if isinstance(body, bytes | bytearray):
            body = body.decode()
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                return ["the body is not JSON"]
        if body is None:
            if request_body and request_body.get("required"):
                return ["the operation requires a JSON body; none was sent"]
            return []
        if request_body is None:
            return ["the operation takes no body; one was sent"]
        if "application/json" not in request_body.get("content", {}):
            return ["the operation takes no JSON body"]
        validator = self._validator(
            "paths",
            path,
            method,
            "requestBody",
            "content",
            "application/json",
            "schema",
        )
        return [
            _explain(error)
            for error in sorted(validator.iter_errors(body), key=lambda e: e.json_path)
        ]

    def violations(self, calls: Iterable[tuple[Any, ...]]) -> list[str]:
        """One line per refused request of `calls` (aioclient_mock.mock_calls rows)."""
        lines = []
        for method, url, body, *_ in calls:
            if problems := self.problems(method, url, body):
                lines.append(
                    f"{method.upper()} {url} {_short(json.dumps(body, default=str))}"
                    + "".join(f"\n    - {problem}" for problem in problems)
                )
        return lines


@cache
def published_contract() -> OpenApiContract:
    """The contract of ../shared/activitysmith/openapi.json, read once."""
    return OpenApiContract(json.loads(SPEC_PATH.read_text(encoding="utf-8")))


class RecordedCalls(list[tuple[Any, ...]]):
    """aioclient_mock.mock_calls that also keeps every call past a `clear()`."""

    def __init__(self, calls: Iterable[tuple[Any, ...]] = ()) -> None:
        super().__init__(calls)
        self.every: list[tuple[Any, ...]] = list(self)

    def append(self, call: tuple[Any, ...]) -> None:
        """Record the call in both lists."""
        super().append(call)
        self.every.append(call)
