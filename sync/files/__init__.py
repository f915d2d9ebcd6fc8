"""Activity files Pulsedeck writes for uploads and exports: GPX 1.1 and TCX v2."""

from .common import has_positions
from .gpx import session_to_gpx
from .tcx import session_to_tcx

__all__ = ["has_positions", "session_to_gpx", "session_to_tcx"]
