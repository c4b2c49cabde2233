"""Tables of datasets: names, content-addressed versions, and validation results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, SoftDeleted, UTCDateTime


class DatasetRow(SoftDeleted, Base):
    __tablename__ = "datasets"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DatasetVersionRow(SoftDeleted, Base):
    """One immutable version: the Parquet blobs holding it, its schema and its profile."""

    __tablename__ = "dataset_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(ForeignKey("datasets.name"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(80))
    num_rows: Mapped[int] = mapped_column(BigInteger)
    num_bytes: Mapped[int] = mapped_column(BigInteger)
    schema: Mapped[dict[str, str]] = mapped_column(JSON)
    files: Mapped[list[dict[str, object]]] = mapped_column(JSON)  # [{"digest", "size"}] in order
    profile: Mapped[dict[str, object] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(128))
    run_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),
        UniqueConstraint("name", "digest", name="uq_dataset_versions_name_digest"),
    )


class DatasetValidationRow(Base):
    """The outcome of one suite evaluated on one version."""

    __tablename__ = "dataset_validations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    suite: Mapped[str] = mapped_column(String(256))
    suite_digest: Mapped[str] = mapped_column(String(80))
    success: Mapped[bool] = mapped_column(Boolean)
    results: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    run_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
