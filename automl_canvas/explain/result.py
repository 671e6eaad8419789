"""SHAP explanations as plain data: computed once, stored, read by any door.

An :class:`Explanation` holds the values per original column (never per
encoded column: an analyst thinks in the columns of their file, so a date's
year/month/day parts and a category's code are one column here), the rows they
explain and how they were computed.  It knows nothing about shap or
matplotlib, so a stored explanation can be loaded and plotted by a process
that never imports either library.

Storage: :meth:`Explanation.to_frames` gives two tables (values and data, for
Parquet) and a JSON-able dict; :meth:`Explanation.from_frames` reads them back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError

__all__ = ["FORMAT_VERSION", "Explanation"]

#: Bumped when the stored layout changes, so old artifacts are read knowingly.
FORMAT_VERSION = 1
_ROW = "__row__"
_OUTPUT = "__output__"


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    return str(v)


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed Python types become text (Parquet needs one type per column)."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if s.dtype == object:
            kinds = {type(v) for v in s.dropna()}
            if len(kinds) > 1:
                out[c] = s.map(lambda v: v if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    return out


@dataclass
class Explanation:
    """SHAP values of one model on some rows, per original column and per output."""

    #: Original feature columns, in the model's input order.
    columns: list[str]
    #: One name per explained output: class labels (binary: the positive class only), or the target.
    output_names: list[Any]
    #: (n_rows, n_columns, n_outputs) contributions, in :attr:`output_space`.
    values: np.ndarray
    #: (n_outputs,) the expected output every row starts from.
    base_values: np.ndarray
    #: The original values of the explained rows (index = :attr:`row_index`).
    data: pd.DataFrame
    #: Labels of the explained rows in the frame they came from.
    row_index: list[Any]
    #: "tree", "linear" or "permutation".
    explainer: str
    #: "log_odds", "margin", "probability" or "raw" (see ``explain.library``).
    output_space: str
    learner: str = ""
    task: str = ""
    #: How many rows were offered before sampling.
    n_rows_total: int = 0
    #: How it was computed: seed, background rows, row cap, library versions, reason.
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype="float64")
        self.base_values = np.asarray(self.base_values, dtype="float64").reshape(-1)
        expected = (len(self.row_index), len(self.columns), len(self.output_names))
        if self.values.shape != expected or self.base_values.shape != (expected[2],):
            raise ValueError(f"values {self.values.shape} / base_values {self.base_values.shape} do not match {expected}")

    # -- shape ---------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return self.values.shape[0]

    @property
    def n_outputs(self) -> int:
        return self.values.shape[2]

    def output_position(self, output: int | Any = 0) -> int:
        """An output given by position or by name (class label), as a position."""
        if isinstance(output, (int, np.integer)) and not isinstance(output, bool) and 0 <= output < self.n_outputs:
            return int(output)
        for i, name in enumerate(self.output_names):
            if name == output or str(name) == str(output):
                return i
        raise ValidationError(
            f"This explanation has no output {output!r}; its outputs are {', '.join(map(repr, self.output_names))}.",
            details={"outputs": _jsonable(self.output_names)},
        )

    def column_position(self, column: str) -> int:
        try:
            return self.columns.index(column)
        except ValueError:
            raise ValidationError(
                f"The column '{column}' is not a feature of this model; its features are "
                f"{', '.join(repr(c) for c in self.columns[:10])}{' and more' if len(self.columns) > 10 else ''}.",
                details={"column": column},
            ) from None

    def output_values(self) -> np.ndarray:
        """(n_rows, n_outputs): base value + contributions = the model's output in :attr:`output_space`."""
        return self.base_values[None, :] + self.values.sum(axis=1)

    # -- views ---------------------------------------------------------------
    def global_importance(self, output: int | Any | None = None) -> pd.DataFrame:
        """Mean |SHAP| per original column, largest first.

        With ``output=None`` the mean is also taken over the outputs (every
        class of a multiclass model counts equally).
        """
        abs_vals = np.abs(self.values)
        if output is None:
            imp = abs_vals.mean(axis=(0, 2)) if self.n_rows else np.zeros(len(self.columns))
        else:
            k = self.output_position(output)
            imp = abs_vals[:, :, k].mean(axis=0) if self.n_rows else np.zeros(len(self.columns))
        out = pd.DataFrame({"column": self.columns, "mean_abs_shap": imp})
        return out.sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(drop=True)

    def dependence(self, column: str, output: int | Any = 0) -> pd.DataFrame:
        """One feature's original value and its contribution, per explained row."""
        j, k = self.column_position(column), self.output_position(output)
        return pd.DataFrame(
            {"feature_value": self.data[column].to_numpy(), "shap_value": self.values[:, j, k]},
            index=pd.Index(self.row_index, name="row"),
        )

    def row(self, i: int, output: int | Any = 0) -> pd.DataFrame:
        """Contributions of row position ``i``, largest |value| first.

        ``attrs`` carries ``base_value``, ``output_value`` (their sum), the
        row's label and the output name, which a waterfall needs.
        """
        if not 0 <= i < self.n_rows:
            raise ValidationError(f"Row position {i} is out of range; this explanation has {self.n_rows} row(s).")
        k = self.output_position(output)
        contrib = self.values[i, :, k]
        table = pd.DataFrame(
            {"column": self.columns, "feature_value": self.data.iloc[i][self.columns].to_numpy(), "contribution": contrib}
        )
        table = table.iloc[np.argsort(-np.abs(contrib), kind="stable")].reset_index(drop=True)
        table.attrs.update(
            base_value=float(self.base_values[k]),
            output_value=float(self.base_values[k] + contrib.sum()),
            row=self.row_index[i],
            output=self.output_names[k],
            output_space=self.output_space,
        )
        return table

    # -- storage ---------------------------------------------------------------
    def to_frames(self) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
        """(values, data, meta): two Parquet-friendly tables and a JSON-able dict.

        ``values`` has one row per (explained row, output) with one float column
        per feature; column names are made strings, the real names live in
        ``meta["columns"]``.
        """
        n, m, k = self.values.shape
        vals = self.values.transpose(0, 2, 1).reshape(n * k, m)
        values = pd.DataFrame(vals, columns=[str(c) for c in self.columns])
        values.insert(0, _OUTPUT, np.tile(np.arange(k), n))
        values.insert(0, _ROW, np.repeat(np.arange(n), k))
        data = _parquet_safe(self.data.reset_index(drop=True))
        data.columns = [str(c) for c in data.columns]
        data.insert(0, _ROW, np.arange(n))
        meta = {
            "format_version": FORMAT_VERSION,
            "columns": _jsonable(self.columns),
            "output_names": _jsonable(self.output_names),
            "base_values": [float(b) for b in self.base_values],
            "row_index": _jsonable(self.row_index),
            "explainer": self.explainer,
            "output_space": self.output_space,
            "learner": self.learner,
            "task": self.task,
            "n_rows_total": int(self.n_rows_total),
            "meta": _jsonable(self.meta),
        }
        return values, data, meta

    @classmethod
    def from_frames(cls, values: pd.DataFrame, data: pd.DataFrame, meta: dict[str, Any]) -> Explanation:
        """Rebuild what :meth:`to_frames` wrote (after a Parquet + JSON round trip)."""
        version = meta.get("format_version")
        if version != FORMAT_VERSION:
            raise ValidationError(f"Stored explanation format {version!r} is not readable by this version (expects {FORMAT_VERSION}).")
        columns, outputs = list(meta["columns"]), list(meta["output_names"])
        n, m, k = len(meta["row_index"]), len(columns), len(outputs)
        if len(values) != n * k or values.shape[1] != m + 2:
            raise ValidationError(f"Stored explanation values have shape {values.shape}, expected {(n * k, m + 2)}.")
        ordered = values.sort_values([_ROW, _OUTPUT], kind="stable")
        arr = ordered.iloc[:, 2:].to_numpy(dtype="float64").reshape(n, k, m).transpose(0, 2, 1)
        frame = data.sort_values(_ROW, kind="stable").drop(columns=[_ROW]).reset_index(drop=True)
        frame.columns = columns
        frame.index = pd.Index(meta["row_index"])
        return cls(
            columns=columns,
            output_names=outputs,
            values=arr,
            base_values=np.asarray(meta["base_values"], dtype="float64"),
            data=frame,
            row_index=list(meta["row_index"]),
            explainer=meta["explainer"],
            output_space=meta["output_space"],
            learner=meta.get("learner", ""),
            task=meta.get("task", ""),
            n_rows_total=int(meta.get("n_rows_total", n)),
            meta=dict(meta.get("meta", {})),
        )
