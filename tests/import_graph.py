"""A package's import graph, read with ``ast`` (the package is never imported), and its cycles.

Usage::

    python -m tests.import_graph [PACKAGE_DIR] [--max-function-imports N]

PACKAGE_DIR defaults to the ``dashboards_sse`` folder next to ``tests/``. Every ``.py`` file of
the package is a module (``pkg/__init__.py`` is ``pkg``, ``pkg/a/b.py`` is ``pkg.a.b``); an edge
``a -> b`` means that running module ``a`` imports module ``b`` of the same package:

* ``import pkg.x``, ``from pkg.x import y``, ``from .x import y``, ``from .. import y`` at any
  level (relative imports resolved from the importer's package: a package's ``__init__`` is its
  own package, a plain module's is its parent);
* ``from X import y`` is an edge to ``X.y`` when that is a module (a file or a package), else
  an edge to ``X`` (``y`` is a name defined there);
* importing ``pkg.sub.mod`` first runs ``pkg/__init__`` and ``pkg/sub/__init__``: those are
  edges too, except to a package that contains the importer (it has already started running
  when the importer runs, so Python doesn't run it again) and except to the importer itself;
* imports anywhere count: module top, class bodies, ``try``/``except ImportError``, ``if``
  blocks and functions (those edges are "function-level": they run on a call, not on import),
  but not the body of ``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:`` (its ``else:``
  branch counts; for ``if not TYPE_CHECKING:`` it is the other way round).

The output is the graph (``module -> dep1, dep2 (fn: dep3)``, where ``fn:`` lists the modules
imported only inside functions), the function-level imports of the package's own modules with
their locations, and every cycle: each strongly connected component of more than one module (or
a module importing itself), with one concrete path ``a -> b -> c -> a`` and, for each of its
edges, the ``file:line`` of the imports that make it.

Exit status: 1 if there is a cycle, or more function-level imports than
``--max-function-imports`` allows; 2 if a file can't be parsed or the directory is no package;
0 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "dashboards_sse"


@dataclass(frozen=True)
class Module:
    """One ``.py`` file of the package."""

    name: str  # dotted: pkg.sub.mod (a package's __init__.py is the package's name)
    path: Path
    is_package: bool  # an __init__.py

    @property
    def package(self) -> str:
        """The package relative imports start from: itself for an __init__, else its parent."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True, order=True)
class ImportSite:
    """An import statement that makes an edge."""

    file: str  # shown relative to the package's parent folder: pkg/sub/mod.py
    line: int
    imported: str  # the module the statement imports, resolved: pkg.sub.mod
    function: str | None = None  # the enclosing function (Class.method) for a function-level one
    parent_package: bool = False  # the edge is to a package that importing `imported` runs

    @property
    def function_level(self) -> bool:
        return self.function is not None

    def describe(self) -> str:
        text = f"{self.file}:{self.line} imports {self.imported}"
        if self.function is not None:
            text += f" (function-level, in {self.function})"
        return text


@dataclass
class Graph:
    """Modules of one package and the imports between them."""

    root: str  # the top-level package's name
    modules: dict[str, Module]
    # edges[importer][imported] = the statements that make the edge
    edges: dict[str, dict[str, set[ImportSite]]] = field(default_factory=dict)
    # imports of the package's own names that match no file: (importer, what, where)
    unresolved: list[tuple[str, str, str]] = field(default_factory=list)

    def adjacency(self) -> dict[str, list[str]]:
        """``{importer: sorted imported modules}``: the edges without their sites."""
        return {importer: sorted(targets) for importer, targets in sorted(self.edges.items())}

    def successors(self, module: str) -> list[str]:
        return sorted(self.edges.get(module, {}))

    def sites(self, importer: str, imported: str) -> list[ImportSite]:
        return sorted(self.edges[importer][imported])

    def is_function_level(self, importer: str, imported: str) -> bool:
        """Every statement making this edge runs inside a function."""
        return all(site.function_level for site in self.edges[importer][imported])

    def function_level_imports(self) -> list[ImportSite]:
        """The function-level import statements of package modules (not the parent packages
        they run), one per statement and imported module."""
        found = {
            site
            for targets in self.edges.values()
            for sites in targets.values()
            for site in sites
            if site.function_level and not site.parent_package
        }
        return sorted(found, key=lambda site: (site.file, site.line, site.imported))


@dataclass(frozen=True)
class _RawImport:
    """An import statement as written: ``import a.b`` or ``from ..a import b, c``."""

    line: int
    function: str | None
    module: str | None  # a.b (import) / a (from ..a import ...) / None (from .. import ...)
    level: int = 0  # the dots of a relative import
    names: tuple[str, ...] | None = None  # None for ``import a.b``; the names of a from-import


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``<anything>.TYPE_CHECKING`` (typing., typing_extensions., t.)."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _ImportCollector(ast.NodeVisitor):
    """Every import statement of a module, outside ``if TYPE_CHECKING:`` bodies."""

    def __init__(self) -> None:
        self.imports: list[_RawImport] = []
        self._scopes: list[str] = []  # enclosing class and function names
        self._function_depth = 0

    def _function(self) -> str | None:
        return ".".join(self._scopes) if self._function_depth else None

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.append(_RawImport(node.lineno, self._function(), alias.name))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = tuple(alias.name for alias in node.names)
        self.imports.append(
            _RawImport(node.lineno, self._function(), node.module, node.level, names)
        )

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if _is_type_checking(test):
            branches: list[list[ast.stmt]] = [node.orelse]
        elif (
            isinstance(test, ast.UnaryOp)
            and isinstance(test.op, ast.Not)
            and _is_type_checking(test.operand)
        ):
            branches = [node.body]
        else:
            branches = [node.body, node.orelse]
        for branch in branches:
            for statement in branch:
                self.visit(statement)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        # Decorators, defaults and annotations run with the enclosing scope; they hold no
        # import statements, so the whole node is visited as the function's.
        self._scopes.append(getattr(node, "name", "<lambda>"))
        self._function_depth += 1
        self.generic_visit(node)
        self._function_depth -= 1
        self._scopes.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function
    visit_Lambda = _visit_function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scopes.append(node.name)
        self.generic_visit(node)
        self._scopes.pop()


def discover_modules(package_dir: Path) -> tuple[dict[str, Module], set[str]]:
    """The package's modules by name, and the names of all its package folders (with or
    without an ``__init__.py``: a folder without one is a namespace package)."""
    root = package_dir.name
    modules: dict[str, Module] = {}
    packages: set[str] = {root}
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir)
        folders = relative.parts[:-1]
        if any(part == "__pycache__" or part.startswith(".") for part in folders):
            continue
        for depth in range(1, len(folders) + 1):
            packages.add(".".join((root, *folders[:depth])))
        is_package = path.name == "__init__.py"
        parts = (root, *folders) if is_package else (root, *folders, path.stem)
        name = ".".join(parts)
        modules[name] = Module(name, path, is_package)
    return modules, packages


def _resolve_relative(importer: Module, level: int, module: str | None) -> str | None:
    """The absolute module a relative import names; None if it goes above the package."""
    parts = importer.package.split(".")
    if level - 1 >= len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{module}" if module else base


class _GraphBuilder:
    def __init__(self, package_dir: Path) -> None:
        self.package_dir = package_dir
        modules, self.packages = discover_modules(package_dir)
        self.graph = Graph(root=package_dir.name, modules=modules)
        self.errors: list[str] = []

    def _display(self, path: Path) -> str:
        return path.relative_to(self.package_dir.parent).as_posix()

    def _ours(self, name: str) -> bool:
        return name == self.graph.root or name.startswith(self.graph.root + ".")

    def _is_module(self, name: str) -> bool:
        """A file or a folder of the package (``from X import y`` finds a submodule ``y``)."""
        return name in self.graph.modules or name in self.packages

    def _edge(self, importer: Module, imported: str, site: ImportSite) -> None:
        if imported != importer.name and imported in self.graph.modules:
            self.graph.edges.setdefault(importer.name, {}).setdefault(imported, set()).add(site)

    def _import(self, importer: Module, raw: _RawImport, target: str) -> None:
        """``importer`` imports module ``target``: an edge to it and to the packages it runs."""
        site = ImportSite(self._display(importer.path), raw.line, target, raw.function)
        if not self._is_module(target):
            self.graph.unresolved.append((importer.name, target, site.describe()))
        self._edge(importer, target, site)
        parts = target.split(".")
        for depth in range(1, len(parts)):
            parent = ".".join(parts[:depth])
            if importer.name.startswith(parent + "."):
                continue  # the importer's own package: already running, not run again
            parent_site = ImportSite(
                site.file, site.line, target, site.function, parent_package=True
            )
            self._edge(importer, parent, parent_site)

    def add_module(self, module: Module) -> None:
        try:
            tree = ast.parse(module.path.read_bytes(), filename=str(module.path))
        except (SyntaxError, ValueError) as exc:
            self.errors.append(f"{self._display(module.path)}: cannot parse: {exc}")
            return
        collector = _ImportCollector()
        collector.visit(tree)
        for raw in collector.imports:
            if raw.names is None:  # import a.b.c
                assert raw.module is not None
                if self._ours(raw.module):
                    self._import(module, raw, raw.module)
                continue
            if raw.level:
                base = _resolve_relative(module, raw.level, raw.module)
                if base is None:
                    where = f"{self._display(module.path)}:{raw.line}"
                    self.errors.append(f"{where}: relative import beyond the top-level package")
                    continue
            else:
                assert raw.module is not None
                base = raw.module
            if not self._ours(base):
                continue
            names_in_base = False
            for name in raw.names:
                submodule = f"{base}.{name}"
                if name != "*" and self._is_module(submodule):
                    self._import(module, raw, submodule)
                else:
                    names_in_base = True
            if names_in_base:
                self._import(module, raw, base)


def build_graph(package_dir: Path) -> tuple[Graph, list[str]]:
    """The import graph of the package in ``package_dir``, and the errors met reading it."""
    builder = _GraphBuilder(package_dir)
    for module in builder.graph.modules.values():
        builder.add_module(module)
    return builder.graph, builder.errors


def strongly_connected_components(
    nodes: Iterable[str], successors: Callable[[str], Iterable[str]]
) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit); each component sorted."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(successors(start)))]
        index[start] = lowlink[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = lowlink[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors(child))))
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[node])
                if lowlink[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _cycle_path(
    start: str, members: set[str], successors: Callable[[str], Iterable[str]]
) -> list[str] | None:
    """A shortest cycle through ``start`` inside ``members`` (``[a, b, a]``), or None."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in successors(node):
            if child == start:
                path = [node]
                while (before := previous[path[-1]]) is not None:
                    path.append(before)
                return [*reversed(path), start]
            if child in members and child not in previous:
                previous[child] = node
                queue.append(child)
    return None


@dataclass(frozen=True)
class Cycle:
    members: list[str]  # the strongly connected component, sorted
    path: list[str]  # one concrete cycle in it: [a, b, c, a]
    lazy: bool  # every cycle in it goes through a function-level import


def find_cycles(graph: Graph) -> list[Cycle]:
    """Each strongly connected component with a cycle, with one shortest cycle path in it: one
    of module-level imports only if there is one (through its first member that has one)."""

    def top_level(node: str) -> list[str]:
        return [
            child for child in graph.successors(node) if not graph.is_function_level(node, child)
        ]

    cycles: list[Cycle] = []
    for component in strongly_connected_components(sorted(graph.modules), graph.successors):
        start = component[0]
        if len(component) == 1 and start not in graph.edges.get(start, {}):
            continue
        members = set(component)
        for member in component:
            path = _cycle_path(member, members, top_level)
            if path is not None:
                cycles.append(Cycle(component, path, lazy=False))
                break
        else:
            path = _cycle_path(start, members, graph.successors)
            assert path is not None  # a strongly connected component has a cycle through start
            cycles.append(Cycle(component, path, lazy=True))
    return sorted(cycles, key=lambda cycle: cycle.members)


def format_graph(graph: Graph) -> list[str]:
    lines = []
    for name in sorted(graph.modules):
        deps = graph.successors(name)
        top = [dep for dep in deps if not graph.is_function_level(name, dep)]
        function_only = [dep for dep in deps if graph.is_function_level(name, dep)]
        text = f"{name} ->"
        if top:
            text += " " + ", ".join(top)
        if function_only:
            text += f" (fn: {', '.join(function_only)})"
        if not deps:
            text += " (none)"
        lines.append(text)
    return lines


def _describe_edge_site(site: ImportSite, imported: str) -> str:
    text = site.describe()
    if site.parent_package:
        text += f", which first runs its package {imported}"
    return text


def format_cycle(graph: Graph, number: int, cycle: Cycle) -> list[str]:
    size = len(cycle.members)
    header = f"Cycle {number}: {size} module{'s' if size > 1 else ''}: {', '.join(cycle.members)}"
    if cycle.lazy:
        header += " (every cycle in it goes through a function-level import)"
    lines = [header, "  " + " -> ".join(cycle.path)]
    on_path = set(zip(cycle.path, cycle.path[1:], strict=False))
    for importer, imported in zip(cycle.path, cycle.path[1:], strict=False):
        kind = " (function-level only)" if graph.is_function_level(importer, imported) else ""
        lines.append(f"    {importer} -> {imported}{kind}:")
        lines.extend(
            f"      {_describe_edge_site(site, imported)}"
            for site in graph.sites(importer, imported)
        )
    members = set(cycle.members)
    others = [
        f"{importer} -> {imported}"
        + (" (fn)" if graph.is_function_level(importer, imported) else "")
        for importer in cycle.members
        for imported in graph.successors(importer)
        if imported in members and (importer, imported) not in on_path
    ]
    if others:
        lines.append(f"  other edges inside it: {', '.join(others)}")
    return lines


def report(
    graph: Graph, cycles: Sequence[Cycle], max_function_imports: int | None
) -> tuple[list[str], bool]:
    """The printed report and whether it fails (a cycle, or too many function-level imports)."""
    edge_count = sum(len(targets) for targets in graph.edges.values())
    lines = [f"Import graph of {graph.root}: {len(graph.modules)} modules, {edge_count} edges"]
    lines += format_graph(graph)
    function_level = graph.function_level_imports()
    lines += ["", f"Function-level imports of {graph.root} modules: {len(function_level)}"]
    lines += [f"  {site.describe()}" for site in function_level]
    failed = False
    if max_function_imports is not None and len(function_level) > max_function_imports:
        failed = True
        lines.append(
            f"FAIL: {len(function_level)} function-level imports, more than"
            f" --max-function-imports {max_function_imports}"
        )
    if graph.unresolved:
        lines += ["", f"Imports of {graph.root} names matching no module: {len(graph.unresolved)}"]
        lines += [f"  {where}" for _importer, _target, where in graph.unresolved]
    lines.append("")
    if cycles:
        failed = True
        lines.append(f"Import cycles: {len(cycles)}")
        for number, cycle in enumerate(cycles, start=1):
            lines += format_cycle(graph, number, cycle)
    else:
        lines.append("No import cycles.")
    return lines, failed


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.import_graph",
        description="The import graph of a package (read with ast) and its import cycles.",
    )
    parser.add_argument(
        "package_dir",
        nargs="?",
        type=Path,
        default=DEFAULT_PACKAGE_DIR,
        help=f"the package's folder (default: {DEFAULT_PACKAGE_DIR})",
    )
    parser.add_argument(
        "--max-function-imports",
        type=_non_negative,
        default=None,
        metavar="N",
        help="fail if more than N imports of the package's modules are inside functions",
    )
    args = parser.parse_args(argv)
    package_dir: Path = args.package_dir.resolve()
    if not package_dir.is_dir() or not package_dir.name.isidentifier():
        print(f"error: {package_dir} is not a package folder", file=sys.stderr)
        return 2
    graph, errors = build_graph(package_dir)
    if not graph.modules:
        print(f"error: no .py files under {package_dir}", file=sys.stderr)
        return 2
    lines, failed = report(graph, find_cycles(graph), args.max_function_imports)
    print("\n".join(lines))
    if errors:
        print("\n".join(f"error: {error}" for error in errors), file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
