from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import Stack, running_stack
from tests.postgres import Postgres, find_bindir


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from running_stack(Path(tmp_path_factory.mktemp("stack")))


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster (Debian's server binaries) with an empty database."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (make system-deps installs them)")
    with Postgres(bindir) as pg:
        yield pg


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
