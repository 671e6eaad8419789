"""A brute-force reference for path-dependent TreeSHAP on HistGradientBoosting trees.

Written from the definition (Lundberg et al. 2020, Algorithm 1) and from
scikit-learn's own routing rules (``_predictor.pyx``), sharing no code with the
product: the value of a coalition S is each tree's output when the features in
S follow the row and the others split the way the training rows did (weighted
by node counts); Shapley values come from all 2^M coalitions.  Only for small
models (M encoded columns, few trees).
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np


def _in_bitset(bitset: np.ndarray, value: int) -> bool:
    return bool((int(bitset[value // 32]) >> (value % 32)) & 1)


def _goes_left(est, predictor, node, x: np.ndarray, known, f_idx_map) -> bool:
    v = x[node["feature_idx"]]
    if np.isnan(v):
        return bool(node["missing_go_to_left"])
    if node["is_categorical"]:
        code = int(v)
        if code < 0:
            return bool(node["missing_go_to_left"])
        if _in_bitset(predictor.raw_left_cat_bitsets[node["bitset_idx"]], code):
            return True
        if _in_bitset(known[f_idx_map[node["feature_idx"]]], code):
            return False
        return bool(node["missing_go_to_left"])  # unknown categories are treated as missing
    return bool(v <= node["num_threshold"])


def _expected(est, predictor, x, coalition: frozenset, known, f_idx_map, i: int = 0) -> float:
    nodes = predictor.nodes
    node = nodes[i]
    if node["is_leaf"]:
        return float(node["value"])
    left, right = int(node["left"]), int(node["right"])
    if int(node["feature_idx"]) in coalition:
        nxt = left if _goes_left(est, predictor, node, x, known, f_idx_map) else right
        return _expected(est, predictor, x, coalition, known, f_idx_map, nxt)
    w = float(node["count"])
    return (float(nodes[left]["count"]) * _expected(est, predictor, x, coalition, known, f_idx_map, left)
            + float(nodes[right]["count"]) * _expected(est, predictor, x, coalition, known, f_idx_map, right)) / w


def hgb_tree_shap(est, X_encoded) -> tuple[np.ndarray, np.ndarray]:
    """(n, M, k) Shapley values per column of scikit-learn's own matrix, and (k,) expected values."""
    X = np.asarray(est._preprocess_X(X_encoded, reset=False), dtype="float64")
    known, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
    n, m = X.shape
    k = est.n_trees_per_iteration_
    baseline = np.asarray(est._baseline_prediction, dtype="float64").reshape(-1)
    phi = np.zeros((n, m, k))
    base = np.zeros(k)
    players = range(m)
    for c in range(k):
        trees = [its[c] for its in est._predictors]
        for r in range(n):
            cache = {}

            def v(s: frozenset, _r=r, _trees=trees, _cache=cache) -> float:
                if s not in _cache:
                    _cache[s] = sum(_expected(est, t, X[_r], s, known, f_idx_map) for t in _trees)
                return _cache[s]

            for i in players:
                others = [p for p in players if p != i]
                for size in range(m):
                    weight = factorial(size) * factorial(m - size - 1) / factorial(m)
                    for s in combinations(others, size):
                        s = frozenset(s)
                        phi[r, i, c] += weight * (v(s | {i}) - v(s))
            base[c] = v(frozenset()) + baseline[c]
    return phi, base
