"""Why a stream is refused, said to everyone who needs it: a few words in a header for the
page's status badge (an EventSource cannot read a failed answer's body, the client fetches the
header once), the whole story in the 403 body and the server log."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden

from .conf import Settings

logger = logging.getLogger("dashboards_sse")

# The header carrying a refused stream's reason in a few words, for the page's status badge.
REASON_HEADER = "Dashboards-SSE-Reason"


@dataclass(frozen=True)
class Refusal:
    """Why a stream is refused: a few words for the page, the whole story for the body and
    the log (``misconfigured``: the site's setup is wrong, not the viewer's access)."""

    reason: str
    message: str
    misconfigured: bool = True


NO_GRIP_URL = Refusal(
    "Django has no GRIP_URL",
    "This request came through Pushpin (it carries Grip-Sig), but this Django has no GRIP_URL "
    "or GRIP_PROXIES: it can neither verify the signature nor publish updates to Pushpin. Set "
    "GRIP_URL = 'http://127.0.0.1:5561?key=<Pushpin's sig_key>' in the settings of the Django "
    "that Pushpin forwards to (e.g. GRIP_URL = os.environ.get('GRIP_URL')).",
)
NO_MIDDLEWARE = Refusal(
    "GripMiddleware missing",
    "django_grip.GripMiddleware is not in MIDDLEWARE: Django cannot tell Pushpin's requests "
    "from direct ones. Add 'django_grip.GripMiddleware' at the top of MIDDLEWARE (system check "
    "dashboards_sse.E002).",
)
KEY_DIFFERS = Refusal(
    "Pushpin key differs",
    "Grip-Sig did not verify: the key in GRIP_URL (or GRIP_PROXIES) differs from Pushpin's "
    "sig_key, or the request did not come from our Pushpin. Give both the same key.",
)
DIRECT = Refusal(
    "open it through Pushpin",
    "This stream is served through Pushpin: open it via the proxy, not Django directly "
    "(GRIP_URL or GRIP_PROXIES is set, so PUSHPIN_REQUIRED defaults to True).",
)


def not_permitted(slug: str) -> Refusal:
    return Refusal("not permitted", f"You may not view the dashboard {slug!r}.", False)


def refuse(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """403 with the refusal's message, its reason in a header, and a line in the log."""
    response = HttpResponseForbidden(
        refusal.message + "\n", content_type="text/plain; charset=utf-8"
    )
    response[REASON_HEADER] = refusal.reason
    logger.log(
        logging.WARNING if refusal.misconfigured else logging.INFO,
        "dashboards_sse: stream %s refused (%s): %s",
        request.path,
        refusal.reason,
        refusal.message,
    )
    return response


def grip_refusal(request: HttpRequest, config: Settings) -> Refusal | None:
    """Why a stream request cannot be served as it came, as far as GRIP goes (None: it can)."""
    grip = getattr(request, "grip", None)
    signed_header = bool(request.META.get("HTTP_GRIP_SIG"))
    if grip is None and (signed_header or config.pushpin_required):
        return NO_MIDDLEWARE
    if signed_header and not (grip and grip.signed):
        return KEY_DIFFERS if config.publishes else NO_GRIP_URL
    if not (grip and grip.proxied) and config.pushpin_required:
        return DIRECT
    return None
