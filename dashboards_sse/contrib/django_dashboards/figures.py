"""An SSEChart's state: a Plotly figure, windowed, with counters that make updates idempotent.

State: ``{"figure": {"data": [...], "layout": {...}}, "generation": g, "appended": [n, ...]}``.
``generation`` grows each time a whole figure is pushed; ``appended[i]`` counts the points ever
appended to trace ``i`` in that generation. Every event carries the whole (windowed) figure and
the counters; the browser compares them with what it shows and calls ``Plotly.extendTraces``
with only the points it lacks, or ``Plotly.react`` when the figure was replaced. So an event
replayed after a reconnect, or merged by ``batch()``/``max_rate``, never draws a point twice.
"""

from __future__ import annotations

import base64
import json
import sys
from array import array
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ...exceptions import InvalidValue
from ...values import as_number, as_point, as_text, describe

State = dict[str, Any]
MAX_TRACES = 50
MAX_POINTS = 5_000
MAX_X_CHARS = 200

# numpy dtypes Plotly (Python, 6+) writes as base64 "bdata", and array typecodes to read them.
_TYPECODES = {"i1": "b", "u1": "B", "i2": "h", "u2": "H", "i4": "i", "u4": "I", "f4": "f"}
_TYPECODES.update({"i8": "q", "u8": "Q", "f8": "d"})


def empty_figure(name: str) -> dict[str, Any]:
    """The figure points are appended to before any figure was pushed: one line trace."""
    return {
        "data": [{"type": "scatter", "mode": "lines", "name": name, "x": [], "y": []}],
        "layout": {"margin": {"l": 40, "r": 10, "t": 10, "b": 30}},
    }


def as_figure(raw: Any, where: str) -> dict[str, Any]:
    """A Plotly figure from a ``plotly`` Figure, its JSON text or a dict with ``data``."""
    if hasattr(raw, "to_json") and callable(raw.to_json):
        raw = raw.to_json()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            message = f"{where}: text pushed to a chart must be a figure's JSON."
            raise InvalidValue(message) from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("data"), list):
        raise InvalidValue(
            f"{where}: a figure is a mapping with a 'data' list of traces, got {describe(raw)}."
        )
    if len(raw["data"]) > MAX_TRACES:
        raise InvalidValue(f"{where}: {len(raw['data'])} traces exceed the limit of {MAX_TRACES}.")
    if not all(isinstance(trace, Mapping) for trace in raw["data"]):
        raise InvalidValue(f"{where}: every trace in 'data' must be a mapping.")
    layout = raw.get("layout", {})
    if not isinstance(layout, Mapping):
        raise InvalidValue(f"{where}: a figure's 'layout' must be a mapping.")
    try:
        plain = json.loads(json.dumps({"data": raw["data"], "layout": layout}, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{where}: the figure is not plain JSON data ({exc}).") from None
    return _decode_arrays(plain, where)


def _decode_arrays(value: Any, where: str) -> Any:
    """Plotly 6+ encodes numpy arrays as ``{"dtype", "bdata"}``, which the plotly.js that
    django-dashboards ships (2.12) cannot read and which points cannot be appended to."""
    if isinstance(value, dict):
        if set(value) <= {"dtype", "bdata", "shape"} and {"dtype", "bdata"} <= set(value):
            return _decode_array(value, where)
        return {key: _decode_arrays(item, where) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_arrays(item, where) for item in value]
    return value


def _decode_array(encoded: dict[str, Any], where: str) -> list[Any]:
    typecode = _TYPECODES.get(encoded["dtype"])
    shape = encoded.get("shape")
    if typecode is None or (shape is not None and "," in str(shape).strip(",")):
        raise InvalidValue(
            f"{where}: cannot read the encoded array of dtype {encoded['dtype']!r} "
            f"(shape {shape!r}); pass plain lists."
        )
    values = array(typecode)
    values.frombytes(base64.b64decode(encoded["bdata"]))
    if sys.byteorder == "big":  # numpy writes little-endian
        values.byteswap()
    return values.tolist()


def x_value(raw: Any, where: str) -> float | int | str:
    """An x coordinate as Plotly reads it: a number, a category, or a date string."""
    if isinstance(raw, datetime):
        if timezone.is_aware(raw):
            raw = timezone.localtime(raw).replace(tzinfo=None)
        return raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, str):
        return as_text(raw, where + " x", MAX_X_CHARS)
    return as_number(raw, where, "a number, text or datetime for x")


def as_points(raw: Any, where: str) -> list[tuple[float | int | str, float | int]]:
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise InvalidValue(f"{where}: points are a list of (x, y), got {describe(raw)}.")
    if len(raw) > MAX_POINTS:
        raise InvalidValue(f"{where}: {len(raw)} points exceed the limit of {MAX_POINTS}.")
    return [as_point(item, where, x=x_value) for item in raw]


def is_figure(raw: Any) -> bool:
    return (
        isinstance(raw, str)
        or (hasattr(raw, "to_json") and callable(raw.to_json))
        or (isinstance(raw, Mapping) and "data" in raw)
    )


def additions(raw: Any, where: str) -> dict[int | str, list[tuple[Any, Any]]]:
    """Points to append, by trace (index or name): a number (y now), a point, or a mapping
    ``{"point": p}``, ``{"points": [...]}`` or ``{"traces": {name_or_index: [...]}}``."""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        return {0: [(x_value(timezone.now(), where), as_number(raw, where))]}
    if isinstance(raw, Mapping) and set(raw) == {"x", "y"}:
        return {0: [as_point(raw, where, x=x_value)]}
    if isinstance(raw, Mapping):
        if len(raw) != 1 or next(iter(raw)) not in {"point", "points", "traces"}:
            raise InvalidValue(
                f"{where}: a mapping is a figure (with 'data') or has exactly one key of "
                f"'point', 'points' or 'traces', got keys {sorted(map(str, raw))}."
            )
        ((key, body),) = raw.items()
        if key == "point":
            return {0: [as_point(body, where, x=x_value)]}
        if key == "points":
            return {0: as_points(body, where)}
        if not isinstance(body, Mapping) or not body:
            raise InvalidValue(f"{where}: 'traces' maps trace names or indexes to points.")
        return {trace: as_points(points, where) for trace, points in body.items()}
    if isinstance(raw, list | tuple):
        return {0: [as_point(raw, where, x=x_value)]}
    raise InvalidValue(
        f"{where}: expected a figure, a number, a point (x, y) or a mapping with 'point', "
        f"'points' or 'traces', got {describe(raw)}."
    )


def replaced(state: State | None, figure: dict[str, Any]) -> State:
    generation = state["generation"] + 1 if state else 0
    return {"figure": figure, "generation": generation, "appended": [0] * len(figure["data"])}


def appended(
    state: State, added: dict[int | str, list[tuple[Any, Any]]], window: int, where: str
) -> State:
    """``state`` with ``added`` appended to its traces, each trimmed to its newest ``window``."""
    figure = json.loads(json.dumps(state["figure"]))  # a copy: states are stored, not shared
    counts = list(state["appended"])
    traces = figure["data"]
    for key, points in added.items():
        index = _trace_index(traces, key, where)
        trace = traces[index]
        if "x" not in trace and trace.get("y"):  # Plotly's implicit x (0, 1, ...) cannot grow
            raise InvalidValue(
                f"{where}: trace {key!r} has y values but no x list; give the figure's traces "
                "x values to append points to them."
            )
        xs, ys = trace.setdefault("x", []), trace.setdefault("y", [])
        if not isinstance(xs, list) or not isinstance(ys, list):
            raise InvalidValue(f"{where}: trace {key!r} has no x/y lists to append to.")
        xs.extend(x for x, _ in points)
        ys.extend(y for _, y in points)
        trace["x"], trace["y"] = xs[-window:], ys[-window:]
        counts[index] += len(points)
    return {"figure": figure, "generation": state["generation"], "appended": counts}


def _trace_index(traces: list[dict[str, Any]], key: int | str, where: str) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(traces):
        return key
    for index, trace in enumerate(traces):
        if isinstance(key, str) and trace.get("name") == key:
            return index
    names = [trace.get("name", index) for index, trace in enumerate(traces)]
    raise InvalidValue(f"{where}: no trace {key!r}; traces: {names}.")


def script_json(value: Any) -> str:
    """JSON safe inside ``<script>`` and HTML attributes (``</script>`` cannot end it early)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
