"""Dashboard: a named set of components with one event channel and one permission rule.

The declarative API above ``publish/``: a ``Dashboard`` class is a board (``types.Board``) the
pipeline pushes to. ``get_dashboard`` and friends narrow the registry's boards to this class for
the read side and the faces above it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from . import registry
from .components import Component
from .exceptions import InvalidValue, UnknownComponent, UnknownDashboard
from .publish import push
from .types import Pushed

if TYPE_CHECKING:
    # django-stubs' "user model or AnonymousUser" (HttpRequest.user's type): its plugin reads
    # the user model from AUTH_USER_MODEL.
    from django.contrib.auth.models import _AnyUser as User

# Who may view a dashboard: None (anyone), a permission string ("shop.view_order"),
# "login" (any authenticated user), or a callable taking the user.
Permission = str | Callable[["User"], bool] | None
LOGIN_REQUIRED = "login"


def _default_slug(cls: type) -> str:
    app_label = cls.__module__.split(".")[0]
    if apps.apps_ready:
        config = apps.get_containing_app_config(cls.__module__)
        if config is not None:
            app_label = config.label
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", cls.__name__).lower()
    return f"{app_label}.{words}"


class Dashboard:
    """Subclass to declare a live dashboard::

        class Sales(Dashboard):
            title = "Sales today"
            permission = "shop.view_order"
            orders = Stat(label="Orders", value=lambda: Order.objects.today().count())

    Subclasses register themselves (``abstract=True`` opts out). Never instantiated by users.
    """

    slug: ClassVar[str] = ""
    title: ClassVar[str] = ""
    permission: ClassVar[Permission] = None
    # The event channel: one per dashboard, derived from the slug, never chosen by a client.
    channel: ClassVar[str] = ""
    components: ClassVar[dict[str, Component]] = {}
    # Templates receive the class itself; without this they would instantiate it.
    do_not_call_in_templates: ClassVar[bool] = True

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        components: dict[str, Component] = {}
        for base in reversed(cls.__mro__[1:]):
            components.update(getattr(base, "components", {}))
        clashes = []
        for name, value in list(vars(cls).items()):
            if isinstance(value, Component):
                if name in _RESERVED or name.startswith("get_"):
                    clashes.append(name)
                components[name] = value
        # Each dashboard owns its components: inherited ones are copied and bound to it.
        for name, component in components.items():
            if component.dashboard is not None and component.dashboard is not cls:
                component = copy.copy(component)
                setattr(cls, name, component)
                components[name] = component
            component.dashboard = cls
        cls.components = components
        if abstract:
            return
        if clashes:  # the class is unusable (push, slug... are shadowed): report, don't register
            registry.problems.append(
                registry.DeclarationProblem(
                    "dashboards_sse.E007",
                    f"{cls.__module__}.{cls.__qualname__}: component name(s) "
                    f"{', '.join(map(repr, clashes))} clash with Dashboard attributes; "
                    f"the dashboard is not registered.",
                    "Rename the component(s); names starting with get_ are for providers.",
                )
            )
            return
        if "slug" not in vars(cls) or not cls.slug:
            cls.slug = _default_slug(cls)
        if "title" not in vars(cls) or not cls.title:
            cls.title = cls.__name__
        cls.channel = f"dashboard.{cls.slug}"
        registry.register(cls)

    @classmethod
    def get_component(cls, name: str) -> Component:
        try:
            return cls.components[name]
        except KeyError:
            known = ", ".join(cls.components) or "none"
            raise UnknownComponent(
                f"Dashboard {cls.slug!r} has no component {name!r}. Components: {known}."
            ) from None

    @classmethod
    def push(cls, **values: Any) -> Pushed:
        """Push several components at once: rendered once, published as one event."""
        return push(cls, **values)

    # -- providers ------------------------------------------------------------------------
    @classmethod
    def get_provider(cls, name: str) -> Callable[[], Any] | None:
        """The value provider for a component: its ``value=`` callable or ``get_<name>_value``."""
        component = cls.get_component(name)
        if component.provider is not None:
            return component.provider
        method = getattr(cls, f"get_{name}_value", None)
        if method is None:
            return None
        provider: Callable[[], Any] = getattr(cls(), f"get_{name}_value")
        return provider

    @classmethod
    def provided_values(cls, *names: str) -> dict[str, Any]:
        """Call the providers of ``names`` (default: every component that has one)."""
        values = {}
        for name in names or cls.components:
            provider = cls.get_provider(name)
            if provider is not None:
                values[name] = provider()
            elif names:
                raise InvalidValue(f"dashboard {cls.slug!r}: component {name!r} has no provider.")
        return values

    @classmethod
    def refresh(cls, *names: str) -> Pushed | None:
        """Recompute providers (all, or ``names``) and push them in one push; None if none."""
        values = cls.provided_values(*names)
        return cls.push(**values) if values else None

    @classmethod
    def stream_url(cls) -> str:
        """The URL of this dashboard's SSE stream (dashboards_sse.urls)."""
        try:
            return reverse("dashboards_sse:stream", args=[cls.slug])
        except NoReverseMatch:
            raise ImproperlyConfigured(
                "Live dashboards need dashboards_sse's URLs: add "
                "path('dashboards/', include('dashboards_sse.urls')) to your URLconf."
            ) from None

    @classmethod
    def external_page_url(cls) -> str | None:
        """The page showing this dashboard when another framework renders it (None: ours)."""
        return None

    # -- access ---------------------------------------------------------------------------
    @classmethod
    def user_can_view(cls, user: User | None) -> bool:
        rule = cls.permission
        if rule is None:
            return True
        if callable(rule):
            # Not at the top: this module is imported with the package, before the auth
            # models can be (Django's app loading).
            from django.contrib.auth.models import AnonymousUser

            return bool(rule(user if user is not None else AnonymousUser()))
        if user is None or not user.is_authenticated:
            return False
        if rule == LOGIN_REQUIRED:
            return True
        return bool(user.has_perm(rule))


_RESERVED = frozenset(name for name in vars(Dashboard) if not name.startswith("__"))


def _narrow(board: object) -> type[Dashboard]:
    if isinstance(board, type) and issubclass(board, Dashboard):
        return board
    raise UnknownDashboard(f"{board!r} is a board but not a dashboards_sse Dashboard.")


def get_dashboard(slug: str | type) -> type[Dashboard]:
    """The dashboard for a slug or class (see ``registry.get_dashboard``)."""
    return _narrow(registry.get_dashboard(slug))


def get_dashboards() -> list[type[Dashboard]]:
    """Every registered dashboard, by slug (adapters' finders run first)."""
    return [_narrow(board) for board in registry.get_dashboards()]


def dashboard_for_channel(channel: str) -> type[Dashboard] | None:
    board = registry.dashboard_for_channel(channel)
    return None if board is None else _narrow(board)
