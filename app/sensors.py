"""Remembered BLE sensors per athlete (the `devices` table); device/ never touches SQLite.

A sensor seen in a scan is stored unpaired; recording from it pairs it, so the next `record`
without --device reconnects to it automatically. Forgetting unpairs but keeps the row, so
samples already recorded keep their sensor identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.store import models as m
from app.store.repo import Store, now_ms


class SeenSensor(Protocol):
    """What a scan result offers (device.ble.manager.FoundSensor fits)."""

    @property
    def address(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True, slots=True)
class RememberedSensor:
    """A `devices` row as the CLI and the GUI show it."""

    id: int
    address: str
    name: str | None
    kind: str
    paired: bool
    battery_pct: int | None
    info: Mapping[str, Any]
    last_seen_ms: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "address": self.address,
            "name": self.name,
            "kind": self.kind,
            "paired": self.paired,
            "battery_pct": self.battery_pct,
            "info": dict(self.info),
            "last_seen_ms": self.last_seen_ms,
        }


def _remembered(d: m.Device) -> RememberedSensor:
    return RememberedSensor(
        d.id, d.address, d.name, d.kind, d.paired, d.battery_pct, d.info or {}, d.last_seen_ms
    )


def normalize_address(address: str) -> str:
    """BLE MACs (and macOS UUIDs) compared case-insensitively; stored upper-case."""
    return address.strip().upper()


class SensorService:
    """Small queries over `devices`; every method is one short transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _get(self, s: OrmSession, athlete_id: int, address: str) -> m.Device | None:
        return s.scalar(
            select(m.Device).where(
                m.Device.athlete_id == athlete_id,
                m.Device.address == normalize_address(address),
            )
        )

    def upsert(
        self,
        athlete_id: int,
        address: str,
        *,
        kind: str | None = None,
        name: str | None = None,
        paired: bool | None = None,
        seen: bool = True,
    ) -> int:
        """The sensor's `devices.id`, creating or updating the row."""
        with self.store.orm() as s, s.begin():
            d = self._get(s, athlete_id, address)
            if d is None:
                d = m.Device(
                    athlete_id=athlete_id,
                    address=normalize_address(address),
                    kind=kind or "hr",
                    paired=bool(paired),
                )
                s.add(d)
            if kind:
                d.kind = kind
            if name:
                d.name = name
            if paired is not None:
                d.paired = paired
            if seen:
                d.last_seen_ms = now_ms()
            s.flush()
            return d.id

    def seen(self, athlete_id: int, sensor: SeenSensor) -> int:
        """Record a scan result without pairing it."""
        return self.upsert(athlete_id, sensor.address, kind=sensor.kind, name=sensor.name)

    def remember(
        self, athlete_id: int, address: str, kind: str | None = None, name: str | None = None
    ) -> int:
        """Pair a sensor: `record` will reconnect to it automatically from now on."""
        return self.upsert(athlete_id, address, kind=kind, name=name, paired=True)

    def remembered(
        self, athlete_id: int, *, include_unpaired: bool = False
    ) -> list[RememberedSensor]:
        """Paired sensors (and, if asked, ones only seen in scans), oldest first."""
        q = select(m.Device).where(m.Device.athlete_id == athlete_id).order_by(m.Device.id)
        if not include_unpaired:
            q = q.where(m.Device.paired.is_(True))
        with self.store.orm() as s:
            return [_remembered(d) for d in s.scalars(q)]

    def forget(self, athlete_id: int, address: str) -> bool:
        """Unpair; False if the sensor was not remembered."""
        with self.store.orm() as s, s.begin():
            d = self._get(s, athlete_id, address)
            if d is None or not d.paired:
                return False
            d.paired = False
            return True

    def update_status(
        self,
        device_id: int,
        *,
        battery_pct: int | None = None,
        info: Mapping[str, str] | None = None,
        name: str | None = None,
        kind: str | None = None,
    ) -> None:
        """Store what a connected sensor reported (battery, manufacturer, model...)."""
        with self.store.orm() as s, s.begin():
            d = s.get(m.Device, device_id)
            if d is None:
                return
            if battery_pct is not None:
                d.battery_pct = battery_pct
            if info:
                d.info = {**(d.info or {}), **info}
            if name and not d.name:
                d.name = name
            if kind:
                d.kind = kind
            d.last_seen_ms = now_ms()
