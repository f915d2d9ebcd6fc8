"""Activity files in: FIT, TCX and GPX readers, and the importer that turns them into sessions.

Errors: see `model` (ImportRefused and its kinds). Entry points: `import_paths` (files,
folders, .zip/.gz, Strava bulk exports) and `watch.watch_folder`.
"""

from .importer import FileResult, ImportReport, Outcome, find_duplicate, import_paths
from .model import Activity, ImportRefused

__all__ = [
    "Activity",
    "FileResult",
    "ImportRefused",
    "ImportReport",
    "Outcome",
    "find_duplicate",
    "import_paths",
]
