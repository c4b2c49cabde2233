"""The ``driftloop`` command line (an adapter: no business rules live here)."""

from driftloop.cli._app import app, main

__all__ = ["app", "main"]
