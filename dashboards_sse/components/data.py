"""Data: JSON for the page's own JavaScript, for users who draw with their own chart library.

Push any JSON value (a number, a list, a mapping, up to ``MAX_HTML_BYTES`` encoded). The page
carries it in a ``<script type="application/json">`` (escaped for a script element), and every
push fires a ``dsse:data`` event on the component's element with the value as ``detail``::

    document.querySelector("#dsse-shop-sales-prices")
      .addEventListener("dsse:data", (event) => myChart.update(event.detail));

``dashboardsSSE.data(element)`` reads the value shown now (on first render, before any push).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import json_script
from django.utils.safestring import SafeString

from ..exceptions import InvalidValue
from ..types import State
from ..values import describe
from .base import Component


class Data(Component):
    kind = "data"

    def update(self, state: State | None, raw: Any) -> State:
        try:
            # plain JSON only: the value must come back the same in the browser
            value = json.loads(json.dumps(raw, cls=DjangoJSONEncoder, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise InvalidValue(
                f"{self.where()}: expected JSON data, got {describe(raw)} ({exc})."
            ) from None
        return {"value": value}

    def render(self, state: State | None) -> SafeString:
        value = None if state is None else state["value"]
        script = str(json_script(value))  # <script type="application/json">, escaped
        return SafeString(script.replace("<script ", '<script class="dsse-data" ', 1))
