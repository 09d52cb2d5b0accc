"""The documentation agrees with the code.

- every ``DASHBOARDS_SSE`` setting (``dashboards_sse.conf.DEFAULTS``) is in the settings table of
  README.md and of docs/guide.md, with the code's default, and no documented key is unknown;
- every system check id the package can emit is in the README's list of ``manage.py check``
  ids, and no check id mentioned in README.md or docs/*.md is unknown to the code;
- the ``manage.py dashboards_sse`` subcommands and options the docs show exist, and the README's
  console example shows every subcommand.

Each failure names the file, the line and the key, so the fix is obvious.
"""

from __future__ import annotations

import argparse
import ast
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import load_command_class

import dashboards_sse
from dashboards_sse.conf import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(dashboards_sse.__file__).resolve().parent
README = "README.md"
GUIDE = "docs/guide.md"
SETTINGS_DOCS = (README, GUIDE)  # each has a table of the DASHBOARDS_SSE settings

# Defaults that are None in the code and resolved at run time: the docs describe the resolved
# value in words, which must mention these terms (or the docs may write `None`).
DERIVED_DEFAULTS: dict[str, tuple[str, ...]] = {
    # None: True when a GRIP proxy is configured (conf.get_settings).
    "PUSHPIN_REQUIRED": ("True", "GRIP_URL", "GRIP_PROXIES"),
}

# The README paragraph listing the check ids contains this (whitespace normalized).
CHECK_LIST_MARKER = "`manage.py check` reports:"

CODE_CHECK_ID = re.compile(r"dashboards_sse\.([EW]\d{3})")
# In prose the docs also write a bare id ("E003"); not inside a longer word or dotted name.
DOC_CHECK_ID = re.compile(r"(?:dashboards_sse\.|(?<![\w.]))([EW]\d{3})\b")
CODE_SPAN = re.compile(r"`([^`]+)`")
DASHBOARDS_SSE_KEY = re.compile(r"""^DASHBOARDS_SSE\[\s*["']([A-Z0-9_]+)["']\s*\]$""")
SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


# --- Markdown tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line number in the file
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    line: int  # the header's line number
    header: tuple[str, ...]
    rows: tuple[Row, ...]

    def column(self, word: str) -> int | None:
        """The index of the first header cell containing ``word`` (case-insensitive)."""
        for index, cell in enumerate(self.header):
            if word.lower() in cell.lower():
                return index
        return None


def split_row(line: str) -> tuple[str, ...]:
    """The cells of ``| a | b |``; a ``|`` inside a code span or escaped as ``\\|`` is text."""
    text = line.strip()
    text = text.removeprefix("|")
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells: list[str] = []
    current: list[str] = []
    in_code = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] == "|":
            current.append("|")
            index += 2
            continue
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    cells.append("".join(current).strip())
    return tuple(cells)


def is_separator(line: str) -> bool:
    cells = split_row(line)
    return bool(cells) and all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells)


def markdown_tables(text: str) -> Iterator[Table]:
    """The pipe tables of a Markdown text (outside fenced code blocks)."""
    lines = text.splitlines()
    fenced = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif (
            not fenced
            and line.lstrip().startswith("|")
            and index + 1 < len(lines)
            and is_separator(lines[index + 1])
        ):
            header = split_row(line)
            rows: list[Row] = []
            end = index + 2
            while end < len(lines) and lines[end].lstrip().startswith("|"):
                rows.append(Row(end + 1, split_row(lines[end])))
                end += 1
            yield Table(index + 1, header, tuple(rows))
            index = end
            continue
        index += 1


# --- Settings ---------------------------------------------------------------------------------


def settings_tables(text: str) -> list[Table]:
    """Tables whose first header cell is "setting(s)" or names DASHBOARDS_SSE."""
    found = []
    for table in markdown_tables(text):
        first = table.header[0].strip("`* ").lower() if table.header else ""
        if "setting" in first or "dashboards_sse" in first:
            found.append(table)
    return found


def documented_keys(table: Table, row: Row) -> list[str]:
    """The DASHBOARDS_SSE keys a row documents (a cell may hold several: `A` / `B`).

    In a table whose header names DASHBOARDS_SSE every name is one of its keys; in a table of
    settings at large only ``DASHBOARDS_SSE["KEY"]`` is (``GRIP_URL`` etc. are Django settings).
    """
    whole_table = "dashboards_sse" in table.header[0].lower()
    keys = []
    for span in CODE_SPAN.findall(row.cells[0]):
        match = DASHBOARDS_SSE_KEY.match(span.strip())
        if match:
            keys.append(match.group(1))
        elif whole_table and SETTING_NAME.match(span.strip()):
            keys.append(span.strip())
    return keys


_OPERATORS: dict[type[ast.AST], Callable[..., object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def literal(text: str) -> object:
    """A Python literal or arithmetic on literals (``64 * 1024``, ``30_000``, ``None``).

    Raises ValueError when ``text`` is not one.
    """

    def evaluate(node: ast.AST) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](evaluate(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
        raise ValueError(f"not a literal: {text!r}")

    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a literal: {text!r}") from exc
    return evaluate(tree.body)


def same_value(documented: object, code: object) -> bool:
    """Equal as values: 65536 == 64 * 1024, 5 == 5.0; but True is not 1, "5" is not 5."""
    if isinstance(documented, bool) or isinstance(code, bool):
        return type(documented) is type(code) and documented == code
    numbers = (int, float)
    if isinstance(documented, numbers) and isinstance(code, numbers):
        return documented == code
    return type(documented) is type(code) and documented == code


def default_problem(key: str, cell: str) -> str | None:
    """Why the documented default ``cell`` disagrees with the code's, or None."""
    code = DEFAULTS[key]
    spans = CODE_SPAN.findall(cell)
    only_code = len(spans) == 1 and cell.strip() == f"`{spans[0]}`"
    if only_code:
        try:
            value = literal(spans[0])
        except ValueError:
            return f"documented default {cell} is not a Python value; the code's is {code!r}"
        if same_value(value, code):
            return None
        if code is None and key in DERIVED_DEFAULTS:
            return (
                f"documented default {cell} != the code's default None (resolved at run time: "
                f"write `None` or describe it, mentioning {', '.join(DERIVED_DEFAULTS[key])})"
            )
        return f"documented default {cell} != the code's default {code!r}"
    if code is None and key in DERIVED_DEFAULTS:
        absent = [term for term in DERIVED_DEFAULTS[key] if term not in cell]
        if not absent:
            return None
        return (
            f"documented default {cell!r} should describe the run-time default "
            f"(mentioning {', '.join(DERIVED_DEFAULTS[key])}); it lacks {', '.join(absent)}"
        )
    hint = (
        " (a None default resolved at run time: add the key to DERIVED_DEFAULTS in this test)"
        if code is None
        else ""
    )
    return f"documented default {cell!r} should be `{code!r}`, the code's default{hint}"


@pytest.mark.parametrize("doc", SETTINGS_DOCS)
def test_settings_table_matches_conf_defaults(doc: str) -> None:
    tables = settings_tables(read(doc))
    assert tables, (
        f"{doc}: no settings table (a Markdown table whose first header cell says 'setting' "
        f"or 'DASHBOARDS_SSE'); it should document {', '.join(DEFAULTS)}"
    )
    problems: list[str] = []
    seen: dict[str, int] = {}
    for table in tables:
        default_column = table.column("default")
        # Every settings table here has a default column; without one only names are checked.
        for row in table.rows:
            keys = documented_keys(table, row)
            if not keys:
                continue
            for key in keys:
                if key in seen:
                    problems.append(
                        f"{doc}:{row.line}: DASHBOARDS_SSE[{key!r}] documented twice "
                        f"(also line {seen[key]})"
                    )
                seen[key] = row.line
                if key not in DEFAULTS:
                    problems.append(
                        f"{doc}:{row.line}: DASHBOARDS_SSE[{key!r}] is documented but "
                        f"dashboards_sse.conf.DEFAULTS has no such key (known: "
                        f"{', '.join(DEFAULTS)})"
                    )
            if default_column is None or default_column >= len(row.cells):
                continue
            cell = row.cells[default_column]
            # `A` / `B` in the key cell: `1` / `2` in the default cell, in the same order.
            parts = [part.strip() for part in cell.split(" / ")] if len(keys) > 1 else [cell]
            if len(parts) != len(keys):
                problems.append(
                    f"{doc}:{row.line}: {len(keys)} keys ({' / '.join(keys)}) but "
                    f"{len(parts)} defaults ({cell!r}); write one default per key, ' / '-separated"
                )
                continue
            for key, part in zip(keys, parts, strict=True):
                if key not in DEFAULTS:
                    continue
                problem = default_problem(key, part)
                if problem:
                    problems.append(f"{doc}:{row.line}: DASHBOARDS_SSE[{key!r}]: {problem}")
    where = ", ".join(f"line {table.line}" for table in tables)
    for key in DEFAULTS:
        if key not in seen:
            problems.append(
                f"{doc}: DASHBOARDS_SSE[{key!r}] (default {DEFAULTS[key]!r} in "
                f"dashboards_sse/conf.py) is missing from the settings table ({where})"
            )
    assert not problems, "\n".join(problems)


# --- System check ids -------------------------------------------------------------------------


def code_check_ids() -> dict[str, list[str]]:
    """Every check id in the package's source, with the files that mention it."""
    ids: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for check_id in CODE_CHECK_ID.findall(path.read_text(encoding="utf-8")):
            files = ids.setdefault(check_id, [])
            name = str(path.relative_to(PACKAGE.parent))
            if name not in files:
                files.append(name)
    return ids


def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text with whitespace normalized) of each blank-line-separated block."""
    start = 1
    block: list[str] = []
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line.strip())
        elif block:
            yield start, " ".join(block)
            block = []


def test_code_has_check_ids() -> None:
    ids = code_check_ids()
    assert "E001" in ids, f"scanning {PACKAGE} for {CODE_CHECK_ID.pattern} found only {ids}"


def test_readme_lists_every_check_id() -> None:
    listing = [
        (line, text) for line, text in paragraphs(read(README)) if CHECK_LIST_MARKER in text
    ]
    assert len(listing) == 1, (
        f"{README}: expected one paragraph containing {CHECK_LIST_MARKER!r} (the list of "
        f"system check ids), found {len(listing)}; update CHECK_LIST_MARKER in this test"
    )
    line, text = listing[0]
    listed = set(DOC_CHECK_ID.findall(text))
    missing = [
        f"{README}: check id {check_id} (dashboards_sse.{check_id}, in {', '.join(files)}) is "
        f"missing from the list of check ids (paragraph at line {line})"
        for check_id, files in sorted(code_check_ids().items())
        if check_id not in listed
    ]
    assert not missing, "\n".join(missing)


def test_documented_check_ids_exist() -> None:
    ids = code_check_ids()
    docs = [README, *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
    unknown = [
        f"{doc}:{number}: check id {match.group(1)} is documented but no dashboards_sse source "
        f"file emits dashboards_sse.{match.group(1)} (known: {', '.join(sorted(ids))})"
        for doc in docs
        for number, line in enumerate(read(doc).splitlines(), start=1)
        for match in DOC_CHECK_ID.finditer(line)
        if match.group(1) not in ids
    ]
    assert not unknown, "\n".join(unknown)


# --- manage.py dashboards_sse -----------------------------------------------------------------

# `manage.py dashboards_sse refresh --every 5` in a code block, or `dashboards_sse check ...`
# in an inline code span: the subcommand and the rest of the command line.
COMMAND_USE = re.compile(r"(?:manage\.py\s+|`)dashboards_sse[ \t]+([a-z][a-z-]*)([^`\n]*)")


def subcommands() -> dict[str, set[str]]:
    """The command's subcommands, each with its option strings."""
    command = load_command_class("dashboards_sse", "dashboards_sse")
    parser = command.create_parser("manage.py", "dashboards_sse")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {
                name: {option for sub in child._actions for option in sub.option_strings}
                for name, child in action.choices.items()
            }
    raise AssertionError("manage.py dashboards_sse defines no subcommands")


def test_readme_console_example_shows_every_subcommand() -> None:
    shown = {
        match.group(1)
        for match in re.finditer(
            r"^\$ python manage\.py dashboards_sse ([a-z][a-z-]*)", read(README), re.MULTILINE
        )
    }
    defined = subcommands()
    missing = [
        f"{README}: `manage.py dashboards_sse {name}` (defined in "
        f"dashboards_sse/management/commands/dashboards_sse.py and subcommands/) is missing "
        f"from the console example ($ python manage.py dashboards_sse ... lines)"
        for name in sorted(set(defined) - shown)
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("doc", [README, GUIDE])
def test_documented_subcommands_and_options_exist(doc: str) -> None:
    defined = subcommands()
    problems: list[str] = []
    for number, line in enumerate(read(doc).splitlines(), start=1):
        for match in COMMAND_USE.finditer(line):
            name, rest = match.groups()
            if name not in defined:
                problems.append(
                    f"{doc}:{number}: `dashboards_sse {name}` is not a subcommand of "
                    f"manage.py dashboards_sse (it has {', '.join(sorted(defined))})"
                )
                continue
            rest = rest.split("#", 1)[0]  # a shell comment after the command
            for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest):
                if option not in defined[name]:
                    problems.append(
                        f"{doc}:{number}: `dashboards_sse {name} {option}`: {name} has no "
                        f"{option} option (it has {', '.join(sorted(defined[name]))})"
                    )
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_custom_component_example_runs() -> None:
    """docs/components.md's example, run as written: declared, pushed, stored, rendered."""
    from dashboards_sse import registry
    from dashboards_sse.models import ComponentState

    text = (ROOT / "docs" / "components.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {"__name__": "docs_example"}
    try:
        exec(compile(code, "docs/components.md", "exec"), namespace)
        state = ComponentState.objects.get(dashboard="docs.line", component="belt").state
        assert state == {"colour": "amber", "reason": "slowing down"}
        html = str(namespace["Line"].belt.render(state))  # type: ignore[attr-defined]
        assert 'data-dsse-state="amber">Amber slowing down</div>' in html
    finally:
        if "Line" in namespace:
            registry.unregister(namespace["Line"])  # type: ignore[arg-type]
