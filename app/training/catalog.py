"""Exercise catalog: built-ins from resources/exercises.json, user-defined ones, fuzzy search.

Search scores every name and alias with rapidfuzz: 0.6 x WRatio (forgiving about word order
and partial words) + 0.4 x QRatio (plain edit distance, so "romanian dl" prefers "Romanian
Deadlift" over "Deadlift"), after rapidfuzz's default normalisation (lower case, punctuation
to spaces). An exercise scores its best name; ties go to built-ins, then the shorter name.

Resolving a typed name to an exercise decides on its own only when sure: an exact name or
alias, or a fuzzy match scoring at least AUTO_SCORE and AUTO_LEAD ahead of the runner-up.
Anything less raises UnknownExercise with the closest names, for a caller to ask or refuse;
a set is never filed under a look-alike ("Zottman Curl" is not a Dumbbell Curl).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ColumnElement, distinct, func, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from app.store import models as m
from app.store.repo import Store

RESOURCE = Path(__file__).resolve().parents[2] / "resources" / "exercises.json"
KINDS = ("strength", "cardio")
#: Below this combined score (0-100) a result is noise rather than a typo.
MIN_SCORE = 60.0
#: A fuzzy match is taken without asking only at this score and this far ahead of the next.
AUTO_SCORE, AUTO_LEAD = 85.0, 5.0
_W_WRATIO, _W_QRATIO = 0.6, 0.4


class CatalogError(ValueError):
    """The catalog file is missing or malformed, or an exercise definition is invalid."""


class UnknownExercise(CatalogError):
    """A name that matches no exercise with confidence; `suggestions` are the closest names."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"no exercise called {name!r}{hint}")


@dataclass(frozen=True, slots=True)
class ExerciseInfo:
    id: int | None
    name: str
    aliases: tuple[str, ...]
    muscle_groups: tuple[str, ...]
    equipment: str | None
    kind: str
    athlete_id: int | None  # None = built in

    @property
    def builtin(self) -> bool:
        return self.athlete_id is None


@dataclass(frozen=True, slots=True)
class Match:
    exercise: ExerciseInfo
    score: float
    matched: str  # the name or alias that scored best


def _clean_list(value: object, what: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogError(f"exercise {name!r}: {what} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_entry(raw: object, athlete_id: int | None = None) -> ExerciseInfo:
    """Validate one catalog entry (a JSON object)."""
    if not isinstance(raw, dict):
        raise CatalogError(f"catalog entry is not an object: {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        raise CatalogError(f"exercise name must be 1-120 characters: {name!r}")
    name = name.strip()
    kind = raw.get("kind", "strength")
    if kind not in KINDS:
        raise CatalogError(f"exercise {name!r}: kind must be one of {KINDS}, got {kind!r}")
    equipment = raw.get("equipment")
    if equipment is not None and not isinstance(equipment, str):
        raise CatalogError(f"exercise {name!r}: equipment must be text")
    equipment = (equipment or "").strip() or None  # blank: none given (a cleared field)
    return ExerciseInfo(
        id=None,
        name=name,
        aliases=_clean_list(raw.get("aliases"), "aliases", name),
        muscle_groups=_clean_list(raw.get("muscle_groups"), "muscle_groups", name),
        equipment=equipment,
        kind=kind,
        athlete_id=athlete_id,
    )


def load_builtin(path: Path = RESOURCE) -> list[ExerciseInfo]:
    """The shipped catalog; CatalogError names the file and the problem."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"cannot read the exercise catalog {path}: {exc}") from exc
    except ValueError as exc:
        raise CatalogError(f"the exercise catalog {path} is not valid JSON: {exc}") from exc
    entries = doc.get("exercises") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise CatalogError(f"the exercise catalog {path} has no 'exercises' list")
    out = [parse_entry(e) for e in entries]
    seen: set[str] = set()
    for e in out:
        if e.name.casefold() in seen:
            raise CatalogError(f"the exercise catalog {path} lists {e.name!r} twice")
        seen.add(e.name.casefold())
    return out


def search(
    entries: Sequence[ExerciseInfo], query: str, limit: int = 5, min_score: float = MIN_SCORE
) -> list[Match]:
    """Exercises whose name or an alias resembles `query`, best first."""
    from rapidfuzz import fuzz, process, utils  # ~4 MB: only when searching, not at CLI start

    q = utils.default_process(query)
    if not q or not entries:
        return []
    choices: list[str] = []
    owner: list[int] = []
    for i, e in enumerate(entries):
        for text in (e.name, *e.aliases):
            choices.append(utils.default_process(text))
            owner.append(i)
    w = process.cdist([q], choices, scorer=fuzz.WRatio)[0]
    r = process.cdist([q], choices, scorer=fuzz.QRatio)[0]
    best: dict[int, tuple[float, int]] = {}
    for j, i in enumerate(owner):
        score = _W_WRATIO * float(w[j]) + _W_QRATIO * float(r[j])
        if i not in best or score > best[i][0]:
            best[i] = (score, j)
    ranked = sorted(
        best.items(),
        key=lambda kv: (-kv[1][0], not entries[kv[0]].builtin, len(entries[kv[0]].name)),
    )
    out = []
    for i, (score, j) in ranked[:limit]:
        if score < min_score:
            break
        e = entries[i]
        texts = (e.name, *e.aliases)
        out.append(Match(e, round(score, 1), texts[j - owner.index(i)]))
    return out


# Store -------------------------------------------------------------------------------------


def _info(row: m.Exercise) -> ExerciseInfo:
    return ExerciseInfo(
        row.id,
        row.name,
        tuple(row.aliases or ()),
        tuple(row.muscle_groups or ()),
        row.equipment,
        row.kind,
        row.athlete_id,
    )


def sync_builtin(store: Store, path: Path = RESOURCE) -> int:
    """Insert or update the built-in rows from the shipped file; returns rows changed.

    Built-ins have athlete_id NULL, which SQLite's unique (athlete_id, name) does not police,
    so this matches by name inside one write transaction, holding the write lock before it
    reads: two first uses at once (the GUI's background threads) each saw no built-ins and
    stored them all twice. Databases that already hold them twice are merged first
    (catalog_repair), in the same transaction.
    """
    # catalog_repair replays records with app.training.strength, which imports this module
    from .catalog_repair import merge_builtin_duplicates

    entries = load_builtin(path)
    changed = 0
    with store.orm() as s, s.begin():
        # A no-op write takes SQLite's write lock first (the driver opens the transaction
        # lazily, at the first write): the other first use waits, then sees these rows.
        s.connection().exec_driver_sql("UPDATE exercises SET name = name WHERE 0")
        repair = merge_builtin_duplicates(s)
        if repair is not None:
            changed += sum(len(g.merged) for g in repair.merges)
        rows = {
            r.name.casefold(): r
            for r in s.scalars(select(m.Exercise).where(m.Exercise.athlete_id.is_(None)))
        }
        for e in entries:
            row = rows.get(e.name.casefold())
            values = {
                "aliases": list(e.aliases),
                "muscle_groups": list(e.muscle_groups),
                "equipment": e.equipment,
                "kind": e.kind,
            }
            if row is None:
                s.add(m.Exercise(athlete_id=None, name=e.name, **values))
                changed += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                changed += 1
    return changed


def exercises(store: Store, athlete_id: int | None = None) -> list[ExerciseInfo]:
    """Built-ins plus `athlete_id`'s own exercises, by name.

    Built-ins are synced from the shipped file when the table has fewer than the file (first
    use, or an upgrade that added exercises) or holds one more than once (a database from
    before 07b4a3c: sync_builtin merges the copies). A read-only store lists what it has.
    """
    with store.orm() as s:
        stored, names = s.execute(
            select(func.count(), func.count(distinct(func.lower(m.Exercise.name)))).where(
                m.Exercise.athlete_id.is_(None)
            )
        ).one()
    if stored < len(load_builtin()) or (names < stored and not store.read_only):
        sync_builtin(store)
    cond: ColumnElement[bool] = m.Exercise.athlete_id.is_(None)
    if athlete_id is not None:
        cond = or_(cond, m.Exercise.athlete_id == athlete_id)
    with store.orm() as s:
        rows = s.scalars(select(m.Exercise).where(cond).order_by(m.Exercise.name, m.Exercise.id))
        return [_info(r) for r in rows]


def add_custom(
    store: Store,
    athlete_id: int,
    name: str,
    *,
    aliases: Sequence[str] = (),
    muscle_groups: Sequence[str] = (),
    equipment: str | None = None,
    kind: str = "strength",
) -> ExerciseInfo:
    """A user-defined exercise for one athlete; refuses a name the catalog already has."""
    entry = parse_entry(
        {
            "name": name,
            "aliases": list(aliases),
            "muscle_groups": list(muscle_groups),
            "equipment": equipment,
            "kind": kind,
        },
        athlete_id,
    )
    existing = {e.name.casefold() for e in exercises(store, athlete_id)}
    if entry.name.casefold() in existing:
        raise CatalogError(f"an exercise called {entry.name!r} already exists")
    with store.orm() as s, s.begin():
        row = m.Exercise(
            athlete_id=athlete_id,
            name=entry.name,
            aliases=list(entry.aliases),
            muscle_groups=list(entry.muscle_groups),
            equipment=entry.equipment,
            kind=entry.kind,
        )
        s.add(row)
        s.flush()
        return _info(row)


def confident(matches: Sequence[Match]) -> ExerciseInfo | None:
    """The best match when it is sure enough to use without asking (see the module notes)."""
    if not matches or matches[0].score < AUTO_SCORE:
        return None
    if len(matches) > 1 and matches[0].score - matches[1].score < AUTO_LEAD:
        return None
    return matches[0].exercise


def resolve(store: Store, athlete_id: int | None, name: str) -> ExerciseInfo | None:
    """The exercise `name` surely refers to: exact name or alias (any case), else a confident
    fuzzy match; None otherwise (`lookup` says what it might have been)."""
    entries = exercises(store, athlete_id)
    wanted = name.strip().casefold()
    for e in entries:
        if e.name.casefold() == wanted or wanted in (a.casefold() for a in e.aliases):
            return e
    return confident(search(entries, name, limit=3))


def lookup(store: Store, athlete_id: int | None, name: str) -> ExerciseInfo:
    """Like `resolve`, but raises UnknownExercise with the closest names instead of None."""
    found = resolve(store, athlete_id, name)
    if found is not None:
        return found
    close = search(exercises(store, athlete_id), name, limit=3)
    raise UnknownExercise(name.strip(), [m.exercise.name for m in close])


def _own(s: OrmSession, athlete_id: int, exercise: ExerciseInfo) -> m.Exercise:
    row = s.get(m.Exercise, exercise.id) if exercise.id is not None else None
    if row is None or row.athlete_id != athlete_id:
        raise CatalogError(f"{exercise.name!r} is built in: only your own exercises change")
    return row


def edit_custom(
    store: Store,
    athlete_id: int,
    exercise: ExerciseInfo,
    *,
    name: str | None = None,
    aliases: Sequence[str] | None = None,
    muscle_groups: Sequence[str] | None = None,
    equipment: str | None = None,
    kind: str | None = None,
) -> ExerciseInfo:
    """Change one of the athlete's own exercises; a new name is carried to its sets."""
    entry = parse_entry(
        {
            "name": name or exercise.name,
            "aliases": list(exercise.aliases if aliases is None else aliases),
            "muscle_groups": list(
                exercise.muscle_groups if muscle_groups is None else muscle_groups
            ),
            "equipment": exercise.equipment if equipment is None else equipment,
            "kind": kind or exercise.kind,
        },
        athlete_id,
    )
    taken = {e.name.casefold() for e in exercises(store, athlete_id) if e.id != exercise.id}
    if entry.name.casefold() in taken:
        raise CatalogError(f"an exercise called {entry.name!r} already exists")
    with store.orm() as s, s.begin():
        row = _own(s, athlete_id, exercise)
        row.name, row.aliases = entry.name, list(entry.aliases)
        row.muscle_groups, row.equipment, row.kind = (
            list(entry.muscle_groups),
            entry.equipment,
            entry.kind,
        )
        s.execute(
            update(m.ExerciseSet)
            .where(m.ExerciseSet.exercise_id == row.id)
            .values(exercise_name=entry.name)
        )
        s.flush()
        return _info(row)


def delete_custom(store: Store, athlete_id: int, exercise: ExerciseInfo) -> None:
    """Delete one of the athlete's own exercises; refused while sets or goals use it."""
    with store.orm() as s, s.begin():
        row = _own(s, athlete_id, exercise)
        used = s.scalar(
            select(func.count())
            .select_from(m.ExerciseSet)
            .where(m.ExerciseSet.exercise_id == row.id)
        )
        goals = s.scalar(
            select(func.count()).select_from(m.Goal).where(m.Goal.exercise_id == row.id)
        )
        if used or goals:
            raise CatalogError(
                f"{row.name!r} has {used} sets and {goals} goals: delete or move them first"
            )
        s.delete(row)
