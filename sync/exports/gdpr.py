"""GDPR: everything about one athlete as a zip (CSV per table + manifest), or erased.

Secrets are never exported: tokens and keys live in the OS keyring, and the columns that name
keyring entries, job payloads and feed URLs (which may embed a token) are left out or cut.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Connection

from app.secrets import delete_secret
from app.store.repo import Store, now_ms
from sync.progress import CancelCheck, Progress, Steps

from .common import atomic_file, iso_utc

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from sync.lake.s3 import LakeClient

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1

#: (table, WHERE clause, parameters key) in dependency order. `:a` is the athlete id; the
#: `{sessions}`, `{accounts}`, `{goals}`, `{sets}` placeholders are id lists filled in.
_SCOPE: tuple[tuple[str, str], ...] = (
    ("athletes", "id = :a"),
    ("devices", "athlete_id = :a"),
    ("sessions", "athlete_id = :a"),
    ("samples", "session_id IN ({sessions})"),
    ("rr_intervals", "session_id IN ({sessions})"),
    ("markers", "session_id IN ({sessions})"),
    ("exercises", "athlete_id = :a"),
    ("exercise_sets", "athlete_id = :a OR session_id IN ({sessions})"),
    ("personal_records", "athlete_id = :a"),
    ("body_metrics", "athlete_id = :a"),
    ("goals", "athlete_id = :a"),
    ("goal_achievements", "goal_id IN ({goals})"),
    ("remote_accounts", "athlete_id = :a"),
    ("remote_activities", "account_id IN ({accounts}) OR session_id IN ({sessions})"),
    ("sync_jobs", "account_id IN ({accounts}) OR session_id IN ({sessions})"),
    ("feeds", "athlete_id = :a"),
    ("feed_cursors", "athlete_id = :a"),
    ("day_summaries", "athlete_id = :a"),  # derived (app.training.day_cache), erased too
    ("session_readings", "session_id IN ({sessions})"),  # derived (training.readiness)
    ("session_tracks", "session_id IN ({sessions})"),  # derived (training.track_store)
)
#: Columns never exported: keyring entry names and free-form job payloads/results.
_EXCLUDED: dict[str, set[str]] = {
    "remote_accounts": {"keyring_key"},
    "feeds": {"keyring_key"},
    "sync_jobs": {"payload", "result"},
}


def _ids(conn: Connection, sql: str, params: dict[str, int]) -> list[int]:
    return [r[0] for r in conn.exec_driver_sql(sql, tuple(params.values())).all()]


def _where(clause: str, ids: dict[str, list[int]]) -> str:
    out = clause
    for name, values in ids.items():
        out = out.replace("{" + name + "}", ", ".join(str(int(v)) for v in values) or "NULL")
    return out.replace(":a", "?")


def _scope_ids(conn: Connection, athlete_id: int) -> dict[str, list[int]]:
    a = {"a": athlete_id}
    return {
        "sessions": _ids(conn, "SELECT id FROM sessions WHERE athlete_id = ?", a),
        "accounts": _ids(conn, "SELECT id FROM remote_accounts WHERE athlete_id = ?", a),
        "goals": _ids(conn, "SELECT id FROM goals WHERE athlete_id = ?", a),
    }


def _strip_url(url: object) -> object:
    """A feed URL without userinfo, query or fragment (where tokens hide)."""
    if not isinstance(url, str):
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _cell(value: object) -> object:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bytes):  # a blob (session_tracks.pieces) as base64 text
        return base64.b64encode(value).decode("ascii")
    return "" if value is None else value


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: Path
    rows: dict[str, int]


#: Rows of one table per progress report and cancel check (the samples table is the big one).
CHUNK_ROWS = 5_000


def export_all(
    store: Store,
    athlete_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    force: bool = False,
) -> ExportReport:
    """Write `path` (a zip): one CSV per table of the athlete's rows and manifest.json.

    Progress counts rows over every table (plus one unit per table, so empty ones move the
    bar); `cancel` is checked per chunk of rows and before the zip is renamed into place.
    An existing file is replaced only with `force` (common.check_target).
    """
    athlete = store.athlete(athlete_id)
    if athlete is None:
        raise LookupError(f"no athlete {athlete_id}")
    files: list[dict[str, object]] = []
    rows_by_table: dict[str, int] = {}
    steps = Steps(1, progress, cancel)
    with (
        atomic_file(path, "wb", force=force) as raw,
        zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf,
    ):
        with store.engine.connect() as conn:
            ids = _scope_ids(conn, athlete_id)
            if progress is not None:  # counting costs a query per table: only when shown
                counts = count_rows(store, athlete_id, ids["sessions"])
                steps.grow(sum(counts.values()) + len(_SCOPE))
            steps.start()
            for table, clause in _SCOPE:
                where = _where(clause, ids)
                params = (athlete_id,) * where.count("?")
                result = conn.exec_driver_sql(f"SELECT * FROM {table} WHERE {where}", params)
                columns = list(result.keys())
                keep = [i for i, c in enumerate(columns) if c not in _EXCLUDED.get(table, set())]
                digest = hashlib.sha256()
                n = 0
                name = f"data/{table}.csv"
                with zf.open(name, "w") as member:
                    # typeshed wants a readable buffer here; TextIOWrapper only writes to it.
                    text = io.TextIOWrapper(  # type: ignore[type-var]
                        _Hashing(member, digest), "utf-8", newline=""
                    )
                    w = csv.writer(text)
                    w.writerow([columns[i] for i in keep])
                    while chunk := result.fetchmany(CHUNK_ROWS):
                        steps.check()
                        for row in chunk:
                            values = [row[i] for i in keep]
                            if table == "feeds":
                                values = [
                                    _strip_url(v) if columns[i] == "url" else v
                                    for i, v in zip(keep, values, strict=True)
                                ]
                            w.writerow([_cell(v) for v in values])
                        n += len(chunk)
                        steps.step(len(chunk))
                    text.flush()
                    text.detach()
                steps.step()  # the table itself
                rows_by_table[table] = n
                files.append(
                    {"name": name, "table": table, "rows": n, "sha256": digest.hexdigest()}
                )
        manifest = {
            "format": "pulsedeck-personal-data-export",
            "version": MANIFEST_VERSION,
            "generated_at": iso_utc(now_ms()),
            "athlete": {"id": athlete.id, "name": athlete.name},
            "times": "integer columns ending in _ms are UTC epoch milliseconds",
            "files": files,
            "not_included": [
                "passwords, tokens and S3 keys: they live in the OS keyring, never exported",
                "keyring entry names, sync job payloads, feed URL queries (may hold tokens)",
            ],
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        steps.check()  # the last chance: after this the zip is renamed into place
    steps.finish()
    return ExportReport(path, rows_by_table)


class _Digest(Protocol):
    def update(self, data: ReadableBuffer, /) -> None: ...


class _Hashing(io.RawIOBase):
    """A write-only stream that hashes what passes through to `inner`."""

    def __init__(self, inner: IO[bytes], digest: _Digest) -> None:
        self.inner, self.digest = inner, digest

    def writable(self) -> bool:
        return True

    def write(self, b: ReadableBuffer, /) -> int:
        self.digest.update(b)
        self.inner.write(b)
        return memoryview(b).nbytes  # len(b) for the bytes TextIOWrapper writes


@dataclass(frozen=True, slots=True)
class DeleteReport:
    rows: dict[str, int]
    secrets_deleted: int
    lake_objects: int = 0
    left_behind: dict[str, int] = field(default_factory=dict)


def count_rows(store: Store, athlete_id: int, session_ids: Sequence[int]) -> dict[str, int]:
    """Rows in scope for the athlete (used to prove an erasure left nothing)."""
    out: dict[str, int] = {}
    with store.engine.connect() as conn:
        ids = _scope_ids(conn, athlete_id)
        ids["sessions"] = sorted(set(ids["sessions"]) | set(session_ids))
        for table, clause in _SCOPE:
            where = _where(clause, ids)
            params = (athlete_id,) * where.count("?")
            n = conn.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE {where}", params)
            out[table] = int(n.scalar() or 0)
    return out


def delete_all(store: Store, athlete_id: int) -> DeleteReport:
    """Erase the athlete and everything about them from the local database and keyring."""
    if store.athlete(athlete_id) is None:
        raise LookupError(f"no athlete {athlete_id}")
    with store.engine.connect() as conn:
        ids = _scope_ids(conn, athlete_id)
        keys = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT keyring_key FROM remote_accounts WHERE athlete_id = ? "
                "UNION SELECT keyring_key FROM feeds WHERE athlete_id = ?",
                (athlete_id, athlete_id),
            ).all()
            if r[0]
        ]
    before = count_rows(store, athlete_id, ids["sessions"])
    with store.engine.begin() as conn:
        # Children first, explicitly: SET NULL foreign keys would otherwise leave rows behind.
        for table, clause in reversed(_SCOPE):
            where = _where(clause, ids)
            params = (athlete_id,) * where.count("?")
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE {where}", params)
    deleted = 0
    for key in keys:
        delete_secret(key)
        deleted += 1
    after = count_rows(store, athlete_id, ids["sessions"])
    left = {t: n for t, n in after.items() if n}
    if left:
        log.error("erasure of athlete %s left rows behind: %s", athlete_id, left)
    return DeleteReport(rows=before, secrets_deleted=deleted, left_behind=left)


def delete_lake_objects(client: LakeClient, athlete_ref: str, tables: Iterable[str]) -> int:
    """Tombstone every session of the athlete in the lake, then delete their objects.

    Tombstones first, as a single-session delete does (sync.lake.push.remove_session): a
    coach's pull drops a session only when it finds its tombstone, so without them the coach
    would keep every erased session. Returns the data objects deleted (tombstones not counted).
    """
    from sync.lake.layout import parse_key, table_prefix, tombstone_key
    from sync.lake.push import now_iso

    keys: list[str] = []
    for table in tables:
        keys.extend(client.list_keys(table_prefix(client.config.prefix, table, athlete_ref)))
    uids = sorted({p.session_uid for p in map(parse_key, keys) if p is not None})
    for uid in uids:
        body = json.dumps({"session_id": uid, "athlete_id": athlete_ref, "deleted_at": now_iso()})
        client.put(
            tombstone_key(client.config.prefix, athlete_ref, uid),
            body.encode(),
            content_type="application/json",
        )
    return client.delete(keys) if keys else 0
