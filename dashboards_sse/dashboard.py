"""Dashboard: a named set of components with one event channel and one permission rule.

The declarative API above ``publish/``: a ``Dashboard`` class is a board (``types.Board``) the
pipeline pushes to. ``get_dashboard`` and friends narrow the registry's boards to this class for
the read side and the faces above it.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.urls import NoReverseMatch, reverse

from . import registry, scopes
from .components import Component
from .exceptions import InvalidValue, UnknownComponent, UnknownDashboard, UnknownScope
from .publish import batch, push
from .scopes import Scope
from .types import Pushed

if TYPE_CHECKING:
    # django-stubs' "user model or AnonymousUser" (HttpRequest.user's type): its plugin reads
    # the user model from AUTH_USER_MODEL.
    from django.contrib.auth.models import _AnyUser as User

# Who may view a dashboard: None (anyone), a permission string ("shop.view_order"),
# "login" (any authenticated user), or a callable taking the user.
Permission = str | Callable[["User"], bool] | None
LOGIN_REQUIRED = "login"
CHANNEL_PREFIX = "dashboard."


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

    Scoped: one declaration, a stream per object (``scope = Store``, its key the pk or
    ``scope_field``) or per user (``scope = "user"``): push to ``StoreSales.for_(store)``.

    Subclasses register themselves (``abstract=True`` opts out). Never instantiated by users.
    """

    slug: ClassVar[str] = ""
    title: ClassVar[str] = ""
    # None (anyone), "login", a permission string, or a callable: (user), or (user, object)
    # on a scoped dashboard.
    permission: ClassVar[Permission] = None
    # A model, "app_label.Model" or "user": a stream per object (None: one for everyone).
    scope: ClassVar[Scope | None] = None
    scope_field: ClassVar[str] = "pk"  # a unique field of the scope's model: the key
    scope_key: ClassVar[str] = ""  # a class is no object's stream
    # The event channel: one per dashboard, derived from the slug, never chosen by a client;
    # empty on a scoped dashboard, whose objects have one each (``for_(obj).channel``).
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
        cls.channel = "" if cls.is_scoped() else CHANNEL_PREFIX + cls.slug
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

    # -- scopes ---------------------------------------------------------------------------
    @classmethod
    def is_scoped(cls) -> bool:
        return cls.scope is not None

    @classmethod
    def is_public(cls) -> bool:
        """Whether anyone may view it (no rule, not per user): its streams need no user."""
        return cls.permission is None and cls.scope != scopes.USER

    @classmethod
    def for_(cls, obj: Any) -> ScopedDashboard:
        """The stream of one object (or key) of a scoped dashboard: push to it, render it."""
        where = f"dashboard {cls.slug!r}"
        if cls.scope is None:
            raise InvalidValue(f"{where} is not scoped: push to it directly, without for_().")
        key = scopes.key_of(cls.scope, cls.scope_field, obj, where)
        return ScopedDashboard(cls, key, obj if isinstance(obj, Model) else None)

    @classmethod
    def scopes(cls) -> Iterable[Any]:
        """The objects (or keys) ``refresh_every`` refreshes on a scoped dashboard: override
        (e.g. ``return Store.objects.filter(open=True)``)."""
        raise NotImplementedError(f"dashboard {cls.slug!r} defines no scopes() classmethod.")

    @classmethod
    def has_scopes(cls) -> bool:
        return cls.scopes.__func__ is not Dashboard.scopes.__func__  # type: ignore[attr-defined]

    # -- providers ------------------------------------------------------------------------
    @classmethod
    def get_provider(cls, name: str) -> Callable[..., Any] | None:
        """The value provider for a component: its ``value=`` callable or ``get_<name>_value``
        (given the scope's object on a scoped dashboard)."""
        component = cls.get_component(name)
        if component.provider is not None:
            return component.provider
        method = getattr(cls, f"get_{name}_value", None)
        if method is None:
            return None
        provider: Callable[..., Any] = getattr(cls(), f"get_{name}_value")
        return provider

    @classmethod
    def provided_values(cls, *names: str, scope_object: Any = None) -> dict[str, Any]:
        """Call the providers of ``names`` (default: every component that has one); on a
        scoped dashboard each is given ``scope_object``."""
        args = (scope_object,) if cls.is_scoped() else ()
        values = {}
        for name in names or cls.components:
            provider = cls.get_provider(name)
            if provider is not None:
                values[name] = provider(*args)
            elif names:
                raise InvalidValue(f"dashboard {cls.slug!r}: component {name!r} has no provider.")
        return values

    @classmethod
    def refresh(cls, *names: str) -> Pushed | None:
        """Recompute providers (all, or ``names``) and push them in one push; None if none.
        On a scoped dashboard: every object its ``scopes()`` yields, in one batch."""
        if cls.is_scoped():
            if not cls.has_scopes():
                raise InvalidValue(
                    f"dashboard {cls.slug!r} is scoped: refresh one object (for_(obj).refresh()),"
                    " or define a scopes() classmethod naming the objects to refresh."
                )
            with batch():
                for obj in cls.scopes():
                    cls.for_(obj).refresh(*names)
            return None
        values = cls.provided_values(*names)
        return cls.push(**values) if values else None

    @classmethod
    def element_id(cls, component: Component) -> str:
        return component.element_id

    @classmethod
    def stream_url(cls) -> str:
        """The URL of this dashboard's SSE stream (dashboards_sse.urls)."""
        return _reverse("dashboards_sse:stream", cls.slug)

    @classmethod
    def page_url(cls) -> str:
        return _reverse("dashboards_sse:page", cls.slug)

    @classmethod
    def external_page_url(cls) -> str | None:
        """The page showing this dashboard when another framework renders it (None: ours)."""
        return None

    @classmethod
    def external_object_url(cls, key: str) -> str | None:
        """The page of one object of a scoped dashboard another framework renders (None)."""
        return None

    # -- access ---------------------------------------------------------------------------
    @classmethod
    def user_can_view(cls, user: User | None, *scope_object: Any) -> bool:
        """Whether ``user`` may view this dashboard (of a scoped one: ``scope_object``)."""
        rule = cls.permission
        if rule is None:
            return True
        if callable(rule):
            # Not at the top: this module is imported with the package, before the auth
            # models can be (Django's app loading).
            from django.contrib.auth.models import AnonymousUser

            return bool(rule(user if user is not None else AnonymousUser(), *scope_object))
        if user is None or not user.is_authenticated:
            return False
        if rule == LOGIN_REQUIRED:
            return True
        return bool(user.has_perm(rule))


_RESERVED = frozenset(name for name in vars(Dashboard) if not name.startswith("__"))


@dataclass(frozen=True)
class ScopedDashboard:
    """One object's stream of a scoped dashboard (``StoreSales.for_(store)``): a board of its
    own (a channel, stored states) with the dashboard's components, providers and rule.

    Made on demand, never registered: a lookup by channel or URL parses the key, so it costs
    the same however many objects there are. The object is fetched (one query) only when a
    provider or the permission needs it.
    """

    dashboard: type[Dashboard]
    scope_key: str
    given: Model | None = field(default=None, compare=False, repr=False)
    do_not_call_in_templates: ClassVar[bool] = True

    @property
    def slug(self) -> str:
        return self.dashboard.slug

    @property
    def title(self) -> str:
        found = self.object
        return f"{self.dashboard.title} — {found if found is not None else self.scope_key}"

    @property
    def channel(self) -> str:
        return f"{CHANNEL_PREFIX}{self.dashboard.slug}/{self.scope_key}"

    @property
    def components(self) -> dict[str, Component]:
        return self.dashboard.components

    def get_component(self, name: str) -> Component:
        return self.dashboard.get_component(name)

    def __getattr__(self, name: str) -> Component:
        """``StoreSales.for_(store).orders``: the component, pushing to this object."""
        components = self.dashboard.components
        if name not in components:
            raise AttributeError(f"{self!r} has no component {name!r}")
        bound = copy.copy(components[name])
        bound.dashboard = self
        return bound

    def __str__(self) -> str:
        return f"{self.dashboard.slug}/{self.scope_key}"

    @functools.cached_property
    def object(self) -> Model | None:
        """The scope's object, None when no object has this key."""
        if self.given is not None:
            return self.given
        assert self.dashboard.scope is not None
        return scopes.find_object(self.dashboard.scope, self.dashboard.scope_field, self.scope_key)

    def require_object(self) -> Model:
        found = self.object
        if found is None:
            label = scopes.scope_label(self.dashboard.scope)  # type: ignore[arg-type]
            raise UnknownScope(
                f"dashboard {self.slug!r}: no {label} with the key {self.scope_key!r}."
            )
        return found

    def push(self, **values: Any) -> Pushed:
        return push(self, **values)

    def get_provider(self, name: str) -> Callable[[], Any] | None:
        provider = self.dashboard.get_provider(name)
        if provider is None:
            return None
        return functools.partial(provider, self.require_object())

    def provided_values(self, *names: str) -> dict[str, Any]:
        return self.dashboard.provided_values(*names, scope_object=self.require_object())

    def refresh(self, *names: str) -> Pushed | None:
        values = self.provided_values(*names)
        return self.push(**values) if values else None

    def element_id(self, component: Component) -> str:
        return f"{component.element_id}-{self.scope_key}"

    def is_public(self) -> bool:
        return self.dashboard.is_public()

    def user_can_view(self, user: User | None) -> bool:
        """The dashboard's rule for this object; on ``scope = "user"`` only that user."""
        found = self.object
        if found is None:
            return False
        if self.dashboard.scope == scopes.USER and not (
            user is not None and user.is_authenticated and str(user.pk) == self.scope_key
        ):
            return False
        return self.dashboard.user_can_view(user, found)

    def stream_url(self) -> str:
        return _reverse("dashboards_sse:scoped-stream", self.slug, self.scope_key)

    def page_url(self) -> str:
        return _reverse("dashboards_sse:scoped-page", self.slug, self.scope_key)

    def external_page_url(self) -> str | None:
        return self.dashboard.external_object_url(self.scope_key)


# What the read side renders and streams: a dashboard, or one object's stream of a scoped one.
Target = type[Dashboard] | ScopedDashboard


def target_name(target: Target) -> str:
    """``shop.sales``, or ``shop.store-sales/42`` for one object of a scoped dashboard."""
    return str(target) if isinstance(target, ScopedDashboard) else target.slug


def _reverse(name: str, *args: str) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        raise ImproperlyConfigured(
            "Live dashboards need dashboards_sse's URLs: add "
            "path('dashboards/', include('dashboards_sse.urls')) to your URLconf."
        ) from None


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


def each_dashboard(callback: Callable[[type[Dashboard]], None]) -> None:
    """Call ``callback`` for every registered dashboard, and for every one registered later
    (the app registry must be ready: callbacks resolve model references)."""
    for dashboard in get_dashboards():
        callback(dashboard)

    def registered(board: object) -> None:
        if isinstance(board, type) and issubclass(board, Dashboard):
            callback(board)

    registry.on_register(registered)


# The target a request has already resolved (its object fetched): django-eventstream's channel
# check during that request looks it up again by channel name (views.py sets it).
_resolved: ContextVar[Target | None] = ContextVar("dashboards_sse_resolved", default=None)


@contextmanager
def resolved(target: Target) -> Iterator[None]:
    """Within the block, ``dashboard_for_channel(target.channel)`` answers ``target`` itself
    (no second query for a scoped dashboard's object)."""
    token = _resolved.set(target)
    try:
        yield
    finally:
        _resolved.reset(token)


def dashboard_for_channel(channel: str) -> Target | None:
    """The dashboard, or scoped dashboard's object stream, of a channel: O(1), parsed from the
    name (``dashboard.<slug>`` or ``dashboard.<slug>/<key>``), never a scan."""
    known = _resolved.get()
    if known is not None and known.channel == channel:
        return known
    if not channel.startswith(CHANNEL_PREFIX):
        return None
    slug, scoped, key = channel[len(CHANNEL_PREFIX) :].partition("/")
    try:
        board = get_dashboard(slug)
        if not scoped:
            return None if board.is_scoped() else board
        return board.for_(key) if board.is_scoped() else None
    except InvalidValue:
        return None
    except UnknownDashboard:
        return None


def get_target(
    dashboard: str | type | ScopedDashboard, scope: Any = None, user: Any = None
) -> Target:
    """What a page, tag or command names: an unscoped dashboard, or a scoped one's object (a
    key or object, or on ``scope = "user"`` the viewer's own). Raises UnknownDashboard,
    UnknownScope or InvalidKey."""
    if isinstance(dashboard, ScopedDashboard):
        return dashboard
    board = get_dashboard(dashboard)
    if not board.is_scoped():
        if scope is not None:
            raise UnknownScope(f"dashboard {board.slug!r} is not scoped: it takes no key.")
        return board
    if scope is not None:
        return board.for_(scope)
    if board.scope == scopes.USER and user is not None and user.is_authenticated:
        return board.for_(user)
    label = scopes.scope_label(board.scope)  # type: ignore[arg-type]
    raise UnknownScope(f"dashboard {board.slug!r} is scoped by {label}: name an object or key.")
