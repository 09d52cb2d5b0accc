from __future__ import annotations

from collections.abc import Iterator

import pytest


def _subclasses(cls: type) -> set[type]:
    found, pending = set(), [cls]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.add(sub)
            pending.append(sub)
    return found


@pytest.fixture
def isolated_twins() -> Iterator[None]:
    """Dashboards a test declares get twins like any other: afterwards they are made abstract
    (the finder skips those; the classes may outlive the test) and their twins forgotten."""
    from dashboards.dashboard import Dashboard

    from dashboards_sse import registry
    from dashboards_sse.contrib.django_dashboards import bridge

    before = _subclasses(Dashboard)
    dashboards, aliases = dict(registry._dashboards), dict(registry._aliases)
    twins, reported = dict(bridge._twins), set(bridge._reported)
    problems = list(registry.problems)
    yield
    for declared in _subclasses(Dashboard) - before:
        declared._meta.abstract = True
    for saved, live in ((dashboards, registry._dashboards), (aliases, registry._aliases)):
        live.clear()
        live.update(saved)
    bridge._twins.clear()
    bridge._twins.update(twins)
    bridge._reported.clear()
    bridge._reported.update(reported)
    registry.problems[:] = problems
