"""Tables of the prediction log: the index of its Parquet segments, and the labels fed back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, UTCDateTime


class PredictionSegmentRow(Base):
    """One Parquet segment of logged predictions of one (endpoint, model version, route).

    A row is inserted only once its blob is complete, in the same transaction as the
    other segments of a flush, so a reader never sees a segment without its bytes.
    """

    __tablename__ = "prediction_segments"
    __table_args__ = (
        Index("ix_prediction_segments_endpoint_time", "endpoint", "min_ts", "max_ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(256))
    model_name: Mapped[str] = mapped_column(String(256))
    model_version: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(80))
    row_count: Mapped[int] = mapped_column(BigInteger)
    min_ts: Mapped[datetime] = mapped_column(UTCDateTime)
    max_ts: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PredictionFeedbackRow(Base):
    """The ground-truth label of one row of one request; a later label replaces it."""

    __tablename__ = "prediction_feedback"
    __table_args__ = (Index("ix_prediction_feedback_endpoint_received", "endpoint", "received_at"),)

    endpoint: Mapped[str] = mapped_column(String(256), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    row_index: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    label: Mapped[str] = mapped_column(Text)  # JSON text: numbers, strings and booleans
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
