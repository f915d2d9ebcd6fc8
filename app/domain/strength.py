"""Strength maths: estimated 1RM, volume and the personal records a new set breaks.

e1RM is Epley (1985): weight x (1 + reps / 30), and exactly the weight for a single. It is
given for 1-12 reps only: past about a dozen reps every rep-max formula drifts badly, so a
set of 20 gets no e1RM (it still counts for volume and its own rep max). `brzycki` (weight x
36 / (37 - reps)) is provided for comparison.

Records checked (detect_records) when a set is saved, against the athlete's earlier sets of
the same exercise:
  e1rm             higher estimated 1RM
  weight_for_reps  heavier than any earlier set of at least as many reps (an N-rep max)
  volume           higher weight x reps in one set
  max_reps         more reps without added weight (bodyweight sets)
The first set of an exercise sets the first records (previous = None).

"Earlier" is logging order: by start time, then by the order sets were logged (several sets
given one date share an instant). `record_history` replays an exercise's whole history in one
pass, so a set back-filled before others, edited or deleted leaves a history in which every
record beats the one before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

E1RM_MAX_REPS = 12


def epley(weight_kg: float, reps: int) -> float | None:
    """Estimated 1RM (Epley); None outside 1-12 reps or without weight."""
    if weight_kg <= 0 or not 1 <= reps <= E1RM_MAX_REPS:
        return None
    return weight_kg if reps == 1 else weight_kg * (1 + reps / 30)


def brzycki(weight_kg: float, reps: int) -> float | None:
    """Estimated 1RM (Brzycki 1993): w x 36 / (37 - reps); None outside 1-12 reps."""
    if weight_kg <= 0 or not 1 <= reps <= E1RM_MAX_REPS:
        return None
    return weight_kg * 36 / (37 - reps)


def volume(weight_kg: float | None, reps: int) -> float:
    """Load moved in one set (kg); a bodyweight set moves no added load."""
    return (weight_kg or 0.0) * reps


@dataclass(frozen=True, slots=True)
class Lift:
    """One earlier or new set as the record check sees it: reps and added weight."""

    reps: int
    weight_kg: float | None


@dataclass(frozen=True, slots=True)
class Record:
    """A record this set broke: its kind, reps (for rep maxes), new value and the old one."""

    kind: str
    reps: int | None
    value: float
    previous: float | None


def detect_records(history: Sequence[Lift], new: Lift) -> list[Record]:
    """Records `new` breaks against `history` (pure; strict improvements only)."""
    out: list[Record] = []
    w = new.weight_kg or 0.0
    if w > 0:
        e1 = epley(w, new.reps)
        if e1 is not None:
            prev = max((x for h in history if (x := epley(h.weight_kg or 0, h.reps))), default=None)
            if prev is None or e1 > prev:
                out.append(Record("e1rm", None, e1, prev))
        heavier = [h.weight_kg or 0.0 for h in history if h.reps >= new.reps]
        prev_w = max(heavier, default=None)
        if prev_w is None or w > prev_w:
            out.append(Record("weight_for_reps", new.reps, w, prev_w))
        vol = volume(w, new.reps)
        prev_v = max((volume(h.weight_kg, h.reps) for h in history), default=None)
        if prev_v is None or vol > prev_v:
            out.append(Record("volume", None, vol, prev_v))
    else:
        prev_r = max((h.reps for h in history if not h.weight_kg), default=None)
        if prev_r is None or new.reps > prev_r:
            out.append(Record("max_reps", new.reps, float(new.reps), prev_r))
    return out


def record_history(lifts: Sequence[Lift]) -> list[list[Record]]:
    """The records each lift broke against the ones before it (lifts in logging order).

    Equal to `detect_records(lifts[:i], lifts[i])` for every i, in one pass.
    """
    out: list[list[Record]] = []
    best_e1: float | None = None
    best_vol: float | None = None
    best_bw_reps: int | None = None
    best_w: dict[int, float] = {}  # reps -> heaviest weight lifted for exactly those reps
    for lift in lifts:
        recs: list[Record] = []
        w = lift.weight_kg or 0.0
        if w > 0:
            e1 = epley(w, lift.reps)
            if e1 is not None and (best_e1 is None or e1 > best_e1):
                recs.append(Record("e1rm", None, e1, best_e1))
            prev_w = max((x for r, x in best_w.items() if r >= lift.reps), default=None)
            if prev_w is None or w > prev_w:
                recs.append(Record("weight_for_reps", lift.reps, w, prev_w))
            vol = volume(w, lift.reps)
            if best_vol is None or vol > best_vol:
                recs.append(Record("volume", None, vol, best_vol))
        elif best_bw_reps is None or lift.reps > best_bw_reps:
            recs.append(Record("max_reps", lift.reps, float(lift.reps), best_bw_reps))
        out.append(recs)
        e1 = epley(w, lift.reps)
        if e1:
            best_e1 = e1 if best_e1 is None else max(best_e1, e1)
        vol = volume(lift.weight_kg, lift.reps)
        best_vol = vol if best_vol is None else max(best_vol, vol)
        best_w[lift.reps] = max(best_w.get(lift.reps, w), w)
        if not lift.weight_kg:
            best_bw_reps = lift.reps if best_bw_reps is None else max(best_bw_reps, lift.reps)
    return out


def rep_max(lifts: Sequence[Lift], reps: int) -> float | None:
    """The N-rep max: the heaviest weight lifted for at least `reps` reps, or None."""
    return max((x.weight_kg for x in lifts if x.reps >= reps and x.weight_kg), default=None)
