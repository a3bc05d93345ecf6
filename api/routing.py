"""The app's routes with their full path templates: a route is included under both path families, and a
request's scope names only the route object, not where it was mounted."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

Template = tuple[Any, re.Pattern[str], str]
"""(the route object, the regex of its full path, its full path template)."""


def templates(app: Any) -> list[Template]:
    """Every route of `app` with its full path, built once per app."""
    cached: list[Template] | None = getattr(app.state, "route_templates", None)
    if cached is None:
        cached = [
            (c.original_route, compile_path(c.path)[0], c.path) for c in iter_route_contexts(app.routes) if c.path
        ]
        app.state.route_templates = cached
    return cached
