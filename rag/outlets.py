"""Publication names as questions write them, matched to the outlets an index holds.

Questions name outlets loosely ("CNBC", "the Independent", "NYT"); the index stores them as the
articles gave them ("Cnbc | World Business News Leader", "The Independent - Sports", "The New York
Times"). Matching is by name parts and initials, never by a list of known outlets.
"""
from __future__ import annotations

import re


def normalise_outlet(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    s = re.sub(r"^the ", "", s)
    return re.sub(r" (com|co uk|net|org)$", "", s)


def match_outlets(name: str, outlets: list[str] | tuple[str, ...]) -> list[str]:
    """The index's outlets a named publication may be: same name, a leading part of the outlet's
    name ("CNBC" -> "Cnbc | World Business News Leader", "the Independent" -> "The Independent -
    Sports"), one of its "|"/"-" parts, or its initials ("NYT")."""
    n = normalise_outlet(name)
    if len(n) < 2:
        return []
    out = []
    for o in outlets:
        full = normalise_outlet(o)
        parts = [normalise_outlet(p) for p in re.split(r"\s+[|:-]\s+", o)]
        initials = "".join(w[0] for w in full.split())
        if n == full or full.startswith(n + " ") or n in parts or (len(n) >= 3 and n.replace(" ", "") == initials):
            out.append(o)
    return out
