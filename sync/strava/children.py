"""Which child accounts an activity title routes a copy to: whole words, any case, aliases."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def name_pattern(name: str) -> re.Pattern[str] | None:
    """A regex that finds `name` as a whole word (or phrase); None for a blank name."""
    words = _norm(name).split()
    if not words:
        return None
    body = r"\s+".join(re.escape(w) for w in words)
    # \w is Unicode-aware: "Max" must not match "Maximum" nor "Maxi", but does match "Max's".
    return re.compile(rf"(?<!\w){body}(?!\w)")


def title_matches(title: str | None, names: Iterable[str]) -> bool:
    """True when any of `names` (a child's name and aliases) occurs in `title` as a word."""
    if not title:
        return False
    text = _norm(title)
    for name in names:
        pattern = name_pattern(name)
        if pattern is not None and pattern.search(text):
            return True
    return False


def parse_names(spec: str) -> list[str]:
    """`"Max,Maxi the dog"` -> ["Max", "Maxi the dog"]; blanks and duplicates dropped."""
    out: list[str] = []
    for part in spec.split(","):
        name = " ".join(part.split())
        if name and _norm(name) not in {_norm(n) for n in out}:
            out.append(name)
    return out


def matching_children(
    title: str | None, children: Sequence[tuple[int, Sequence[str]]]
) -> list[int]:
    """Ids of the children (id, names) whose names appear in `title`."""
    return [cid for cid, names in children if title_matches(title, names)]
