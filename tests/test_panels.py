"""Panels that colour themselves: Stat thresholds, Gauge (a value in a range), Status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dashboards_sse import Dashboard, Gauge, InvalidValue, Stat, Status, registry


@pytest.fixture
def panels() -> Iterator[type[Dashboard]]:
    class Panels(Dashboard):
        slug = "t-panels.panels"
        cpu = Stat(unit="%", thresholds=[(0, "ok"), (80, "warn"), (95, "crit")])
        disk = Gauge(label="Disk", max=500, unit=" GB", thresholds=[(0, "ok"), (400, "warn")])
        api = Status(label="API")

    yield Panels
    registry.unregister(Panels)


def html(dashboard: type[Dashboard], name: str, raw: Any) -> str:
    component = dashboard.get_component(name)
    return str(component.render(component.update(None, raw)))


@pytest.mark.parametrize(
    ("value", "state"), [(-1, None), (0, "ok"), (79.9, "ok"), (80, "warn"), (99, "crit")]
)
def test_stat_thresholds_set_the_state(panels: type[Dashboard], value: float, state: str) -> None:
    rendered = html(panels, "cpu", value)
    if state is None:
        assert "data-dsse-state" not in rendered
    else:
        assert f'<div class="dsse-value" data-dsse-state="{state}">' in rendered


@pytest.mark.parametrize(
    "bad",
    [[(80, "warn"), (0, "ok")], [(0, "OK!")], [("zero", "ok")], [(0,)], [(True, "ok")]],
)
def test_thresholds_are_checked_at_declaration(bad: Any) -> None:
    with pytest.raises(ValueError, match="threshold"):
        Stat(thresholds=bad)


def test_gauge_is_a_meter_within_its_range(panels: type[Dashboard]) -> None:
    rendered = html(panels, "disk", 420)
    assert 'role="meter"' in rendered and 'aria-valuenow="420"' in rendered
    assert 'aria-valuemin="0.0" aria-valuemax="500.0"' in rendered
    assert 'style="width: 84.0%"' in rendered and 'data-dsse-state="warn"' in rendered
    assert 'style="width: 100.0%"' in html(panels, "disk", 900)  # clamped, shown as it is
    assert ">900<" in html(panels, "disk", 900)
    with pytest.raises(InvalidValue, match="gauge 'disk': expected a number"):
        html(panels, "disk", "full")
    with pytest.raises(ValueError, match="max must be above min"):
        Gauge(min=5, max=5)


def test_status_badge_has_its_state_and_text(panels: type[Dashboard]) -> None:
    rendered = html(panels, "api", {"status": "warn", "text": "<b>3 of 4</b> nodes"})
    assert 'data-dsse-state="warn"' in rendered
    assert "&lt;b&gt;3 of 4&lt;/b&gt; nodes" in rendered  # escaped
    assert 'aria-label="API: warn, &lt;b&gt;3 of 4&lt;/b&gt; nodes"' in rendered
    assert ">Down</div>" in html(panels, "api", "down")  # the state's name without a text
    assert ">Unknown</div>" in str(panels.get_component("api").render(None))
    for bad in ("fine", {"text": "x"}, {"status": "ok", "colour": "red"}):
        with pytest.raises(InvalidValue, match="status 'api'"):
            html(panels, "api", bad)
