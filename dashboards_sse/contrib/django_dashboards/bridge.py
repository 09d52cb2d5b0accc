"""Each django-dashboards dashboard with SSE components gets a *twin*: a dashboards_sse
Dashboard registered under ``dd.<its slug>``, whose components wrap the SSE ones. Pushing,
``batch()``, ``max_rate``, storage, replay, the stream view, its permission checks and the
cut-off of revoked viewers are then dashboards_sse's own, unchanged.

Twins are made by a registry *finder*: it walks django-dashboards' Dashboard subclasses before
a lookup misses and before every listing, so a dashboard defined at any time is found.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from dashboards.dashboard import Dashboard as UpstreamDashboard
from dashboards.dashboard import ModelDashboard
from django.http import Http404, HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString

from ... import registry
from ...components import Component
from ...dashboard import Dashboard
from ...types import State
from .components import LiveComponent

logger = logging.getLogger("dashboards_sse")

SLUG_PREFIX = "dd."
_twins: dict[type, type[LiveDashboard]] = {}
_reported: set[type] = set()


class BridgedComponent(Component):
    """A dashboards_sse component that validates and renders through an SSE component."""

    def __init__(self, upstream: LiveComponent) -> None:
        super().__init__(
            label=getattr(upstream, "verbose_name", None),
            refresh_on=upstream.refresh_on,
            refresh_every=upstream.refresh_every,
            max_rate=upstream.max_rate,
        )
        self.upstream = upstream
        self.kind = upstream.live_kind

    def update(self, state: State | None, raw: Any) -> State:
        return self.upstream.live_update(state, raw, self.where())

    def render(self, state: State | None) -> SafeString:
        if state is None:  # dashboards_sse renders unpushed components on its own pages only
            return SafeString("")
        return SafeString(self.upstream.live_event(state))


class LiveDashboard(Dashboard, abstract=True):
    """The twin of a django-dashboards dashboard (``upstream``)."""

    upstream: ClassVar[type[UpstreamDashboard]]

    @classmethod
    def external_page_url(cls) -> str | None:
        try:
            return str(cls.upstream.get_absolute_url())
        except NoReverseMatch:
            raise Http404(
                f"The dashboard {cls.slug!r} is shown by django-dashboards, and its URLs "
                "(include('dashboards.urls'), registry.register(...)) do not include it."
            ) from None

    @classmethod
    def get_provider(cls, name: str) -> Callable[..., Any] | None:
        component = cls.get_component(name)
        assert isinstance(component, BridgedComponent)
        return _provider(cls.upstream, name, component.upstream)

    @classmethod
    def external_object_url(cls, key: str) -> str | None:
        """A ModelDashboard's page of one object (its ``<slug>_detail`` URL)."""
        meta = cls.upstream._meta
        try:
            name = f"dashboards:{cls.upstream.get_slug()}_detail"
            return reverse(name, kwargs={meta.lookup_kwarg: key})
        except NoReverseMatch:
            raise Http404(
                f"The dashboard {cls.slug!r} is shown by django-dashboards, and its URLs do "
                f"not include its per-object page ({meta.lookup_kwarg})."
            ) from None


def _provider(
    upstream: type[UpstreamDashboard], name: str, component: LiveComponent
) -> Callable[..., Any] | None:
    """The component's own value, as django-dashboards would compute it without a request:
    ``get_<name>_value`` on the dashboard, else ``value=`` (a value, callable or serializer).
    On a ModelDashboard the provider takes the object (as a scoped dashboard's do)."""
    method = getattr(upstream, f"get_{name}_value", None)
    if method is None and component.pushed_only:
        return None

    def provide(obj: Any = None) -> Any:
        if method is not None:
            # Not upstream(): its __init__ rebinds `value` on every shared component instance.
            # (mypy reads the untyped class's __new__ as type.__new__.)
            instance = upstream.__new__(upstream)  # type: ignore[call-overload]
            instance.object = obj
            value = getattr(instance, f"get_{name}_value")
        else:
            value = component.value
        # `value`, `object` and get_value() are django-dashboards' (untyped) Component's
        copy = dataclasses.replace(component, value=value)  # type: ignore[call-arg]
        copy.object = obj  # type: ignore[attr-defined]
        return copy.get_value(request=None, filters={})  # type: ignore[attr-defined]

    return provide


def _permission(upstream: type[UpstreamDashboard]) -> Callable[..., bool]:
    """The dashboard's own ``permission_classes`` (or DASHBOARDS_DEFAULT_PERMISSION_CLASSES),
    asked with a request carrying only the user: Pushpin's follow-up stream requests carry
    nothing else. A permission class that fails on that request denies (and is logged)."""

    def allowed(user: Any, obj: Any = None) -> bool:  # obj: a ModelDashboard's object
        request = HttpRequest()
        request.method = "GET"
        request.user = user
        try:
            return upstream.has_permissions(request=request, handle=False) is True
        except Exception:
            logger.exception(
                "dashboards_sse: a permission class of %s failed; access denied",
                upstream.__qualname__,
            )
            return False

    return allowed


def _live_components(upstream: type[UpstreamDashboard]) -> dict[str, LiveComponent]:
    """The SSE components of ``upstream``, each its own: django-dashboards shares a base
    class's component instance with every subclass, so inherited ones are copied here."""
    live = {}
    for name, component in upstream.components.items():
        if not isinstance(component, LiveComponent):
            continue
        if vars(upstream).get(name) is not component:
            component = copy.copy(component)
            setattr(upstream, name, component)
            upstream.components[name] = component
        component.dashboard = upstream
        if component.key is None:
            component.key = name
        live[name] = component
    return live


def make_twin(upstream: type[UpstreamDashboard]) -> type[LiveDashboard] | None:
    """Register the twin of ``upstream``; None when it has no SSE components."""
    live = _live_components(upstream)
    if not live:
        return None
    model = getattr(upstream._meta, "model", None)
    if issubclass(upstream, ModelDashboard) and model is None:
        if upstream not in _reported:
            _reported.add(upstream)
            registry.problems.append(
                registry.DeclarationProblem(
                    "dashboards_sse.E008",
                    f"{upstream.__module__}.{upstream.__qualname__}: a ModelDashboard with SSE "
                    "components but no Meta.model: its streams (one per object) cannot be "
                    "named; it stays static.",
                    "Set Meta.model (and Meta.lookup_field, if not the pk).",
                )
            )
        return None
    attrs: dict[str, Any] = {
        "__module__": upstream.__module__,
        "__qualname__": upstream.__qualname__,
        "slug": SLUG_PREFIX + upstream.get_slug(),
        "title": str(upstream._meta.verbose_name),
        "permission": _permission(upstream),
        "upstream": upstream,
    }
    if issubclass(upstream, ModelDashboard):  # a page per object: a stream per object
        attrs["scope"] = model
        attrs["scope_field"] = upstream._meta.lookup_field
    attrs.update({name: BridgedComponent(component) for name, component in live.items()})
    twin: type[LiveDashboard] = type(upstream.__name__, (LiveDashboard,), attrs)
    _twins[upstream] = twin
    registry.alias(upstream, twin)
    return twin


def find_twins() -> None:
    """The registry finder: make the twin of every concrete dashboard that lacks one."""
    pending = list(UpstreamDashboard.__subclasses__())
    while pending:
        upstream = pending.pop()
        pending.extend(upstream.__subclasses__())
        if upstream in _twins or upstream._meta.abstract or upstream in _reported:
            continue
        make_twin(upstream)


registry.add_finder(find_twins)
