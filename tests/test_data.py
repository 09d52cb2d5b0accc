"""Data: JSON for the page's own JavaScript, carried in a script element, escaped."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from dashboards_sse import InvalidValue
from tests.testapp.dashboards import Activity


def test_the_value_is_plain_json_in_a_script_element() -> None:
    data = Activity.get_component("prices")
    state = data.update(None, {"tea": Decimal("2.50"), "ids": (1, 2), "note": "</script><b>"})
    assert state == {"value": {"tea": "2.50", "ids": [1, 2], "note": "</script><b>"}}
    html = str(data.render(state))
    assert html.startswith('<script class="dsse-data" type="application/json">')
    assert "</script><b>" not in html  # escaped: the page's script cannot be closed
    body = html.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(body) == state["value"]
    assert json.loads(str(data.render(None)).split(">", 1)[1].rsplit("<", 1)[0]) is None


@pytest.mark.parametrize("bad", [math.nan, object(), {1, 2}])
def test_what_is_not_json_is_refused(bad: object) -> None:
    with pytest.raises(InvalidValue, match="data 'prices': expected JSON data"):
        Activity.get_component("prices").update(None, bad)
