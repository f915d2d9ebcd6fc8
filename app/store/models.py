"""SQLAlchemy 2 typed models for the whole product; times are UTC epoch milliseconds.

Secrets never live here: remote accounts keep only a keyring entry name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Athlete(Base):
    """The user (is_self) or a coached client; imported clients are read-only."""

    __tablename__ = "athletes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    remote_ref: Mapped[str | None] = mapped_column(String(120))  # id in the lake, for coaches
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(10))  # "male" | "female"
    weight_kg: Mapped[float | None] = mapped_column(Float)
    height_cm: Mapped[float | None] = mapped_column(Float)
    resting_hr: Mapped[int | None] = mapped_column(Integer)
    max_hr: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[str] = mapped_column(String(10), default="metric")
    zone_model: Mapped[str] = mapped_column(String(20), default="karvonen")
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name; None = system
    created_ms: Mapped[int] = mapped_column(Integer)
    ftp_w: Mapped[float | None] = mapped_column(Float)  # functional threshold power, for TSS
    threshold_hr: Mapped[int | None] = mapped_column(Integer)  # lactate threshold HR (bpm)


class Device(Base):
    """A sensor seen or paired; remembered per athlete for automatic reconnection."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("athlete_id", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int | None] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # hr | rsc | csc | power | ftms | feed
    paired: Mapped[bool] = mapped_column(Boolean, default=False)
    battery_pct: Mapped[int | None] = mapped_column(Integer)
    info: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # manufacturer, model, firmware...
    last_seen_ms: Mapped[int | None] = mapped_column(Integer)


class Session(Base):
    """One recorded or imported activity and its stored summary."""

    __tablename__ = "sessions"
    __table_args__ = (Index(None, "athlete_id", "started_ms"), Index(None, "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)  # stable id for external_id
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    sport: Mapped[str] = mapped_column(String(30), default="other")
    title: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(30))  # simulator | ble | feed | import | lake
    status: Mapped[str] = mapped_column(String(12))  # recording | finished | recovered
    started_ms: Mapped[int] = mapped_column(Integer)
    ended_ms: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    deleted_ms: Mapped[int | None] = mapped_column(Integer)  # soft delete, for undo
    # Summary, filled on stop or recovery.
    duration_s: Mapped[float | None] = mapped_column(Float)
    moving_s: Mapped[float | None] = mapped_column(Float)
    sample_count: Mapped[int | None] = mapped_column(Integer)
    avg_hr: Mapped[float | None] = mapped_column(Float)
    max_hr: Mapped[int | None] = mapped_column(Integer)
    zone1_s: Mapped[float | None] = mapped_column(Float)
    zone2_s: Mapped[float | None] = mapped_column(Float)
    zone3_s: Mapped[float | None] = mapped_column(Float)
    zone4_s: Mapped[float | None] = mapped_column(Float)
    zone5_s: Mapped[float | None] = mapped_column(Float)
    kcal: Mapped[float | None] = mapped_column(Float)
    kcal_method: Mapped[str | None] = mapped_column(String(20))
    trimp: Mapped[float | None] = mapped_column(Float)
    avg_cadence: Mapped[float | None] = mapped_column(Float)
    max_cadence: Mapped[float | None] = mapped_column(Float)
    avg_power: Mapped[float | None] = mapped_column(Float)
    max_power: Mapped[float | None] = mapped_column(Float)
    avg_speed: Mapped[float | None] = mapped_column(Float)
    max_speed: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    steps: Mapped[int | None] = mapped_column(Integer)
    rr_count: Mapped[int | None] = mapped_column(Integer)
    rmssd_ms: Mapped[float | None] = mapped_column(Float)
    # Changes on every write to the session, its samples or its pauses (triggers, migration
    # 0003): the daily summaries cached in day_summaries are checked against it.
    rev: Mapped[int] = mapped_column(Integer, server_default="0")


class SampleRow(Base):
    """Time series; every channel nullable. Written by the batched writer with raw executemany."""

    __tablename__ = "samples"
    __table_args__ = (Index(None, "session_id", "t_ms"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    t_ms: Mapped[int] = mapped_column(Integer)
    hr: Mapped[int | None] = mapped_column(Integer)
    cadence: Mapped[float | None] = mapped_column(Float)
    speed: Mapped[float | None] = mapped_column(Float)
    power: Mapped[float | None] = mapped_column(Float)
    distance: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    altitude: Mapped[float | None] = mapped_column(Float)
    steps: Mapped[int | None] = mapped_column(Integer)
    met: Mapped[float | None] = mapped_column(Float)
    received_ms: Mapped[int | None] = mapped_column(Integer)  # arrival time, for clock offset
    temperature: Mapped[float | None] = mapped_column(Float)  # °C (0004_temperature)


class RRInterval(Base):
    """One RR interval (ms) at the time its notification arrived."""

    __tablename__ = "rr_intervals"
    __table_args__ = (Index(None, "session_id", "t_ms"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    t_ms: Mapped[int] = mapped_column(Integer)
    rr_ms: Mapped[float] = mapped_column(Float)


class Marker(Base):
    """Lap, pause, resume or a free marker within a session."""

    __tablename__ = "markers"
    __table_args__ = (Index(None, "session_id", "t_ms"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # lap | pause | resume | marker
    t_ms: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(200))


class Exercise(Base):
    """Catalog entry (built in from resources/ or user-defined for one athlete)."""

    __tablename__ = "exercises"
    __table_args__ = (UniqueConstraint("athlete_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int | None] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE")
    )  # None = built in
    name: Mapped[str] = mapped_column(String(120))
    aliases: Mapped[list[str] | None] = mapped_column(JSON)
    muscle_groups: Mapped[list[str] | None] = mapped_column(JSON)
    equipment: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="strength")  # strength | cardio


class ExerciseSet(Base):
    """A logged set, with HR during it and the recovery after it."""

    __tablename__ = "exercise_sets"
    __table_args__ = (Index(None, "athlete_id", "exercise_id", "started_ms"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    exercise_name: Mapped[str] = mapped_column(String(120))
    reps: Mapped[int | None] = mapped_column(Integer)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    rpe: Mapped[float | None] = mapped_column(Float)
    started_ms: Mapped[int] = mapped_column(Integer)
    ended_ms: Mapped[int | None] = mapped_column(Integer)
    avg_hr: Mapped[float | None] = mapped_column(Float)
    max_hr: Mapped[int | None] = mapped_column(Integer)
    hr_recovery: Mapped[float | None] = mapped_column(Float)  # bpm drop 60 s after the set
    e1rm_kg: Mapped[float | None] = mapped_column(Float)
    is_pr: Mapped[bool] = mapped_column(Boolean, default=False)


class PersonalRecord(Base):
    """A record set by one exercise set (estimated 1RM, best weight for N reps, volume)."""

    __tablename__ = "personal_records"
    __table_args__ = (Index(None, "athlete_id", "exercise_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    set_id: Mapped[int] = mapped_column(ForeignKey("exercise_sets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # e1rm | weight_for_reps | volume
    reps: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    achieved_ms: Mapped[int] = mapped_column(Integer)


class BodyMetric(Base):
    """Weight, body fat, resting HR, HRV... entered or measured."""

    __tablename__ = "body_metrics"
    __table_args__ = (Index(None, "athlete_id", "kind", "measured_ms"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # weight_kg | body_fat_pct | resting_hr | rmssd
    value: Mapped[float] = mapped_column(Float)
    measured_ms: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20), default="manual")


class Goal(Base):
    """A target over a period; achievements are stored once per period."""

    __tablename__ = "goals"
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # steps | distance | active_min | sessions...
    period: Mapped[str] = mapped_column(String(10))  # daily | weekly | monthly | range
    target: Mapped[float] = mapped_column(Float)
    zone: Mapped[int | None] = mapped_column(Integer)  # for time-in-zone goals
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))  # reps goals
    start_date: Mapped[str | None] = mapped_column(String(10))  # ISO date, for ranges
    end_date: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_ms: Mapped[int] = mapped_column(Integer)


class GoalAchievement(Base):
    """'Achieved' is emitted exactly once per goal and period: the unique key enforces it."""

    __tablename__ = "goal_achievements"
    __table_args__ = (UniqueConstraint("goal_id", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    period_start: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    achieved_ms: Mapped[int] = mapped_column(Integer)
    notified: Mapped[bool] = mapped_column(Boolean, default=False)


class RemoteAccount(Base):
    """A linked Strava (or other) account; tokens live in keyring under `keyring_key`."""

    __tablename__ = "remote_accounts"
    __table_args__ = (UniqueConstraint("provider", "remote_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(20))  # strava | s3 | pulsoid | hyperate
    remote_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(10), default="owner")  # owner | child
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_accounts.id", ondelete="CASCADE")
    )
    child_names: Mapped[list[str] | None] = mapped_column(JSON)  # names that route a copy here
    scopes: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="ok")  # ok | needs_reauth | inactive
    keyring_key: Mapped[str | None] = mapped_column(String(120))
    created_ms: Mapped[int] = mapped_column(Integer)


class RemoteActivity(Base):
    """What exists remotely for a session or a foreign activity: the exactly-once ledger."""

    __tablename__ = "remote_activities"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id"),
        Index(None, "account_id", "remote_activity_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("remote_accounts.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), index=True
    )
    external_id: Mapped[str] = mapped_column(String(120))
    upload_id: Mapped[str | None] = mapped_column(String(40))
    remote_activity_id: Mapped[str | None] = mapped_column(String(40))
    source_activity_id: Mapped[str | None] = mapped_column(String(40))  # for child copies
    state: Mapped[str] = mapped_column(String(20))  # uploading | processing | ready | error
    error: Mapped[str | None] = mapped_column(Text)
    updated_ms: Mapped[int] = mapped_column(Integer)


class SyncJob(Base):
    """Outbox: one row per piece of background work; `dedupe_key` makes enqueue idempotent."""

    __tablename__ = "sync_jobs"
    __table_args__ = (Index(None, "state", "next_attempt_ms"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # strava_upload | child_copy | lake_push ...
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_accounts.id", ondelete="CASCADE")
    )
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending|running|done|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_ms: Mapped[int] = mapped_column(Integer, default=0)
    lease_until_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_ms: Mapped[int] = mapped_column(Integer)
    updated_ms: Mapped[int] = mapped_column(Integer)


class Feed(Base):
    """A websocket trace feed (Pulsedeck protocol, Pulsoid, HypeRate); token in keyring."""

    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    protocol: Mapped[str] = mapped_column(String(20))  # pulsedeck | pulsoid | hyperate
    url: Mapped[str] = mapped_column(String(500))
    athlete_id: Mapped[int | None] = mapped_column(ForeignKey("athletes.id", ondelete="SET NULL"))
    keyring_key: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class FeedCursor(Base):
    """Resume point per feed and remote athlete so a reconnect neither loses nor duplicates."""

    __tablename__ = "feed_cursors"
    __table_args__ = (UniqueConstraint("source", "remote_athlete"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))  # feed URL or name
    remote_athlete: Mapped[str] = mapped_column(String(120))
    athlete_id: Mapped[int | None] = mapped_column(ForeignKey("athletes.id", ondelete="SET NULL"))
    last_measured_ms: Mapped[int] = mapped_column(Integer)
    clock_offset_ms: Mapped[int | None] = mapped_column(Integer)  # arrival - device time


class Setting(Base):
    """Key/value app settings; each key is declared once in app.settings with its default."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


#: Tables of derived figures only (recomputed when missing or stale): a read may fill them.
DERIVED_TABLES: frozenset[str] = frozenset({"day_summaries", "session_readings", "session_tracks"})


class DaySummaryRow(Base):
    """A cached daily summary (app.training.day_cache); derived data, dropped with the athlete."""

    __tablename__ = "day_summaries"
    athlete_id: Mapped[int] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date, local
    context: Mapped[str] = mapped_column(String(64))  # digest of profile, zones, zone, maths
    stamp: Mapped[str] = mapped_column(Text)  # id:rev of each session touching the day
    data: Mapped[str] = mapped_column(Text)  # the DaySummary as JSON


class SessionReading(Base):
    """A session's cached RMSSD and HR for readiness (app.training.readiness), per revision."""

    __tablename__ = "session_readings"
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    whole: Mapped[bool] = mapped_column(Boolean, primary_key=True)  # whole or first minutes
    rev: Mapped[int] = mapped_column(Integer)  # sessions.rev it was computed from
    rmssd_ms: Mapped[float | None] = mapped_column(Float)  # None: no reliable RMSSD
    hr: Mapped[float | None] = mapped_column(Float)  # resting (whole) or mean (first minutes)


class SessionTrackRow(Base):
    """A session's pieces per channel (app.training.track_store), valid for one revision."""

    __tablename__ = "session_tracks"
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    rev: Mapped[int] = mapped_column(Integer)  # sessions.rev it was computed from
    version: Mapped[int] = mapped_column(Integer)  # track_store.PIECES_VERSION
    pieces: Mapped[bytes] = mapped_column(LargeBinary)  # track_store.encode
