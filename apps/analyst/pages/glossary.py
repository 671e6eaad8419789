"""Glossary: the product's words in plain language (shared with the review dashboard)."""

from apps.analyst.analyst_ui import user
from apps.common.glossary import render_glossary

user()
render_glossary()
