"""HistGradientBoosting with categorical splits, rewritten as an identical LightGBM booster.

Why: the default model is scikit-learn's HistGradientBoosting with native
categorical features.  shap 0.51's TreeExplainer reads its trees as numeric
thresholds and ignores the categorical bitsets (on category codes it returns
values that do not add up: errors of 10+ log-odds on a 300-row table), and the
model-agnostic permutation explainer costs about a second per row on 50 columns.
LightGBM's tree format has categorical splits with the same meaning (a bitset
of categories that go left), and shap explains LightGBM boosters exactly with
LightGBM's own C++ TreeSHAP.  So each fitted tree is copied, node for node, into
a LightGBM model string:

- numeric split: ``x <= threshold`` goes left, missing values follow
  ``missing_go_to_left`` (LightGBM missing type "NaN" + default-left flag);
- categorical split: the left bitset is scikit-learn's ``raw_left_cat_bitsets``
  plus, when missing values go left, every category the model never saw
  (scikit-learn sends unknown categories the missing way).  Missing and unknown
  categories are given code 255 (no real code reaches it: at most 255 bins);
- node covers are the training counts (what path-dependent TreeSHAP weighs
  paths by, as shap does for HistGradientBoosting);
- the baseline prediction is added to every leaf of each class's first tree,
  which moves it into the expected value and changes no attribution.

This reads scikit-learn internals (``_predictors``, ``_preprocessor``,
``_bin_mapper``, ``_baseline_prediction``; shap reads the first and last
too).  So the copy is never trusted blindly: the explainer compares its raw
scores (:meth:`HGBAsLightGBM.raw_output`) with the model's own on the rows being
explained, and falls back to the permutation explainer if they differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..training.margins import hgb_raw_scores  # the one definition, re-exported for the explainers

__all__ = ["UNKNOWN_CODE", "HGBAsLightGBM", "hgb_raw_scores"]

#: Code given to missing and unknown categories in the LightGBM matrix.
UNKNOWN_CODE = 255
_WORDS = 8  # 8 x 32 bits: codes 0..255, as in scikit-learn's bitsets


def _fmt(values, kind: str = "g") -> str:
    if kind == "g":
        return " ".join(repr(float(v)) for v in values)
    return " ".join(str(int(v)) for v in values)


class HGBAsLightGBM:
    """An exact LightGBM copy of a fitted HistGradientBoosting model, for TreeSHAP."""

    def __init__(self, est: Any, feature_names: list[str]):
        import lightgbm

        self.est = est
        is_cat = np.asarray(est.is_categorical_, dtype=bool)
        # scikit-learn's preprocessor outputs the categorical columns first, then the others
        order = list(np.flatnonzero(is_cat)) + list(np.flatnonzero(~is_cat))
        #: Names of the LightGBM matrix columns (the encoded columns, in the trees' order).
        self.columns = [feature_names[i] for i in order]
        self.n_categorical = int(is_cat.sum())
        known, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
        self._known = known
        self._f_idx_map = f_idx_map
        self.n_classes = int(est.n_trees_per_iteration_)
        text = self._model_string()
        self.booster = lightgbm.Booster(model_str=text)

    # -- conversion ------------------------------------------------------------
    def _tree(self, index: int, predictor: Any, baseline: float) -> str:
        nodes = predictor.nodes
        internal = [i for i in range(len(nodes)) if not nodes[i]["is_leaf"]]
        leaves = [i for i in range(len(nodes)) if nodes[i]["is_leaf"]]
        if not internal:
            return f"Tree={index}\nnum_leaves=1\nnum_cat=0\nshrinkage=1\nleaf_value={float(nodes[0]['value']) + baseline!r}\n\n"
        inner_id = {n: k for k, n in enumerate(internal)}
        leaf_id = {n: k for k, n in enumerate(leaves)}

        def child(n: int) -> int:
            return ~leaf_id[n] if nodes[n]["is_leaf"] else inner_id[n]

        split_feature, threshold, decision, left, right, cat_words = [], [], [], [], [], []
        for n in internal:
            node = nodes[n]
            f = int(node["feature_idx"])
            split_feature.append(f)
            left.append(child(int(node["left"])))
            right.append(child(int(node["right"])))
            if node["is_categorical"]:
                bits = predictor.raw_left_cat_bitsets[int(node["bitset_idx"])].astype(np.uint64)
                if node["missing_go_to_left"]:
                    bits |= ~self._known[self._f_idx_map[f]].astype(np.uint64) & np.uint64(0xFFFFFFFF)
                threshold.append(len(cat_words))  # categorical: index into cat_boundaries
                decision.append(1)
                cat_words.append(bits.astype(np.uint32))
            else:
                threshold.append(float(node["num_threshold"]))
                decision.append(8 | (2 if node["missing_go_to_left"] else 0))  # missing type NaN, default left
        lines = [
            f"Tree={index}",
            f"num_leaves={len(leaves)}",
            f"num_cat={len(cat_words)}",
            f"split_feature={_fmt(split_feature, 'd')}",
            f"split_gain={_fmt([max(float(nodes[n]['gain']), 0.0) for n in internal])}",
            "threshold=" + " ".join(repr(t) if isinstance(t, float) else str(t) for t in threshold),
            f"decision_type={_fmt(decision, 'd')}",
            f"left_child={_fmt(left, 'd')}",
            f"right_child={_fmt(right, 'd')}",
            f"leaf_value={_fmt([float(nodes[n]['value']) + baseline for n in leaves])}",
            f"leaf_weight={_fmt([float(nodes[n]['count']) for n in leaves])}",
            f"leaf_count={_fmt([nodes[n]['count'] for n in leaves], 'd')}",
            f"internal_value={_fmt([float(nodes[n]['value']) for n in internal])}",
            f"internal_weight={_fmt([float(nodes[n]['count']) for n in internal])}",
            f"internal_count={_fmt([nodes[n]['count'] for n in internal], 'd')}",
        ]
        if cat_words:
            lines.append(f"cat_boundaries={_fmt(np.arange(len(cat_words) + 1) * _WORDS, 'd')}")
            lines.append(f"cat_threshold={_fmt(np.concatenate(cat_words), 'd')}")
        lines += ["is_linear=0", "shrinkage=1", "", ""]
        return "\n".join(lines)

    def _model_string(self) -> str:
        est, k = self.est, self.n_classes
        baseline = np.asarray(est._baseline_prediction, dtype="float64").reshape(-1)
        objective = "regression" if not hasattr(est, "classes_") else ("binary sigmoid:1" if k == 1 else f"multiclass num_class:{k}")
        header = [
            "tree",
            "version=v4",
            f"num_class={k}",
            f"num_tree_per_iteration={k}",
            "label_index=0",
            f"max_feature_idx={len(self.columns) - 1}",
            f"objective={objective}",
            "feature_names=" + " ".join(f"f{i}" for i in range(len(self.columns))),
            "feature_infos=" + " ".join("none" for _ in self.columns),
            "",
            "",
        ]
        trees = []
        for it, predictors in enumerate(est._predictors):
            for c, predictor in enumerate(predictors):
                trees.append(self._tree(it * k + c, predictor, baseline[c] if it == 0 else 0.0))
        return "\n".join(header) + "".join(trees) + "end of trees\n"

    # -- use -------------------------------------------------------------------
    def matrix(self, X_encoded: pd.DataFrame) -> pd.DataFrame:
        """The model's own numeric matrix, with missing/unknown categories as :data:`UNKNOWN_CODE`."""
        M = np.array(self.est._preprocess_X(X_encoded, reset=False), dtype="float64")
        cats = M[:, : self.n_categorical]
        cats[np.isnan(cats) | (cats < 0)] = UNKNOWN_CODE
        return pd.DataFrame(M, columns=self.columns, index=X_encoded.index)

    def raw_output(self, M: pd.DataFrame) -> np.ndarray:
        """The copy's raw scores (log-odds, class margins or values), as LightGBM returns them."""
        return np.asarray(self.booster.predict(M.to_numpy(), raw_score=True), dtype="float64")
