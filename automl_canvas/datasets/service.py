"""Dataset use cases: ingest an uploaded file, look datasets up, load their rows.

Ingest order matters for "nothing half-written": parse and profile in memory,
write the Parquet copy to a temporary file, store it in the object store under
the sha256 of the Parquet bytes (atomically), then insert the row; if the insert
fails the new object is removed. Identical bytes uploaded again to the same
project return the existing dataset. Reads are hashed against that digest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..auth.policy import require
from ..auth.resources import Access, dataset_for, project_for
from ..config import Settings
from ..db import session_scope
from ..errors import DatasetValidationError
from ..models import Dataset, DatasetPublic
from ..storage import get_store, key_digest, sha256_file
from .parsing import read_table
from .profiling import profile_frame

__all__ = ["get_dataset", "ingest_file", "list_datasets", "load_columns", "load_frame"]


def _check_size(path: Path, settings: Settings) -> int:
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise DatasetValidationError(
            f"The file is {size / 1e6:.1f} MB, over the upload limit of {settings.max_upload_bytes / 1e6:.0f} MB. "
            "Upload a smaller extract or ask an administrator to raise the limit."
        )
    return size


def ingest_file(engine: Engine, settings: Settings, actor, project_id: int, path: Path, filename: str | None = None) -> DatasetPublic:
    path = Path(path)
    filename = filename or path.name
    with session_scope(engine) as s:
        project_for(s, actor, "dataset.ingest", project_id)  # editors and owners of the project
    size = _check_size(path, settings)
    digest = sha256_file(path)
    with session_scope(engine) as s:
        existing = _by_digest(s, project_id, digest)
        if existing is not None:
            return existing

    df = read_table(path, filename, max_bytes=settings.max_upload_bytes, max_columns=settings.max_columns)
    profile = profile_frame(df)
    store = get_store(settings)
    tmp = settings.artifact_dir / "tmp" / f"{digest}.{os.getpid()}.parquet.part"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        df.to_parquet(tmp, index=False)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise DatasetValidationError(f"The table could not be stored ({exc}). Check for columns with mixed kinds of values.") from exc
    stored = sha256_file(tmp)
    rel = f"datasets/{stored[:2]}/{stored}.parquet"
    created_file = not store.exists(rel)
    if created_file:
        store.put_file(rel, tmp)
    else:
        tmp.unlink(missing_ok=True)
    try:
        with session_scope(engine) as s:
            row = Dataset(
                project_id=project_id,
                name=filename,
                sha256=digest,
                file_format=Path(filename).suffix.lower().lstrip("."),
                size_bytes=size,
                n_rows=len(df),
                n_columns=df.shape[1],
                storage_path=rel,
                created_by_id=actor.id,
                profile=profile.to_dict(),
            )
            s.add(row)
            s.flush()
            return DatasetPublic.model_validate(row)
    except sa.exc.IntegrityError:
        # The same bytes were ingested concurrently: the other upload won; use it.
        with session_scope(engine) as s:
            existing = _by_digest(s, project_id, digest)
            if existing is not None:
                return existing
        raise
    except BaseException:
        if created_file and not _referenced(engine, rel):
            store.delete(rel)
        raise


def _by_digest(s: Session, project_id: int, digest: str) -> DatasetPublic | None:
    row = s.exec(select(Dataset).where(Dataset.project_id == project_id, Dataset.sha256 == digest)).one_or_none()
    return DatasetPublic.model_validate(row) if row else None


def _referenced(engine: Engine, rel: str) -> bool:
    with session_scope(engine) as s:
        return s.exec(select(Dataset.id).where(Dataset.storage_path == rel)).first() is not None


def get_dataset(session: Session, actor, dataset_id: int) -> DatasetPublic:
    return DatasetPublic.model_validate(dataset_for(session, actor, "dataset.read", dataset_id))


def list_datasets(session: Session, actor, project_id: int | None = None) -> list[DatasetPublic]:
    """The datasets the actor may see (of one project: NotFound when the actor may not see the project)."""
    require(actor, "dataset.read")
    stmt = select(Dataset).order_by(Dataset.id)
    if project_id is not None:
        project_for(session, actor, "dataset.read", project_id)
        stmt = stmt.where(Dataset.project_id == project_id)
    return [DatasetPublic.model_validate(d) for d in Access(session, actor).filter("dataset.read", session.exec(stmt), "dataset")]


def _stored_file(settings: Settings, dataset: DatasetPublic) -> Path:
    """The verified Parquet copy. Datasets are stored under the digest of their Parquet bytes; ones ingested
    before that were filed under the upload's digest, so only the store's own record (if any) can be checked."""
    stem = key_digest(dataset.storage_path)
    expected = None if stem in (None, dataset.sha256) else stem
    return get_store(settings).get_path(dataset.storage_path, expected, "dataset")


def load_frame(settings: Settings, dataset: DatasetPublic) -> pd.DataFrame:
    """The stored rows (the Parquet copy written at ingest, immutable in the object store)."""
    return pd.read_parquet(_stored_file(settings, dataset))


def load_columns(settings: Settings, dataset: DatasetPublic, columns: list[str]) -> pd.DataFrame:
    return pd.read_parquet(_stored_file(settings, dataset), columns=columns)
