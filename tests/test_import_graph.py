"""tests/import_graph.py on synthetic packages written into tmp_path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.import_graph import (
    Graph,
    build_graph,
    find_cycles,
    main,
    report,
    strongly_connected_components,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def write_package(tmp_path: Path, files: dict[str, str], name: str = "pkg") -> Path:
    """``files`` maps paths inside the package (``sub/mod.py``) to their source; every folder
    gets an empty ``__init__.py`` unless ``files`` gives one."""
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        folder = path.parent
        while folder != root:
            (folder / "__init__.py").touch()
            folder = folder.parent
        path.write_text(textwrap.dedent(source))
    return root


def graph_of(root: Path) -> Graph:
    graph, errors = build_graph(root)
    assert errors == []
    return graph


def cycle_paths(graph: Graph) -> list[list[str]]:
    return [cycle.path for cycle in find_cycles(graph)]


def test_cycle_through_module_level_imports(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "a.py": "from . import b\n",
            "b.py": "from .c import thing\n",
            "c.py": "import pkg.a\nthing = 1\n",
            "d.py": "from .a import x\n",  # into the cycle, not part of it
        },
    )
    graph = graph_of(root)
    cycles = find_cycles(graph)
    assert [cycle.members for cycle in cycles] == [["pkg.a", "pkg.b", "pkg.c"]]
    assert cycles[0].path == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    assert not cycles[0].lazy
    assert not graph.is_function_level("pkg.c", "pkg.a")


def test_cycle_closed_only_by_a_function_level_import(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "a.py": "from .b import helper\n",
            "b.py": """\
                def helper():
                    from .a import x
                    return x

                class Lazy:
                    def method(self):
                        import pkg.a
                """,
        },
    )
    graph = graph_of(root)
    assert cycle_paths(graph) == [["pkg.a", "pkg.b", "pkg.a"]]
    assert [cycle.lazy for cycle in find_cycles(graph)] == [True]
    assert graph.is_function_level("pkg.b", "pkg.a")
    sites = graph.sites("pkg.b", "pkg.a")
    assert [(site.line, site.function) for site in sites] == [(2, "helper"), (7, "Lazy.method")]


def test_an_import_under_type_checking_closes_no_cycle(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "a.py": "from .b import helper\n",
            "b.py": """\
                import typing
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from .a import A
                if typing.TYPE_CHECKING:
                    import pkg.a

                    def f():
                        from . import a
                def helper():
                    if TYPE_CHECKING:
                        from .a import A
                """,
        },
    )
    graph = graph_of(root)
    assert graph.adjacency() == {"pkg.a": ["pkg.b"]}
    assert find_cycles(graph) == []
    assert main([str(root)]) == 0


def test_imports_in_if_else_try_and_class_bodies_count(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "a.py": """\
                import sys
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from . import skipped
                else:
                    from . import in_else
                if not TYPE_CHECKING:
                    from . import in_not
                else:
                    from . import skipped
                try:
                    from . import in_try
                except ImportError:
                    from . import in_except
                if sys.platform == "win32":
                    from . import in_if
                elif sys.platform == "darwin":
                    from . import in_elif
                class K:
                    from . import in_class
                """,
            **{
                f"{name}.py": ""
                for name in (
                    "skipped",
                    "in_else",
                    "in_not",
                    "in_try",
                    "in_except",
                    "in_if",
                    "in_elif",
                    "in_class",
                )
            },
        },
    )
    graph = graph_of(root)
    assert graph.adjacency()["pkg.a"] == [
        "pkg.in_class",
        "pkg.in_elif",
        "pkg.in_else",
        "pkg.in_except",
        "pkg.in_if",
        "pkg.in_not",
        "pkg.in_try",
    ]
    assert graph.function_level_imports() == []


def test_relative_imports_resolve_at_every_level(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "__init__.py": "NAME = 1\n",
            "top.py": "",
            "sub/__init__.py": """\
                from . import helper
                from .. import top
                from ..top import x
                """,
            "sub/helper.py": "",
            "sub/deep/__init__.py": "from .. import helper\n",  # a package: '..' is pkg.sub
            "sub/deep/sibling.py": "",
            "sub/deep/mod.py": """\
                from . import sibling
                from .sibling import y
                from .. import helper
                from ..helper import z
                from ... import top
                from ... import NAME
                from ...sub.deep import sibling
                """,
            "absolute.py": """\
                import pkg.sub.helper
                from pkg.sub.deep import sibling
                from pkg import NAME
                import os.path
                from json import loads
                """,
        },
    )
    graph = graph_of(root)
    edges = graph.adjacency()
    assert edges["pkg.sub"] == ["pkg.sub.helper", "pkg.top"]
    assert edges["pkg.sub.deep"] == ["pkg.sub.helper"]
    # pkg, pkg.sub and pkg.sub.deep contain mod: no edge to them for running them, but
    # `from ... import NAME` uses pkg's namespace.
    assert edges["pkg.sub.deep.mod"] == [
        "pkg",
        "pkg.sub.deep.sibling",
        "pkg.sub.helper",
        "pkg.top",
    ]
    assert edges["pkg.absolute"] == [
        "pkg",
        "pkg.sub",
        "pkg.sub.deep",
        "pkg.sub.deep.sibling",
        "pkg.sub.helper",
    ]
    assert graph.unresolved == []


def test_from_dot_import_resolves_to_the_submodule_or_the_package(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "__init__.py": "VALUE = 1\n",
            "a.py": "from . import b\n",
            "b.py": "from . import VALUE\n",
            "c.py": "from . import a, VALUE\n",
            "d.py": "from . import *\n",
            "e.py": "from .nested import leaf\n",
            "nested/leaf.py": "",
        },
    )
    edges = graph_of(root).adjacency()
    assert edges["pkg.a"] == ["pkg.b"]  # not pkg: pkg.a's own package is already running
    assert edges["pkg.b"] == ["pkg"]
    assert edges["pkg.c"] == ["pkg", "pkg.a"]
    assert edges["pkg.d"] == ["pkg"]
    assert edges["pkg.e"] == ["pkg.nested", "pkg.nested.leaf"]


def test_a_package_init_importing_its_children(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "__init__.py": "from .a import A\nfrom .sub import S\n",
            "a.py": "from .b import B\nfrom .sub.mod import M\nA = B\n",
            "b.py": "B = 1\n",
            "sub/__init__.py": "from .mod import M as S\n",
            "sub/mod.py": "from .. import b\nM = 1\n",
        },
    )
    graph = graph_of(root)
    assert graph.adjacency() == {
        "pkg": ["pkg.a", "pkg.sub"],
        # importing pkg.sub.mod runs pkg/sub/__init__ (not pkg/__init__: pkg.a is in it)
        "pkg.a": ["pkg.b", "pkg.sub", "pkg.sub.mod"],
        "pkg.sub": ["pkg.sub.mod"],
        "pkg.sub.mod": ["pkg.b"],
    }
    (site,) = graph.sites("pkg.a", "pkg.sub")
    assert (site.line, site.imported, site.parent_package) == (2, "pkg.sub.mod", True)
    assert find_cycles(graph) == []


def test_a_cycle_through_a_parent_package_init(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "c.py": "from .sub.mod import M\n",
            "sub/__init__.py": "from ..c import helper\n",
            "sub/mod.py": "M = 1\n",
        },
    )
    graph = graph_of(root)
    assert cycle_paths(graph) == [["pkg.c", "pkg.sub", "pkg.c"]]
    out = "\n".join(_report_lines(root))
    assert "pkg/c.py:1 imports pkg.sub.mod, which first runs its package pkg.sub" in out


def test_a_child_using_its_package_init_while_the_init_imports_it(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {"__init__.py": "from .a import A\nVALUE = 1\n", "a.py": "from pkg import VALUE\n"},
    )
    assert cycle_paths(graph_of(root)) == [["pkg", "pkg.a", "pkg"]]


def _report_lines(root: Path) -> list[str]:
    graph = graph_of(root)
    lines, _failed = report(graph, find_cycles(graph), None)
    return lines


def test_report_lists_graph_function_imports_and_cycles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_package(
        tmp_path,
        {
            "a.py": "from . import b\n\ndef f():\n    from . import c\n",
            "b.py": "from .a import f\n",
            "c.py": "",
        },
    )
    assert main([str(root)]) == 1
    out = capsys.readouterr().out
    assert "pkg -> (none)\n" in out
    assert "pkg.a -> pkg.b (fn: pkg.c)\n" in out
    assert "pkg.b -> pkg.a\n" in out
    assert "Function-level imports of pkg modules: 1\n" in out
    assert "  pkg/a.py:4 imports pkg.c (function-level, in f)\n" in out
    assert "Import cycles: 1\n" in out
    assert "Cycle 1: 2 modules: pkg.a, pkg.b\n" in out
    assert "  pkg.a -> pkg.b -> pkg.a\n" in out
    assert "      pkg/a.py:1 imports pkg.b\n" in out
    assert "      pkg/b.py:1 imports pkg.a\n" in out


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = write_package(tmp_path, {"a.py": "from . import b\n", "b.py": ""}, name="clean")
    assert main([str(clean)]) == 0
    assert "No import cycles." in capsys.readouterr().out
    cyclic = write_package(
        tmp_path, {"a.py": "from . import b\n", "b.py": "from . import a\n"}, name="cyclic"
    )
    assert main([str(cyclic)]) == 1
    broken = write_package(tmp_path, {"a.py": "def (:\n"}, name="broken")
    assert main([str(broken)]) == 2
    assert "broken/a.py: cannot parse" in capsys.readouterr().err
    beyond = write_package(tmp_path, {"a.py": "from .. import x\n"}, name="beyond")
    assert main([str(beyond)]) == 2
    assert "beyond/a.py:1: relative import beyond the top-level package" in (
        capsys.readouterr().err
    )
    assert main([str(tmp_path / "missing")]) == 2


def test_max_function_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_package(
        tmp_path,
        {
            "a.py": """\
                import json

                def f():
                    from . import b, c
                    import json

                def g():
                    from pkg.b import x
                """,
            "b.py": "",
            "c.py": "",
        },
    )
    assert len(graph_of(root).function_level_imports()) == 3  # json isn't the package's
    assert main([str(root)]) == 0
    assert main([str(root), "--max-function-imports", "3"]) == 0
    capsys.readouterr()
    assert main([str(root), "--max-function-imports", "2"]) == 1
    out = capsys.readouterr().out
    assert "FAIL: 3 function-level imports, more than --max-function-imports 2" in out
    assert "No import cycles." in out


def test_cli(tmp_path: Path) -> None:
    root = write_package(tmp_path, {"a.py": "from .b import x\n", "b.py": "import pkg.a\n"})
    result = subprocess.run(
        [sys.executable, "-m", "tests.import_graph", str(root), "--max-function-imports", "0"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "pkg.a -> pkg.b\n" in result.stdout
    assert "  pkg.a -> pkg.b -> pkg.a\n" in result.stdout
    assert "Function-level imports of pkg modules: 0\n" in result.stdout
    assert result.stderr == ""


def test_strongly_connected_components() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["e"], "e": ["d"], "f": ["f"]}
    components = strongly_connected_components(sorted(edges), lambda node: edges[node])
    assert sorted(components) == [["a", "b", "c"], ["d", "e"], ["f"]]


def test_the_cycle_path_prefers_module_level_imports(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "a.py": "from . import b, c\n",
            "b.py": "def f():\n    from . import a\n",
            "c.py": "from . import d\n",
            "d.py": "from . import a\n",
        },
    )
    cycles = find_cycles(graph_of(root))
    assert [cycle.members for cycle in cycles] == [["pkg.a", "pkg.b", "pkg.c", "pkg.d"]]
    assert cycles[0].path == ["pkg.a", "pkg.c", "pkg.d", "pkg.a"]


def test_a_module_level_cycle_not_through_the_first_member_is_preferred(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_package(
        tmp_path,
        {
            "a.py": "from . import b\n",
            "b.py": "from . import c\n\ndef f():\n    from . import a\n",
            "c.py": "from . import b\n",
        },
    )
    (cycle,) = find_cycles(graph_of(root))
    assert (cycle.members, cycle.path, cycle.lazy) == (
        ["pkg.a", "pkg.b", "pkg.c"],
        ["pkg.b", "pkg.c", "pkg.b"],
        False,
    )
    assert main([str(root)]) == 1
    out = capsys.readouterr().out
    assert "Cycle 1: 3 modules: pkg.a, pkg.b, pkg.c\n" in out
    assert "  other edges inside it: pkg.a -> pkg.b, pkg.b -> pkg.a (fn)\n" in out


# The function-level imports the package keeps, each for Django's or pytest's loading order
# (apps.py: access needs the auth models; pytest_plugin.py: the package needs settings).
ALLOWED_FUNCTION_IMPORTS = 2


def test_the_package_imports_one_way(capsys: pytest.CaptureFixture[str]) -> None:
    package = Path(__file__).resolve().parent.parent / "dashboards_sse"
    code = main([str(package), "--max-function-imports", str(ALLOWED_FUNCTION_IMPORTS)])
    assert code == 0, capsys.readouterr().out
