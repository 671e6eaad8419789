"""SHAP explanations of delivered models, as data (shap is imported only here).

- :mod:`.result`: :class:`Explanation`, the stored result (no shap, no matplotlib);
- :mod:`.shap_values`: :func:`explain`, :func:`explain_row` (what-if),
  :func:`model_output`, :class:`ModelExplainer` (shap is imported lazily, on
  first use, so importing this package stays fast);
- :mod:`.library`: what the fitted library model sees and its output space;
- :mod:`.hgb_trees`: the default model's trees as an exact LightGBM booster;
- :mod:`.what_if`: checking a row typed in by a person;
- :mod:`.plots`: matplotlib figures from a stored :class:`Explanation`
  (import it explicitly; it is not loaded here).
"""

from __future__ import annotations

from .library import OUTPUT_SPACES, library_view
from .result import Explanation
from .shap_values import ModelExplainer, clear_cache, explain, explain_row, explainer_kind, model_output
from .what_if import what_if_frame

__all__ = [
    "OUTPUT_SPACES",
    "Explanation",
    "ModelExplainer",
    "clear_cache",
    "explain",
    "explain_row",
    "explainer_kind",
    "library_view",
    "model_output",
    "what_if_frame",
]
