"""Athletes: the switcher's list, the selected athlete, profiles and zone models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, SupportsFloat, SupportsInt, cast

from app.store import queries
from app.store import settings as st

from .rows import METRIC, AthleteItem, Profile, athlete_item

if TYPE_CHECKING:
    from app.store import models as m
    from app.store.repo import Store


def zone_floors(store: Store, athlete_id: int) -> tuple[float, ...]:
    """The athlete's zone floors in bpm under their zone model (app.training decides)."""
    from app.training.daily import load_context

    return load_context(store, athlete_id).zones.floors_bpm


class AthleteService:
    """Who is recorded and shown: you and your clients (imported clients are read-only)."""

    def __init__(self, store: Store, settings: st.Settings | None = None) -> None:
        self.store = store
        self.settings = settings or st.Settings(store)

    def roster(self) -> list[AthleteItem]:
        """Every athlete, yourself first (created on first use), then by name."""
        self.store.default_athlete()
        return queries.athletes(self.store, athlete_item)

    def current(self) -> AthleteItem:
        """The athlete last selected in the switcher, else yourself."""
        wanted = self.settings.get(st.SELECTED_ATHLETE)
        items = self.roster()
        for item in items:
            if item.id == wanted:
                return item
        return next((a for a in items if a.is_self), items[0])

    def select(self, athlete_id: int) -> None:
        """Remember the switcher's choice for the next start."""
        self.settings.set(st.SELECTED_ATHLETE, athlete_id)

    def add(self, name: str) -> AthleteItem:
        """A new client by name (or the existing one of that name)."""
        name = name.strip()
        if not name:
            raise ValueError("a name is required")
        return athlete_item(self.store.ensure_athlete(name))

    def profile(self, athlete_id: int) -> Profile:
        """The profile form's values, with the floors of the athlete's zone model."""
        found = queries.athlete(self.store, athlete_id, self._profile)
        if found is None:
            raise LookupError(f"no athlete {athlete_id}")
        return found

    def _profile(self, a: m.Athlete) -> Profile:
        return Profile(
            a.id, a.name, a.read_only, a.birth_year, a.sex, a.weight_kg, a.resting_hr,
            a.max_hr, a.units, a.zone_model, zone_floors(self.store, a.id), a.ftp_w,
            a.threshold_hr,
        )  # fmt: skip

    def save_profile(self, athlete_id: int, **fields: object) -> Profile:
        """Store profile fields; `zone_model` (and five `floors` for custom) set the zones.

        Everything is checked before anything is stored: read-only clients, custom bounds,
        FTP and threshold HR (app.training.load, as `zones --ftp --threshold-hr`), and the
        profile itself by the store (app.domain.profile.validate_profile, as the CLI).
        """
        info = self.store.athlete(athlete_id)
        if info is None:
            raise LookupError(f"no athlete {athlete_id}")
        if info.read_only:
            raise PermissionError(f"{info.name} is an imported client: read-only")
        model = fields.pop("zone_model", None)
        floors = fields.pop("floors", None)  # five zone lower bounds (bpm) for model "custom"
        custom_floors = None
        if model == "custom":
            from app.training.zones import custom

            given = cast("Sequence[SupportsFloat]", floors or ())
            custom_floors = [float(f) for f in given]
            custom(custom_floors)  # bad bounds raise here, before anything is stored
        ftp, hr = fields.get("ftp_w"), fields.get("threshold_hr")
        if ftp is not None or hr is not None:
            from app.training.load import check_thresholds

            check_thresholds(
                None if ftp is None else float(cast("SupportsFloat", ftp)),
                None if hr is None else int(cast("SupportsInt", hr)),
            )
        self.store.update_profile(athlete_id, **fields)
        if model is not None:
            from app.training.daily import set_zone_model

            set_zone_model(self.store, athlete_id, str(model), custom_floors)
        return self.profile(athlete_id)

    def fill_missing_kcal(self, athlete_id: int) -> int:
        """Work out kcal for finished sessions saved before the profile allowed it (weight,
        birth year and sex); the summary is recomputed from the stored samples. How many
        sessions now have kcal."""
        info = self.store.athlete(athlete_id)
        if info is None or info.read_only or self.store.read_only:
            return 0
        filled = 0
        for s in self.store.list_sessions(athlete_id):
            if s.kcal is None and s.status == "finished" and s.ended_ms is not None:
                summary = self.store.finish_session(s.id, s.ended_ms, s.status)
                filled += summary.kcal is not None
        return filled

    def units(self, athlete_id: int) -> str:
        """The athlete's units; metric for an unknown athlete."""
        return queries.athlete_units(self.store, athlete_id) or METRIC
