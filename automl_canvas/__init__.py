"""AutoML Canvas: guided model development — the core (no web framework here)."""

__version__ = "0.1.0"
