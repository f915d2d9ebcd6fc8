"""Moved to app.domain.days; these names stay importable for app.commands.training."""

from __future__ import annotations

from app.domain.days import KCAL_BASIS, DaySummary

__all__ = ["KCAL_BASIS", "DaySummary"]
