"""The software environment a model was made in, and how the running one differs.

A model artifact is a pickle: it loads and predicts the same way only under the
library versions it was written with (scikit-learn's estimators, for one, are
only guaranteed within a minor series, and a pandas major changes dtypes).  So
every artifact records its environment (:func:`environment_spec`, stored beside
the artifact by :mod:`automl_canvas.registry.artifacts`), the training recipe
records the same versions, and a load compares them with the running process
(:func:`compare_versions`), naming each library that differs.

:data:`ARTIFACT_LIBRARIES` is the one list of what loading and predicting needs;
the training recipe (``recipe["libraries"]``) and the artifact's spec both come
from :func:`library_versions`.  Core layer: standard library only.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any

__all__ = ["ARTIFACT_LIBRARIES", "SPEC_FORMAT", "EnvironmentCheck", "EnvironmentMismatchWarning", "VersionDifference",
           "compare_versions", "environment_spec", "library_versions"]

#: What unpickling and predicting with a model can depend on (plus the Python version, always recorded).
ARTIFACT_LIBRARIES: tuple[str, ...] = ("automl-canvas", "flaml", "scikit-learn", "lightgbm", "xgboost", "catboost",
                                       "pandas", "numpy", "pyarrow")
#: Version of the spec's JSON layout (a reader refuses layouts it does not know).
SPEC_FORMAT = 1


class EnvironmentMismatchWarning(UserWarning):
    """A model artifact is loaded under library versions other than the ones it was written with."""


def library_versions(libraries: tuple[str, ...] = ARTIFACT_LIBRARIES) -> dict[str, str]:
    """``{"python": "3.11.7", "scikit-learn": "1.9.1", ...}`` for this process (libraries not installed are left out)."""
    out = {"python": platform.python_version()}
    for dist in libraries:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def environment_spec(artifact_sha256: str) -> dict[str, Any]:
    """The JSON document stored beside an artifact: the versions, and where it was written (for people only)."""
    return {"format": SPEC_FORMAT, "artifact_sha256": artifact_sha256, "versions": library_versions(),
            "python_implementation": platform.python_implementation(), "platform": f"{sys.platform}-{platform.machine()}"}


@dataclass(frozen=True)
class VersionDifference:
    """One library whose version differs: ``running`` is None when it is not installed here."""

    library: str
    stored: str
    running: str | None

    def sentence(self) -> str:
        return f"{self.library} {self.stored} when stored, {self.running or 'not installed'} here"

    def to_dict(self) -> dict[str, Any]:
        return {"library": self.library, "stored": self.stored, "running": self.running}


def compare_versions(stored: dict[str, str], running: dict[str, str] | None = None) -> tuple[VersionDifference, ...]:
    """Each library the stored versions name whose running version differs (``running``: this process's).

    Only the stored names count: a library that was not installed when the model was written cannot be
    one the model needs.
    """
    running = library_versions() if running is None else running
    return tuple(VersionDifference(name, str(then), running.get(name))
                 for name, then in sorted(stored.items()) if running.get(name) != str(then))


@dataclass(frozen=True)
class EnvironmentCheck:
    """A model artifact's recorded environment against the running one, as data a door can show.

    ``status``: ``"same"``, ``"different"`` (see ``differences``), ``"not_recorded"`` (an artifact written
    before environments were stored) or ``"unreadable"`` (its spec is damaged or in an unknown format).
    """

    artifact_sha256: str
    status: str
    stored: dict[str, str] | None
    running: dict[str, str]
    differences: tuple[VersionDifference, ...] = ()

    @classmethod
    def of(cls, artifact_sha256: str, stored: dict[str, str] | None, status: str | None = None) -> EnvironmentCheck:
        running = library_versions()
        if stored is None:
            return cls(artifact_sha256, status or "not_recorded", None, running)
        differences = compare_versions(stored, running)
        return cls(artifact_sha256, "different" if differences else "same", dict(stored), running, differences)

    @property
    def matches(self) -> bool:
        return self.status == "same"

    def message(self) -> str | None:
        """One sentence for a person (None when the environments match)."""
        short = f"{self.artifact_sha256[:12]}…"
        if self.status == "different":
            listed = "; ".join(d.sentence() for d in self.differences)
            return (f"Model artifact {short} was stored under other library versions than this process runs "
                    f"({listed}). Its predictions may differ from the reviewed ones: run it with the versions "
                    f"it was stored with, or retrain it here.")
        if self.status == "unreadable":
            return (f"Model artifact {short} has an environment record that cannot be read, so its library "
                    "versions cannot be compared with this process's.")
        if self.status == "not_recorded":
            return f"Model artifact {short} was stored without an environment record (written by an earlier release)."
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"artifact_sha256": self.artifact_sha256, "status": self.status, "stored": self.stored,
                "running": self.running, "differences": [d.to_dict() for d in self.differences],
                "message": self.message()}
