"""Settings and the database engine, built once per server process (not at import)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy.engine import Engine

from automl_canvas.config import Settings, get_settings
from automl_canvas.db import make_engine

__all__ = ["World", "get_world"]


@dataclass(frozen=True)
class World:
    settings: Settings
    engine: Engine


@st.cache_resource(show_spinner=False)
def get_world() -> World:
    settings = get_settings()
    settings.ensure_dirs()
    return World(settings, make_engine(settings))
