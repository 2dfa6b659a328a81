"""Tools of the translation tests: the frontend's formatter via Node, and a table of the
placeholders the integration's code gives each string, read from its source.

Placeholders. Home Assistant fills a string's `{name}`s from what the code passes: the
`translation_placeholders` of an exception or repair issue, the `description_placeholders`
of a flow step, abort or action. `scan_placeholders` reads them from the source on every
run, so the table follows the code. For a translation key K:

1. A call naming K in `translation_key=`, `step_id=` or `reason=` gives K the keys of its
   `translation_placeholders=` or `description_placeholders=` dict.
2. A call of the integration's own function or class taking K as another argument gives
   K the names of its other keyword arguments (`ContentError("field_required",
   field=..., type=...)`), and what the called function forwards (rule 4); a class
   forwards what its methods do (`FollowedEntities(hass, entry, "..._missing", ...)`).
3. A pair `(K, {...})` gives K the dict's keys (`return "rate_limited", {...}`).
4. A function that raises or returns a key it got from elsewhere (`translation_key=key`,
   `return key, {...}`) forwards that dict's keys, and what the functions it calls
   forward. Any other mention of K in a function (a lookup table, a default argument)
   gives K what the function forwards.

A rule-1 call whose placeholders are not a literal dict is reported as unreadable rather
than guessed. Entity names get `_attr_translation_placeholders`; action texts get
`description_placeholders` of `async_register*`. Every other string (selectors, states,
a flow_title) gets none, so a placeholder there fails until this learns where it comes
from.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
import fcntl
import hashlib
import json
from pathlib import Path
import shutil
import subprocess
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
FORMATTER = Path(__file__).with_name("icu_format.mjs")
NODE_PACKAGES = ROOT / "node_modules"
NPM_STAMP = NODE_PACKAGES / ".activitysmith-npm-ci.sha256"
NPM_FILES = (ROOT / "package.json", ROOT / "package-lock.json")

KEY_KEYWORDS = ("translation_key", "step_id", "reason")
PLACEHOLDER_KEYWORDS = ("translation_placeholders", "description_placeholders")


# Node ------------------------------------------------------------------------------


NO_NODE = (
    "The translation tests format every string with intl-messageformat, the library of "
    "Home Assistant's frontend, which runs on Node.js: install Node.js 20 or later with "
    "npm, so that `{tool}` is on PATH. The tests run `npm ci` themselves."
)


def node_and_packages() -> str:
    """The node executable, with package-lock.json's packages installed (`npm ci`)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(NO_NODE.format(tool="node"))
    wanted = hashlib.sha256(b"".join(path.read_bytes() for path in NPM_FILES))
    # One `npm ci` at a time, also across pytest-xdist workers.
    with NPM_FILES[1].open("rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = NPM_STAMP.read_text() if NPM_STAMP.exists() else ""
        if stamp != wanted.hexdigest():
            if (npm := shutil.which("npm")) is None:
                pytest.fail(NO_NODE.format(tool="npm"))
            done = subprocess.run(  # noqa: S603 (npm from PATH, fixed arguments)
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode:
                pytest.fail(f"`npm ci` failed:\n{done.stdout}\n{done.stderr}")
            NPM_STAMP.write_text(wanted.hexdigest())
    return node


def run_formatter(node: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse and format `messages` ({text, locale, values}) in one Node process."""
    done = subprocess.run(  # noqa: S603 (node from PATH, our own script)
        [node, str(FORMATTER)],
        input=json.dumps(messages),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"{FORMATTER.name} failed:\n{done.stderr}")
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


# Translation files -----------------------------------------------------------------

type StringPath = tuple[str, ...]


def flatten(tree: Mapping[str, Any], prefix: StringPath = ()) -> dict[StringPath, str]:
    """Every string of a translation file, by its path of keys."""
    found: dict[StringPath, str] = {}
    for key, value in tree.items():
        if isinstance(value, str):
            found[(*prefix, key)] = value
        else:
            found |= flatten(value, (*prefix, key))
    return found


def in_flow(path: StringPath) -> StringPath:
    """A subentry flow's path as a config flow's: (config_subentries, type, ...)."""
    return ("config", *path[2:]) if path[0] == "config_subentries" else path


def keyed(path: StringPath) -> tuple[str, str] | None:
    """The (kind, key) the code names for the string at `path`, if it names one."""
    match in_flow(path):
        case ("exceptions", key, *_):
            return "exception", key
        case ("issues", key, *_):
            return "issue", key
        case ("config" | "options", "step", step, *_):
            return "step", step
        case ("config" | "options", "abort", reason):
            return "abort", reason
        case ("entity", _, key, *_):
            return "entity", key
    return None


def translation_keys(english: Mapping[StringPath, str]) -> dict[str, set[str]]:
    """The keys code can name, by kind: exception, issue, step, abort, entity."""
    keys: dict[str, set[str]] = defaultdict(set)
    for kind, key in filter(None, map(keyed, english)):
        keys[kind].add(key)
    return keys


# Placeholders the code gives -------------------------------------------------------


@dataclass
class Offers:
    """The placeholder names the code gives, by (kind, key), and where it is unclear."""

    by_key: defaultdict[tuple[str, str], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    entities: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)

    def allowed(self, path: StringPath) -> set[str]:
        """The placeholders the string at `path` is formatted with."""
        match in_flow(path):
            case ("config" | "options", "error", _):
                # An error shows on whichever step set it, with that step's placeholders.
                steps = (
                    names for (kind, _), names in self.by_key.items() if kind == "step"
                )
                return set().union(*steps)
            case ("entity", _, _, "name"):
                names = self.entities
            case ("entity", *_):
                return set()  # states and attributes: no placeholders
            case ("services", *_):
                return set(self.services)
            case _:
                names = set()
        found = keyed(path)
        return names | (self.by_key.get(found, set()) if found else set())


type Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef


def own_nodes(scope: Scope) -> Iterator[ast.AST]:
    """The nodes of `scope`, not those of the functions defined in it."""
    todo: list[ast.AST] = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            todo.extend(ast.iter_child_nodes(node))


def called_name(call: ast.Call) -> str | None:
    """`f` for `f(...)`, `obj.f(...)` and `a.b.f(...)`."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def dict_keys(node: ast.expr) -> set[str] | None:
    """The string keys of a dict literal (`**` spreads add none); None if not one."""
    if isinstance(node, ast.Dict):
        return {
            key.value
            for key in node.keys
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        }
    return None


class PlaceholderScanner:
    """Applies the module docstring's rules to the integration's source."""

    def __init__(self, trees: Mapping[str, ast.Module], keys: Mapping[str, set[str]]):
        self.trees = trees
        self.keys = keys
        self.offers = Offers()
        self.constants = self._module_constants()
        self.functions: defaultdict[str, list[Scope]] = defaultdict(list)
        self.classes: set[str] = set()
        self.methods: defaultdict[str, set[str]] = defaultdict(set)
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.functions[node.name].append(node)
                elif isinstance(node, ast.ClassDef):
                    self.classes.add(node.name)
                    self.methods[node.name] |= {
                        item.name
                        for item in node.body
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    }
        self._forwarded: dict[str, set[str]] = {}
        self._graph: dict[str, tuple[set[str], set[str]]] = {}

    def _module_constants(self) -> dict[str, str]:
        """Module-level `NAME = "text"`, for names that mean one text everywhere."""
        seen: defaultdict[str, set[str]] = defaultdict(set)
        for tree in self.trees.values():
            for node in tree.body:
                target = value = None
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target, value = node.targets[0], node.value
                elif isinstance(node, ast.AnnAssign):
                    target, value = node.target, node.value
                if (
                    isinstance(target, ast.Name)
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    seen[target.id].add(value.value)
        return {
            name: next(iter(values))
            for name, values in seen.items()
            if len(values) == 1
        }

    def text(self, node: ast.expr | None) -> str | None:
        """The string `node` always is, if any."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return None

    def kinds(self, key: str) -> list[str]:
        """The kinds of translation key `key` is (usually one, or none)."""
        return [kind for kind, keys in self.keys.items() if key in keys]

    def give(self, key: str, names: set[str], kinds: list[str]) -> None:
        for kind in kinds:
            self.offers.by_key[(kind, key)] |= names

    # Rule 4: what a function forwards for keys it gets from elsewhere: what it and
    # every function it calls, directly or not, forward (a class: its methods).
    def forwarded(self, name: str) -> set[str]:
        if name in self._forwarded:
            return self._forwarded[name]
        names: set[str] = set()
        seen, todo = {name}, [name]
        while todo:
            direct, callees = self._calls(todo.pop())
            names |= direct
            todo += callees - seen
            seen |= callees
        self._forwarded[name] = names
        return names

    def _calls(self, name: str) -> tuple[set[str], set[str]]:
        """What the functions named `name` forward themselves, and whom they call."""
        if name not in self._graph:
            direct: set[str] = set()
            callees = set(self.methods.get(name, ()))  # a class: its methods
            for scope in self.functions.get(name, []):
                for node in own_nodes(scope):
                    direct |= self._forwards(node)
                    if (
                        isinstance(node, ast.Call)
                        and (callee := called_name(node) or "") in self.functions
                    ):
                        callees.add(callee)
            self._graph[name] = (direct, callees)
        return self._graph[name]

    def _forwards(self, node: ast.AST) -> set[str]:
        """The names `node` gives a key that is not written down in it."""
        if isinstance(node, ast.Call):
            keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
            for keyword in KEY_KEYWORDS:
                if keyword in keywords and self.text(keywords[keyword]) is None:
                    return set().union(
                        *(
                            dict_keys(keywords[name]) or set()
                            for name in PLACEHOLDER_KEYWORDS
                            if name in keywords
                        )
                    )
        if (
            isinstance(node, ast.Tuple)
            and len(node.elts) == 2
            and self.text(node.elts[0]) is None
            and (keys := dict_keys(node.elts[1])) is not None
        ):
            return keys
        return set()

    def scan(self) -> Offers:
        for module, tree in self.trees.items():
            self._scan_scope(module, tree, None)
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self._scan_scope(module, node, node.name)
        return self.offers

    def _scan_scope(self, module: str, scope: Scope, name: str | None) -> None:
        placed: set[int] = set()  # ids of the constants rules 1-3 placed
        nodes = list(own_nodes(scope))
        for node in nodes:
            if isinstance(node, ast.Call):
                placed |= self._call(module, node)
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
                key, names = self.text(node.elts[0]), dict_keys(node.elts[1])
                if key is not None and names is not None:
                    self.give(key, names, self.kinds(key))  # rule 3
                    placed.add(id(node.elts[0]))
            self._entity_placeholders(node)
        forwarded = self.forwarded(name) if name else set()
        dict_key_ids = {
            id(key) for node in nodes if isinstance(node, ast.Dict) for key in node.keys
        }
        for node in nodes:  # rule 4
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in placed | dict_key_ids
            ):
                self.give(node.value, forwarded, self.kinds(node.value))

    def _call(self, module: str, call: ast.Call) -> set[int]:
        """Rules 1 and 2 for one call; the ids of the key constants it placed."""
        placed: set[int] = set()
        callee = called_name(call) or ""
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        if (
            callee.startswith("async_register")
            and "description_placeholders" in keywords
        ):
            self.offers.services |= (
                dict_keys(keywords["description_placeholders"]) or set()
            )
        for keyword in KEY_KEYWORDS:
            key = self.text(keywords.get(keyword))
            if key is None:
                continue
            placed.add(id(keywords[keyword]))
            names = set()
            for placeholder_keyword in PLACEHOLDER_KEYWORDS:
                if placeholder_keyword in keywords:
                    readable = dict_keys(keywords[placeholder_keyword])
                    if readable is None:
                        self.offers.unreadable.append(
                            f"{module}:{call.lineno}: {placeholder_keyword} of {key!r}"
                            " is not a dict literal"
                        )
                    names |= readable or set()
            self.give(key, names, [self._kind(keyword, callee)])  # rule 1
        if callee not in self.functions and callee not in self.classes:
            return placed  # rule 2 is about the integration's own functions
        arguments = [
            *call.args,
            *(kw.value for kw in call.keywords if kw.arg not in KEY_KEYWORDS),
        ]
        for argument in arguments:
            key = self.text(argument)
            if key is None or not (kinds := self.kinds(key)):
                continue
            names = {
                kw.arg for kw in call.keywords if kw.arg and kw.value is not argument
            }
            self.give(key, names | self.forwarded(callee), kinds)  # rule 2
            placed.add(id(argument))
        return placed

    @staticmethod
    def _kind(keyword: str, callee: str) -> str:
        if keyword == "step_id":
            return "step"
        if keyword == "reason":
            return "abort"
        if callee == "async_create_issue":
            return "issue"
        if callee.endswith("EntityDescription"):
            return "entity"
        return "exception"

    def _entity_placeholders(self, node: ast.AST) -> None:
        """`_attr_translation_placeholders = {...}`, on the class or on `self`."""
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = getattr(target, "id", None) or getattr(target, "attr", None)
                if name == "_attr_translation_placeholders":
                    self.offers.entities |= dict_keys(node.value) or set()


def scan_placeholders(
    sources: Mapping[str, str], keys: Mapping[str, set[str]]
) -> Offers:
    """The placeholders `sources` (module name: Python text) give each key in `keys`."""
    trees = {name: ast.parse(text, name) for name, text in sources.items()}
    return PlaceholderScanner(trees, keys).scan()


# Checks ----------------------------------------------------------------------------


def sample(name: str) -> str:
    """What a placeholder is filled with: recognizable in the output."""
    return f"<<{name}>>"


def formatting_problems(
    strings: Mapping[StringPath, str],
    allowed: Mapping[StringPath, set[str]],
    results: list[dict[str, Any]],
) -> list[str]:
    """What breaks when the frontend formats `strings` with the `allowed` placeholders.

    `results` are the formatter's answers for `strings`, in order. A string fails when it
    does not parse or format (either way the frontend builds it), uses a placeholder the
    code does not give it, or renders differently with and without ignoreTag or, when it
    is plain text and {name}s, differently from Python's `str.format` (which renders
    exception messages and entity names): an apostrophe, brace or tag that ICU treats
    specially.
    """
    problems = []
    for (path, text), result in zip(strings.items(), results, strict=True):
        where = ".".join(path)
        names = allowed[path]
        modes_by_error: defaultdict[str, list[str]] = defaultdict(list)
        for mode, error in sorted(result["errors"].items()):
            modes_by_error[error].append(mode)
        for error, modes in modes_by_error.items():
            problems.append(f"{where}: {error} ({', '.join(modes)}) :: {text}")
        if unknown := sorted(set(result["arguments"]) - names):
            problems.append(
                f"{where}: uses {unknown}, which the code does not give it"
                f" (it gives {sorted(names) or 'none'}) :: {text}"
            )
        if result["errors"] or unknown:
            continue
        rendered = result["rendered"]
        if result["simple"]:
            try:
                python = text.format(**{name: sample(name) for name in names})
            except (KeyError, IndexError, ValueError) as err:
                python = f"<str.format fails: {err!r}>"
            rendered = {**rendered, "str.format": python}
        if len(set(rendered.values())) > 1:
            shown = ", ".join(
                f"{how}: {out!r}" for how, out in sorted(rendered.items())
            )
            problems.append(f"{where}: renders differently: {shown}")
    return problems


def completeness_problems(
    english: Mapping[StringPath, set[str]], other: Mapping[StringPath, set[str]]
) -> list[str]:
    """What a translation (path: its placeholders) lacks or changes against en.json.

    Home Assistant drops a translated string whose placeholders differ from the English
    one (translation.py, _validate_placeholders) and shows English instead.
    """
    problems = []
    for path, names in english.items():
        where = ".".join(path)
        if path not in other:
            problems.append(f"{where}: missing")
        elif extra := sorted(other[path] - names):
            problems.append(f"{where}: uses {extra}, which en.json does not")
        elif lacking := sorted(names - other[path]):
            problems.append(f"{where}: lacks {lacking} that en.json uses")
    return problems
