"""The vocabulary of protected-attribute labels: canonical groups and accepted spellings.

Plain data with no imports, shared by the loaders (:mod:`fairaudit.data.io`, which
normalises a file's spellings to these labels), the group encodings
(:mod:`fairaudit.data.groups`) and the metrics (:mod:`fairaudit.metrics.diversity`,
which names a target's group that has no candidates). ``fairaudit.data.io.LABELS``
and ``fairaudit.data.io.UNKNOWN`` remain the public names.
"""
from __future__ import annotations

UNKNOWN = "unknown"

#: Canonical group labels per protected attribute, with accepted spellings.
#: Race/ethnicity follows the EEO-1 / NYC LL144 component categories.
LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "sex": {
        "female": ("female", "f", "woman", "women"),
        "male": ("male", "m", "man", "men"),
    },
    "race_ethnicity": {
        "hispanic": ("hispanic", "hispanic or latino", "latino", "latina", "latinx"),
        "white": ("white", "nh_white", "white (not hispanic or latino)"),
        "black": ("black", "nh_black", "black or african american", "african american"),
        "asian": ("asian", "api", "asian or pacific islander", "nh_api"),
        "nhpi": ("nhpi", "native hawaiian or pacific islander", "native hawaiian or other pacific islander"),
        "aian": ("aian", "american indian or alaska native", "native american or alaska native"),
        "multiracial": ("multiracial", "2prace", "two or more races"),
    },
}
