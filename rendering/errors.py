"""Why a session's manifests cannot be built; the message becomes the session's Failed reason."""

from __future__ import annotations


class RenderingError(Exception):
    """A manifest cannot be built. `str()` is the whole message, e.g. `container debug is missing ...`."""
