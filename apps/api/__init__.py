"""The approval API (FastAPI): a thin door over the core for scripts and deployment tooling."""

from .app import create_app

__all__ = ["create_app"]
