"""Mutation testing: do the tests notice when the code is subtly wrong.

Run with `scripts/mutate` (all modules) or `scripts/mutate budget content` (modules whose
path contains a word). For each module of `TARGETS` it makes small, plausible mistakes
(mutants), one at a time, and runs the module's test files against each; a mutant the
tests fail on is *killed*, one they pass with *survived*: a behaviour no test pins, or a
mutant that changes nothing observable (an *equivalent* one).

Mutations (on the syntax tree, written back as a minimal edit of the source):

- comparisons: `<` `<=`, `>` `>=`, `==` `!=`, `in` `not in`, `is` `is not`, both ways;
- arithmetic: `+` `-`, `*` `/`, both ways, and `//` to `*` (also in `+=` and the like);
- boolean: `and` `or`, both ways; `not x` to `x`;
- constants: a number plus and minus 1, `True` `False`, a text (or f-string) emptied;
- `return x` to `return None`; a call statement (`f()`, `await f()`) to `pass`;
- `min` `max`, both ways.

Docstrings, annotations, type aliases and debug log calls are not mutated (none of them
is behaviour). Up to `--sample` mutants per module are drawn with a fixed seed, so two
runs over the same code test the same mutants.

Safety: the repository is copied to a temporary folder and only the copy is ever edited;
the real files are never written. Each mutant runs its tests in a forked child of a
process that imported Home Assistant once (seconds saved per mutant; `--no-fork` runs a
fresh `python -m pytest` instead), under a timeout. A run starts with the unmutated code
(it must pass) and a canary mutant (it must fail), so a broken set-up cannot score.

Prints the score per module (killed and timed-out mutants over all) and the survivors;
exits 1 if a module scores under `--threshold` percent.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
import contextlib
import copy
from dataclasses import asdict, dataclass
import importlib
import json
import os
from pathlib import Path
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = 120
SEED = 2026
THRESHOLD = 90.0
# A mutant's tests may take this many times as long as the unmutated run (plus a margin)
# before it counts as a timeout (an endless loop, a wait that never ends).
TIMEOUT_FACTOR = 3.0
TIMEOUT_MARGIN = 15.0

# Each module and the test files that pin its behaviour: the fastest and most targeted
# first, as a mutant's run stops at its first failing test. Missing files are skipped.
# (test_property is left out: its generated examples differ from run to run.)
CLIENT_TESTS: tuple[str, ...] = (
    "tests/test_client_contract.py",
    "tests/test_stream_queue_order.py",
    "tests/test_api.py",
    "tests/test_resilience.py",
    "tests/test_streams.py",
    "tests/test_notifications.py",
    "tests/test_diagnostics.py",
    "tests/test_init.py",
)
# Tracked entities (tracked/): their own tests, then the lifecycle (reloads, removal).
TRACKED_TESTS: tuple[str, ...] = (
    "tests/test_contracts.py",
    "tests/test_tracked.py",
    "tests/test_lifecycle.py",
    "tests/test_guards.py",
)
# The store and its records: storage first, then what reads them (sensor, ordering).
STORE_TESTS: tuple[str, ...] = (
    "tests/test_contracts.py",
    "tests/test_odd_input_and_storage.py",
    "tests/test_sensor.py",
    "tests/test_streams.py",
    "tests/test_order_and_loss.py",
    "tests/test_lifecycle.py",
    # The October answers: an older activity ended by a start, the stream warning.
    "tests/test_answers.py",
)
TARGETS: dict[str, tuple[str, ...]] = {
    "custom_components/activitysmith/client/http.py": CLIENT_TESTS,
    "custom_components/activitysmith/client/transport.py": CLIENT_TESTS,
    "custom_components/activitysmith/client/stream_sender.py": CLIENT_TESTS,
    "custom_components/activitysmith/client/response.py": (
        "tests/test_client_contract.py",
        "tests/test_api.py",
        "tests/test_resilience.py",
        "tests/test_notifications.py",
        "tests/test_services.py",
    ),
    "custom_components/activitysmith/client/budget.py": (
        "tests/test_budget.py",
        "tests/test_budget_edges.py",
        "tests/test_stream_queue_order.py",
        "tests/test_client_contract.py",
        "tests/test_api.py",
        "tests/test_resilience.py",
        "tests/test_streams.py",
        "tests/test_diagnostics.py",
    ),
    "custom_components/activitysmith/client/rate_limit_headers.py": (
        "tests/test_budget.py",
        "tests/test_stream_queue_order.py",
    ),
    "custom_components/activitysmith/client/stream_queue.py": (
        "tests/test_budget.py",
        "tests/test_budget_edges.py",
        "tests/test_stream_queue_order.py",
        "tests/test_client_contract.py",
        "tests/test_api.py",
        "tests/test_resilience.py",
        "tests/test_streams.py",
        "tests/test_diagnostics.py",
    ),
    "custom_components/activitysmith/content.py": (
        "tests/test_content_rules.py",
        "tests/test_content.py",
        "tests/test_services.py",
        "tests/test_streams.py",
    ),
    "custom_components/activitysmith/tracked/entity.py": TRACKED_TESTS,
    "custom_components/activitysmith/tracked/manager.py": TRACKED_TESTS,
    "custom_components/activitysmith/tracked/config.py": (
        "tests/test_tracked_flow.py",
        *TRACKED_TESTS,
    ),
    "custom_components/activitysmith/tracked/flow.py": (
        "tests/test_tracked_flow.py",
        "tests/test_contracts.py",
        "tests/test_tracked.py",
    ),
    "custom_components/activitysmith/tracked/defaults.py": (
        "tests/test_tracked_flow.py",
        *TRACKED_TESTS,
    ),
    "custom_components/activitysmith/webhook.py": (
        "tests/test_contracts.py",
        "tests/test_buttons.py",
        # Tracked entities resolve their buttons as optional (left out with no URL).
        "tests/test_tracked.py",
        "tests/test_webhook_requests.py",
    ),
    "custom_components/activitysmith/store.py": STORE_TESTS,
    "custom_components/activitysmith/store_file.py": STORE_TESTS,
    "custom_components/activitysmith/stream_records.py": STORE_TESTS,
    "custom_components/activitysmith/records.py": STORE_TESTS,
    "custom_components/activitysmith/publisher.py": (
        "tests/test_streams.py",
        "tests/test_order_and_loss.py",
        "tests/test_buttons.py",
        "tests/test_tracked.py",
        # Removed tracked entities: their streams forgotten once ended.
        "tests/test_lifecycle.py",
        "tests/test_services.py",
    ),
    "custom_components/activitysmith/slots/ledger.py": ("tests/test_slots.py",),
    "custom_components/activitysmith/slots/policy.py": ("tests/test_slots.py",),
    "custom_components/activitysmith/slots/storage.py": ("tests/test_slots.py",),
    "custom_components/activitysmith/slot_owner.py": ("tests/test_slots.py",),
}
# The folder beside the repository the tests read the API contract from.
SHARED = "shared"
# Imported once by the parent of the forked test runs (they take seconds to import).
PRELOADED = (
    "homeassistant.core",
    "homeassistant.helpers.config_validation",
    "pytest",
    "pytest_homeassistant_custom_component.plugins",
)
# Tests that count real time: on shared, loaded cores they fail without a mutant.
DESELECTED = (
    "tests/test_tracked.py::test_a_burst_of_changes_is_coalesced_and_ends_on_the_newest",
)
PYTEST_OPTIONS = (
    "-x",
    "-q",
    "-p",
    "no:randomly",
    "--no-cov",
    "-p",
    "no:cacheprovider",
    *(option for test in DESELECTED for option in ("--deselect", test)),
)
# Copying these would be slow (or, for bytecode, wrong: a stale .pyc could hide a mutant).
NOT_COPIED = (
    ".git",
    ".venv*",
    "node_modules",
    "config",
    ".*_cache",
    ".hypothesis",
    "__pycache__",
)


# Making mutants ---------------------------------------------------------------------

FLIPPED_COMPARISON: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
FLIPPED_ARITHMETIC: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
}
SWAPPED_CALL = {"min": "max", "max": "min"}


@dataclass(frozen=True, slots=True)
class Mutant:
    """One small change of one module."""

    module: str
    number: int  # its place in the module's sample, from 1, for --only
    line: int
    column: int
    before: str
    after: str
    source: str

    def describe(self) -> str:
        """Where and what, in one line."""
        where = f"line {self.line}:{self.column + 1}"
        return f"#{self.number} {where}: `{self.before}` -> `{self.after}`"


def replacements(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes `node` may be replaced with, one mutant each."""
    match node:
        case ast.Compare(ops=ops):
            for index, op in enumerate(ops):
                if flipped := FLIPPED_COMPARISON.get(type(op)):
                    compare = copy.deepcopy(node)
                    compare.ops[index] = flipped()
                    yield compare
        case ast.BinOp() | ast.AugAssign() if type(node.op) in FLIPPED_ARITHMETIC:
            arithmetic = copy.deepcopy(node)
            arithmetic.op = FLIPPED_ARITHMETIC[type(node.op)]()
            yield arithmetic
        case ast.BoolOp(op=op, values=values):
            swapped = ast.Or() if isinstance(op, ast.And) else ast.And()
            yield ast.BoolOp(op=swapped, values=copy.deepcopy(values))
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            yield copy.deepcopy(operand)
        case ast.Constant(value=value):
            yield from (ast.Constant(other) for other in _other_constants(value))
        case ast.JoinedStr():
            yield ast.Constant("")
        case ast.Return(value=ast.AST() as value) if not _is_none(value):
            yield ast.Return(value=ast.Constant(None))
        case ast.Expr(value=ast.Call() | ast.Await(value=ast.Call())):
            yield ast.Pass()
        case ast.Call(func=ast.Name(id=name)) if name in SWAPPED_CALL:
            call = copy.deepcopy(node)
            call.func = ast.Name(id=SWAPPED_CALL[name], ctx=ast.Load())
            yield call


def _other_constants(value: object) -> list[bool | float | str]:
    """What a constant may become: the other bool, a number +-1, an empty text."""
    match value:
        case bool():
            return [not value]
        case int() | float():
            return [value + 1, value - 1]
        case str() if value:
            return [""]
    return []


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _is_debug_log(node: ast.AST) -> bool:
    """`_LOGGER.debug(...)`: debug output is no behaviour to pin."""
    return (
        isinstance(node, ast.Expr)
        and isinstance(call := node.value, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "debug"
    )


def mutable_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """`node` and the nodes under it that may be mutated, in source order."""
    if _is_docstring(node) or _is_debug_log(node) or isinstance(node, ast.TypeAlias):
        return
    yield node
    if isinstance(node, ast.JoinedStr):
        return  # emptied as a whole; its pieces are not valid code on their own
    for name, value in ast.iter_fields(node):
        if name in {"annotation", "returns", "type_params"}:
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                yield from mutable_nodes(child)


class ModuleMutator:
    """Writes mutants of one module as minimal edits of its source."""

    def __init__(self, module: str, source: str) -> None:
        """Parse `source` (the text of `module`, a path from the repository root)."""
        self.module = module
        self.source = source.encode()
        self.tree = ast.parse(source)
        # Where each node hangs: its parent, the parent's field, and its index there.
        self.places: dict[ast.AST, tuple[ast.AST, str, int | None]] = {}
        for parent in ast.walk(self.tree):
            for name, value in ast.iter_fields(parent):
                if isinstance(value, list):
                    for index, child in enumerate(value):
                        self.places[child] = (parent, name, index)
                elif isinstance(value, ast.AST):
                    self.places[value] = (parent, name, None)
        line_starts = [0]
        for line in self.source.splitlines(keepends=True):
            line_starts.append(line_starts[-1] + len(line))
        self.line_starts = line_starts

    def candidates(self) -> list[tuple[ast.expr | ast.stmt, ast.AST]]:
        """Every (node, replacement) pair, in source order."""
        return [
            (node, replacement)
            for node in mutable_nodes(self.tree)
            if isinstance(node, ast.expr | ast.stmt)
            for replacement in replacements(node)
        ]

    def sample(self, size: int, seed: int) -> list[Mutant]:
        """Up to `size` mutants, drawn with `seed`, in source order."""
        candidates = self.candidates()
        random.Random(f"{seed}:{self.module}").shuffle(candidates)  # noqa: S311
        chosen: list[tuple[int, int, str, str, str]] = []
        for node, replacement in candidates:
            if len(chosen) == size:
                break
            if (mutant := self.write(node, replacement)) is not None:
                chosen.append(mutant)
        chosen.sort(key=lambda mutant: mutant[:4])
        return [
            Mutant(self.module, number, *mutant)
            for number, mutant in enumerate(chosen, 1)
        ]

    def write(
        self, node: ast.expr | ast.stmt, replacement: ast.AST
    ) -> tuple[int, int, str, str, str] | None:
        """(line, column, before, after, source) of the module with `node` replaced.

        The source is checked to parse to exactly the intended tree; where the
        replacement needs parentheses to keep its meaning, it gets them.
        """
        expected = self._dump_with(node, replacement)
        start = self._offset(node.lineno, node.col_offset)
        end = self._offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        text = ast.unparse(replacement)
        for attempt in (text, f"({text})"):
            source = self.source[:start] + attempt.encode() + self.source[end:]
            with contextlib.suppress(SyntaxError):
                if ast.dump(ast.parse(source)) == expected:
                    before = self.source[start:end].decode()
                    return (
                        node.lineno,
                        node.col_offset,
                        _short(before),
                        _short(text),
                        source.decode(),
                    )
        return None

    def _dump_with(self, node: ast.AST, replacement: ast.AST) -> str:
        """The dump of the whole tree with `node` replaced (the tree is left as it was)."""
        parent, name, index = self.places[node]
        self._put(parent, name, index, replacement)
        try:
            return ast.dump(self.tree)
        finally:
            self._put(parent, name, index, node)

    @staticmethod
    def _put(parent: ast.AST, name: str, index: int | None, node: ast.AST) -> None:
        if index is None:
            setattr(parent, name, node)
        else:
            getattr(parent, name)[index] = node

    def _offset(self, line: int, column: int) -> int:
        """The byte offset of a node position (columns are UTF-8 byte offsets)."""
        return self.line_starts[line - 1] + column


def _short(code: str, limit: int = 70) -> str:
    one_line = " ".join(code.split())
    return one_line if len(one_line) <= limit else f"{one_line[: limit - 3]}..."


# Running the tests ------------------------------------------------------------------


def preload() -> None:
    """Import what every test run imports, once, before any fork (not our package)."""
    # No .pyc: mutants differ in content, not always in size or modification second.
    sys.dont_write_bytecode = True
    for name in PRELOADED:
        importlib.import_module(name)


def run_tests(
    workdir: Path, tests: list[str], timeout: float, *, fork: bool
) -> int | None:
    """Run `tests` in `workdir`: pytest's exit code, or None after `timeout` seconds."""
    arguments = [*tests, *PYTEST_OPTIONS]
    log = workdir / "mutant.log"
    if not fork:
        with log.open("wb") as output:
            try:
                return subprocess.run(  # noqa: S603
                    [sys.executable, "-m", "pytest", *arguments],
                    cwd=workdir,
                    env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                return None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: run the tests, never return into the loop below
        code = 70
        try:
            os.setpgid(0, 0)  # its own group: a timeout kills it with all it started
            os.chdir(workdir)
            output_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(output_fd, 1)
            os.dup2(output_fd, 2)
            import pytest  # noqa: PLC0415

            code = int(pytest.main(arguments))
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                pid = 0
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        return None
    finally:
        if pid:  # timed out or interrupted: end the child and reap it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


@dataclass(slots=True)
class Result:
    """How one mutant fared."""

    mutant: str
    line: int
    outcome: str  # killed, survived or timeout


def outcome_of(code: int | None) -> str:
    """A test run's exit code read as the fate of its mutant."""
    if code is None:
        return "timeout"
    # Any failure counts: failed tests (1), a module that no longer imports (2, or 4
    # when conftest.py imports it). The unmutated run passed with the same arguments.
    return "survived" if code == 0 else "killed"


def mutate_module(
    workdir: Path, module: str, mutants: list[Mutant], *, fork: bool
) -> list[Result]:
    """Run the module's tests against each mutant, in `workdir`; the file is restored."""
    tests = [test for test in TARGETS[module] if (workdir / test).exists()]
    path = workdir / module
    original = path.read_text()
    started = time.monotonic()
    if run_tests(workdir, tests, 600, fork=fork) != 0:
        log = (workdir / "mutant.log").read_text(errors="replace").splitlines()
        sys.exit("\n".join([*log[-40:], f"{module}: the tests fail without a mutant"]))
    timeout = (time.monotonic() - started) * TIMEOUT_FACTOR + TIMEOUT_MARGIN
    results = []
    try:
        path.write_text('raise ImportError("mutation canary")\n' + original)
        if outcome_of(run_tests(workdir, tests, timeout, fork=fork)) != "killed":
            sys.exit(f"{module}: a broken module passed; the tests do not import it")
        for mutant in mutants:
            path.write_text(mutant.source)
            outcome = outcome_of(run_tests(workdir, tests, timeout, fork=fork))
            results.append(Result(mutant.describe(), mutant.line, outcome))
            mark = (
                "." if outcome == "killed" else f"\n  {outcome}: {mutant.describe()}\n"
            )
            print(mark, end="", flush=True)
    finally:
        path.write_text(original)
    print(flush=True)
    return results


def score(results: list[Result]) -> float:
    """Killed and timed-out mutants, in percent of all."""
    detected = sum(result.outcome != "survived" for result in results)
    return 100.0 * detected / len(results) if results else 100.0


def main() -> int:
    """Mutate the chosen modules, print the scores; 1 if one is under the threshold."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("words", nargs="*", help="only modules whose path has a word")
    parser.add_argument("--sample", type=int, default=SAMPLE, help="mutants per module")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--only", help="mutant numbers to run, e.g. 3,17 (one module)")
    parser.add_argument("--list", action="store_true", help="list mutants, run nothing")
    parser.add_argument("--no-fork", action="store_true", help="a fresh pytest each")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    args = parser.parse_args()

    modules = [m for m in TARGETS if not args.words or any(w in m for w in args.words)]
    only = {int(n) for n in args.only.split(",")} if args.only else None
    if only and len(modules) != 1:
        parser.error("--only needs exactly one module")
    sampled = {
        module: [
            mutant
            for mutant in ModuleMutator(module, (ROOT / module).read_text()).sample(
                args.sample, args.seed
            )
            if only is None or mutant.number in only
        ]
        for module in modules
    }
    if args.list:
        for module, mutants in sampled.items():
            print(f"{module}: {len(mutants)} mutants")
            for mutant in mutants:
                print(f"  {mutant.describe()}")
        return 0

    if not args.no_fork:
        preload()
    started = time.monotonic()
    results: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory(prefix="activitysmith-mutants-") as temp:
        workdir = Path(temp) / "repo"
        shutil.copytree(ROOT, workdir, ignore=shutil.ignore_patterns(*NOT_COPIED))
        # The API contract the tests read lives beside the repository, in ../shared:
        # linked (it is only read), so it is found from the copy as from the original.
        if (shared := ROOT.parent / SHARED).exists():
            (workdir.parent / SHARED).symlink_to(shared, target_is_directory=True)
        for module, mutants in sampled.items():
            print(f"{module}: {len(mutants)} mutants", flush=True)
            results[module] = mutate_module(
                workdir, module, mutants, fork=not args.no_fork
            )
    minutes = (time.monotonic() - started) / 60

    print(f"\nMutation scores (seed {args.seed}, {minutes:.1f} min):")
    for module, module_results in results.items():
        counts = {
            outcome: sum(result.outcome == outcome for result in module_results)
            for outcome in ("killed", "timeout", "survived")
        }
        print(
            f"  {score(module_results):5.1f} %  {module}: {len(module_results)} mutants, "
            + ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
        )
        for result in module_results:
            if result.outcome == "survived":
                print(f"      survived {result.mutant}")
    if args.report:
        args.report.write_text(
            json.dumps(
                {
                    module: {
                        "score": round(score(module_results), 1),
                        "results": [asdict(result) for result in module_results],
                    }
                    for module, module_results in results.items()
                },
                indent=2,
            )
        )
    return int(any(score(r) < args.threshold for r in results.values()))


if __name__ == "__main__":
    sys.exit(main())
