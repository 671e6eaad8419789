"""Glossary: the product's words in plain language (shared with the analyst app)."""

from apps.common.glossary import render_glossary
from apps.scientist.dashboard_ui import reviewer

reviewer()
render_glossary()
