"""SHAP values for a delivered model, per original column (the only shap importer).

Which explainer, and why (decided in :func:`~automl_canvas.explain.library.library_view`):

- **TreeExplainer** (exact path-dependent TreeSHAP) for ``lgbm``, ``xgboost``,
  ``xgb_limitdepth``, ``rf`` and ``extra_tree``: for LightGBM and XGBoost shap
  hands the work to the libraries' own C++ TreeSHAP, which also handles
  LightGBM's categorical splits.
- **TreeExplainer** for the default HistGradientBoosting model.  With numeric
  features only, on the model itself (shap reads those trees correctly).  With
  categorical features, shap 0.51 reads its categorical splits as numeric
  thresholds (on a categorical frame it fails; on category codes its values do
  not add up: errors of 10+ log-odds on a 300-row table), so the trees are
  first copied into an identical LightGBM booster (``explain.hgb_trees``) whose
  predictions are checked against the model's on every explained row; should
  they ever differ, the rows are explained by permutation instead and the
  explanation says why.
- **LinearExplainer** for ``lrl1`` (logistic regression): exact, against the
  mean of the background rows.
- **PermutationExplainer** (sampled, antithetic, 10 permutations by default,
  exactly additive) for any other learner.  Its players are the *original*
  columns: a masked date swaps all of its year/month/day parts together, so
  no part is ever mixed with another row's.  It costs ``permutations x (2 x
  columns + 1) x background rows`` model evaluations per explained row, so it
  explains at most :data:`PERMUTATION_MAX_ROWS` rows against
  :data:`BACKGROUND_SIZE` background rows.
- Never KernelExplainer: far too slow for a service.

Values are computed in the library model's own output space (see
``explain.library``) on the very matrix the library model reads, then the
encoded columns that come from one original column are summed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import contextmanager
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..errors import ValidationError
from ..training.pipeline import CanvasModel
from .hgb_trees import HGBAsLightGBM, hgb_raw_scores
from .library import LibraryView, hgb_has_categorical, library_view
from .result import Explanation
from .what_if import what_if_frame

__all__ = [
    "BACKGROUND_SIZE",
    "LINEAR_BACKGROUND_SIZE",
    "PERMUTATION_MAX_ROWS",
    "ModelExplainer",
    "clear_cache",
    "explain",
    "explain_row",
    "explainer_kind",
    "model_output",
]

#: Background rows for the permutation explainer (each costs model evaluations).
BACKGROUND_SIZE = 100
#: Background rows for the linear explainer (only their mean is used: cheap).
LINEAR_BACKGROUND_SIZE = 1000
#: Most rows the permutation explainer explains in one call (cost is per row).
PERMUTATION_MAX_ROWS = 500
_CACHE_SIZE = 4


def _sample(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """At most ``n`` rows, chosen with ``seed``, kept in their original order."""
    if len(df) <= n:
        return df
    pos = np.sort(np.random.default_rng(seed).choice(len(df), size=n, replace=False))
    return df.iloc[pos]


@contextmanager
def _numpy_global_seed(seed: int):
    """shap's permutation explainer seeds numpy's *global* generator; give it back afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _shap_version() -> str:
    try:
        return metadata.version("shap")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


class ModelExplainer:
    """A model made ready to explain: build once, then explain many row sets or what-if rows.

    Building reads the model's trees (about 0.3 s for a 500-tree LightGBM), so
    a door answering what-if questions keeps one of these per model, or lets
    :func:`explain_row` cache it.

    ``background``: rows in original columns the explanation is relative to
    (a sample of the training rows).  Tree explainers do not need it (they use
    the training cover stored in the trees); the linear and permutation
    explainers do, and so does the permutation fallback of a
    HistGradientBoosting model whose LightGBM copy would not match it.

    Threads: tree and linear explanations can share one instance.  A
    permutation explanation briefly sets numpy's global seed and the process's
    OpenMP thread limit (both restored afterwards), so two of them running at
    once in one process stay additive but are not reproducible.
    """

    def __init__(self, model: CanvasModel, background: pd.DataFrame | None = None, *, seed: int = 0,
                 background_size: int | None = None):
        self.model = model
        self.view: LibraryView = library_view(model)
        self.seed = seed
        pre = model.preprocessor
        # original column -> its encoded columns, in the model's input order
        self.groups: list[tuple[str, list[str]]] = [
            (col, [e for e in pre.output_columns if pre.source[e] == col]) for col in pre.input_columns
        ]
        self.background_rows = 0
        self._background_enc: pd.DataFrame | None = None
        #: An ensemble: (weight, Platt line or None, explainer of that member), explained as the weighted
        #: sum of its members (a forest member's probability values mapped through its line).
        self._members: list[tuple[float, tuple[float, float] | None, ModelExplainer]] | None = None
        if self.view.explainer == "ensemble":
            self._members = [(float(m.weight), getattr(m, "scale", None),
                              ModelExplainer(_member_model(model, m), background, seed=seed))
                             for m in model.estimator.members]
            self.background_rows = max(sub.background_rows for _, _, sub in self._members)
            self._shap_version, self._hgb, self._hgb_problem, self._hgb_copy, self._explainer = _shap_version(), None, "", False, None
            return
        hgb_copy = self._hgb_copy = self.view.family == "hgb" and hgb_has_categorical(model.estimator)
        if background is not None and (self.view.explainer != "tree" or hgb_copy):
            pre.check_columns(background)
            if len(background) == 0:
                raise ValidationError("The background rows are empty; pass a sample of the training rows.")
            size = background_size or (LINEAR_BACKGROUND_SIZE if self.view.explainer == "linear" else BACKGROUND_SIZE)
            bg = _sample(background, size, seed)
            self._background_enc = model.transform(bg)
            self.background_rows = len(bg)
        import shap

        self._shap_version = shap.__version__
        self._hgb: HGBAsLightGBM | None = None
        self._hgb_problem = ""
        if hgb_copy:
            try:
                self._hgb = HGBAsLightGBM(model.estimator, list(pre.output_columns))
                self._explainer = shap.TreeExplainer(self._hgb.booster, feature_perturbation="tree_path_dependent")
            except Exception as exc:  # noqa: BLE001 - scikit-learn internals moved: explain by permutation instead
                self._hgb, self._hgb_problem = None, f"copying the trees failed ({type(exc).__name__}: {exc})"
                self._explainer = None
        elif self.view.explainer == "tree":
            self._explainer = shap.TreeExplainer(self.view.library_model, feature_perturbation="tree_path_dependent")
        elif self.view.explainer == "linear":
            bg_matrix = self.view.matrix(self._require_background())
            self._explainer = shap.LinearExplainer(self.view.library_model, shap.maskers.Independent(bg_matrix, max_samples=len(bg_matrix)))
        else:
            self._require_background()
            self._explainer = None  # built per call: its masked rows depend on the explained rows

    def _require_background(self) -> pd.DataFrame:
        if self._background_enc is None:
            raise ValueError(
                f"The {self.view.explainer} explainer needs background rows (a sample of the training rows) "
                f"to explain a {self.model.learner} model; pass background=..."
            )
        return self._background_enc

    # -- public ----------------------------------------------------------------
    def explain(self, rows: pd.DataFrame, *, max_rows: int = 2000) -> Explanation:
        """SHAP values for at most ``max_rows`` of ``rows`` (original columns; a seeded sample keeps its labels)."""
        self.model.preprocessor.check_columns(rows)
        if len(rows) == 0:
            raise ValidationError("There are no rows to explain.")
        cap = max(1, int(max_rows))
        if self._sampled():
            cap = min(cap, PERMUTATION_MAX_ROWS)
        chosen = _sample(rows, cap, self.seed)
        X_enc = self.model.transform(chosen)
        values, base, kind = self._values(X_enc)
        meta = {
            "seed": self.seed,
            "max_rows": int(max_rows),
            "row_cap": cap,
            "background_rows": self.background_rows,
            "reason": self.view.reason,
            "shap": self._shap_version,
            "column_kinds": dict(self.model.preprocessor.plan.kinds),
        }
        if self._members is not None:
            meta["members"] = [{"learner": sub.model.learner, "weight": w, "explainer": sub.view.explainer,
                                **({"platt": [float(scale[0]), float(scale[1])]} if scale is not None else {})}
                               for w, scale, sub in self._members]
        if kind == "tree" and self._hgb_copy:
            meta["tree_copy"] = "lightgbm"
        if kind == "permutation":
            meta["permutations"] = "10 forward + 10 backward (shap max_evals='auto')"
        if kind != self.view.explainer:
            meta["reason"] = (
                f"sampled permutation SHAP, because {self._hgb_problem} (HistGradientBoosting trees are "
                "normally explained exactly through a LightGBM copy)"
            )
        return Explanation(
            columns=list(self.model.preprocessor.input_columns),
            output_names=list(self.view.output_names),
            values=values,
            base_values=base,
            data=chosen[list(self.model.preprocessor.input_columns)].copy(),
            row_index=list(chosen.index),
            explainer=kind,
            output_space=self.view.output_space,
            learner=self.model.learner,
            task=self.model.task,
            n_rows_total=len(rows),
            meta=meta,
        )

    def explain_row(self, row: Mapping[str, Any] | pd.DataFrame) -> Explanation:
        """Explain one row supplied by a person (what-if): every model field, nothing else."""
        return self.explain(what_if_frame(self.model, row), max_rows=1)

    # -- internals ---------------------------------------------------------------
    def _sampled(self) -> bool:
        """Whether explanations are sampled by permutation (so rows are capped), for this model or any member."""
        if self._members is not None:
            return any(sub._sampled() for _, _, sub in self._members)
        return self.view.explainer == "permutation" or (self._hgb_copy and self._hgb is None)

    def _values(self, X_enc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str]:
        """(n, n_columns, n_outputs) values per original column, (n_outputs,) base values, explainer used."""
        if self._members is not None:
            # The ensemble's raw score is the weighted sum of its members' raw scores, so the weighted
            # sum of their (exact) SHAP values and base values adds up to it exactly.  A forest member's
            # raw score is a + slope * probability: its probability SHAP values times the slope, its base
            # value through the line (Shapley values are linear in the explained function).
            values, base = None, None
            for weight, scale, sub in self._members:
                v, b, _ = sub._values(X_enc)
                if scale is not None:
                    v, b = float(scale[1]) * v, float(scale[0]) + float(scale[1]) * b
                values = weight * v if values is None else values + weight * v
                base = weight * b if base is None else base + weight * b
            return values, base, "ensemble"
        kind, M = self.view.explainer, None
        if self.view.family == "hgb" and hgb_has_categorical(self.model.estimator):
            if self._hgb is not None:
                M = self._hgb.matrix(X_enc)
                ours = self.view.select_outputs(self._hgb.raw_output(M), ndim=2)
                theirs = self.view.select_outputs(hgb_raw_scores(self.model.estimator, X_enc), ndim=2)
                gap = float(np.abs(ours - theirs).max())
                if gap > 1e-6:
                    self._hgb_problem = f"the LightGBM copy of the trees differs from the model by {gap:.2g} on these rows"
                    M = None
            if M is None:
                if self._background_enc is None:
                    raise ValueError(f"Cannot explain this HistGradientBoosting model exactly: {self._hgb_problem}. "
                                     "Pass background rows to explain it by permutation instead.")
                kind = "permutation"
        if kind == "permutation":
            raw, base = self._permutation(X_enc)
            values = self.view.select_outputs(raw, ndim=3)
        else:
            M = self.view.matrix(X_enc) if M is None else M
            if kind == "tree":
                sv = self._explainer(M, check_additivity=False)
            else:
                sv = self._explainer(M)
            enc = self.view.select_outputs(sv.values, ndim=3)
            base = sv.base_values
            # encoded column -> original column: sum the parts of one original column
            agg = np.zeros((M.shape[1], len(self.groups)))
            position = {c: i for i, c in enumerate(M.columns)}
            for j, (_, cols) in enumerate(self.groups):
                for c in cols:
                    agg[position[c], j] = 1.0
            values = np.einsum("nek,eo->nok", enc, agg)
        base = self.view.select_outputs(np.asarray(base, dtype="float64").reshape(len(X_enc), -1), ndim=2)
        return values, base[0], kind

    def _permutation(self, X_enc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Permutation SHAP with the original columns as players.

        Each row is described by one integer per original column: the index of
        its (encoded) values for that column in a small table of distinct values.
        shap's masker swaps those integers for a background row's, and the
        model function turns them back into the encoded frame, so all parts of
        a column are swapped together and equal values are known to be equal.
        """
        import shap

        bg = self._require_background()
        n = len(X_enc)
        stacked = pd.concat([X_enc, bg], ignore_index=True)
        ids = np.empty((len(stacked), len(self.groups)), dtype="float64")
        tables: list[np.ndarray] = []
        dtypes = {c: X_enc[c].dtype for c in X_enc.columns}
        is_cat = {c: isinstance(t, pd.CategoricalDtype) for c, t in dtypes.items()}
        for g, (_, cols) in enumerate(self.groups):
            parts = [
                stacked[c].cat.codes.to_numpy("float64") if is_cat[c] else stacked[c].to_numpy("float64") for c in cols
            ]
            uniq, inverse = np.unique(np.column_stack(parts), axis=0, return_inverse=True)
            tables.append(uniq)
            ids[:, g] = inverse.reshape(-1)
        columns, view = list(X_enc.columns), self.view

        def model_fn(Z: np.ndarray) -> np.ndarray:
            Z = np.asarray(Z).astype(np.int64)
            out: dict[str, Any] = {}
            for g, (_, cols) in enumerate(self.groups):
                block = tables[g][Z[:, g]]
                for j, c in enumerate(cols):
                    if is_cat[c]:
                        out[c] = pd.Categorical.from_codes(block[:, j].astype(np.int64), dtype=dtypes[c])
                    else:
                        out[c] = block[:, j]
            return view.output(pd.DataFrame(out, columns=columns))

        masker = shap.maskers.Independent(ids[n:], max_samples=len(bg))
        # Many small batches: one OpenMP thread per prediction is several times
        # faster than a team of threads (and far faster on a busy machine).
        with _numpy_global_seed(self.seed), threadpool_limits(1):
            explainer = shap.PermutationExplainer(model_fn, masker, seed=self.seed)
            sv = explainer(ids[:n], max_evals="auto", silent=True)
        return sv.values, sv.base_values


def _member_model(model: CanvasModel, member) -> CanvasModel:
    """One ensemble member as a model of its own: the ensemble's preprocessing, the member's estimator."""
    return CanvasModel(task=model.task, target=model.target, learner=member.learner, preprocessor=model.preprocessor,
                       estimator=member.estimator, classes=model.classes)


# -- module-level API -----------------------------------------------------------
_cache: OrderedDict[tuple, ModelExplainer] = OrderedDict()
_cache_lock = threading.Lock()


def _fingerprint(df: pd.DataFrame | None) -> Any:
    if df is None:
        return None
    try:
        return (df.shape, tuple(map(str, df.columns)), int(pd.util.hash_pandas_object(df, index=True).sum()))
    except TypeError:  # unhashable cell values: fall back to the object's identity
        return ("id", id(df))


def _cached_explainer(model: CanvasModel, background: pd.DataFrame | None, seed: int) -> ModelExplainer:
    """The last few prepared explainers, so repeated what-if calls skip reading the trees.

    Entries hold their model, so an ``id`` in the key cannot be reused while cached.
    """
    view = library_view(model)
    needs_bg = view.explainer != "tree" or view.family == "hgb"  # the HGB copy may fall back to permutation
    key = (id(model), _fingerprint(background) if needs_bg else None, seed)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit.model is model:
            _cache.move_to_end(key)
            return hit
    built = ModelExplainer(model, background, seed=seed)
    with _cache_lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def clear_cache() -> None:
    """Forget the prepared explainers kept by :func:`explain_row`."""
    with _cache_lock:
        _cache.clear()


def explainer_kind(model: CanvasModel) -> str:
    """How ``model`` will be explained: "tree", "linear" or "permutation"."""
    return library_view(model).explainer


def explain(model: CanvasModel, rows: pd.DataFrame, *, background: pd.DataFrame | None = None,
            max_rows: int = 2000, seed: int = 0) -> Explanation:
    """SHAP values of ``model`` on (a seeded sample of at most ``max_rows`` of) ``rows``.

    ``rows`` are in original columns (extra columns such as the target are
    ignored; missing ones raise a ValidationError).  ``background`` defaults to
    a sample of ``rows`` for the explainers that need one.
    """
    model.preprocessor.check_columns(rows)
    bg = background if background is not None else rows
    return ModelExplainer(model, bg, seed=seed).explain(rows, max_rows=max_rows)


def explain_row(model: CanvasModel, row: Mapping[str, Any] | pd.DataFrame, background: pd.DataFrame | None = None,
                *, seed: int = 0) -> Explanation:
    """What-if: explain one row a person typed in (missing or unknown fields raise a ValidationError).

    The prepared explainer is cached per (model, background, seed), so the
    second question about the same model costs only the explanation itself.
    """
    frame = what_if_frame(model, row)
    return _cached_explainer(model, background, seed).explain(frame, max_rows=1)


def model_output(model: CanvasModel, X_original: pd.DataFrame) -> np.ndarray:
    """(n_rows, n_outputs) model output in the explanation's output space (base + values add up to it)."""
    return library_view(model).output(model.transform(X_original))
