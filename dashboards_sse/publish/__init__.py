"""Publishing: validate, store and send each push (pipeline → store → wire → grip).

Nothing here names ``Dashboard``: the pipeline works on any board (``types.Board``: a slug, a
channel and components), so the declarative API above it can grow without arrows pointing back.
"""

from __future__ import annotations

from .pipeline import batch, flush_pending, push, recording, republish

__all__ = ["batch", "flush_pending", "push", "recording", "republish"]
