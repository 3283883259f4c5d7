"""Nouns that name a person by gender inside a compound: job titles ("foreman", "tradesmen") and crew sizes ("a
30-man crew").

:data:`rewriting.meaning.GENDERED_PEOPLE` lists the free-standing words ("guy", "lads"). A compound is gendered
when it ends in "man", "men", "woman" or "women" after a common English word of four letters or more
(wordfreq's Zipf frequency of at least 3.5: "fisher|men", "fore|man", "trades|men", "work|men"), a number
("30-man") or one of a few titles whose first half is rare on its own ("spokes|man", "draughts|man",
"lay|man"). The frequency bar keeps words whose ending is no person ("specimen", "abdomen", "acumen", "talisman")
out; a gendered compound in a job's title or a requirement stays protected by the rules that protect those.
Neutral forms follow common guidance on gender-neutral job titles (the International Labour Organization's and
most public-sector style guides): "foreman" -> "supervisor", "tradesmen" -> "tradespeople".
"""
from __future__ import annotations

import re
from functools import lru_cache

#: Gendered job titles and their neutral forms.
NEUTRAL_TITLES: dict[str, str] = {
    "foreman": "supervisor", "foremen": "supervisors", "forewoman": "supervisor", "forewomen": "supervisors",
    "tradesman": "tradesperson", "tradesmen": "tradespeople", "craftsman": "craftsperson",
    "craftsmen": "craftspeople", "handyman": "handyperson", "handymen": "handypeople", "workman": "worker",
    "workmen": "workers", "fisherman": "fisher", "fishermen": "fishers", "spokesman": "spokesperson",
    "spokesmen": "spokespeople", "spokeswoman": "spokesperson", "businessman": "businessperson",
    "businessmen": "businesspeople", "businesswoman": "businessperson", "businesswomen": "businesspeople",
    "cameraman": "camera operator", "cameramen": "camera operators", "fireman": "firefighter",
    "firemen": "firefighters", "policeman": "police officer", "policemen": "police officers",
    "policewoman": "police officer", "postman": "postal worker", "postmen": "postal workers",
    "storeman": "storekeeper", "storemen": "storekeepers", "repairman": "repair technician",
    "repairmen": "repair technicians", "doorman": "door attendant", "doormen": "door attendants",
    "draughtsman": "drafter", "draughtsmen": "drafters", "draftsman": "drafter", "draftsmen": "drafters",
    "salesman": "salesperson", "saleswoman": "salesperson", "salesmen": "salespeople", "saleswomen": "salespeople",
    "chairman": "chair", "chairwoman": "chair", "chairmen": "chairs", "chairwomen": "chairs",
    "layman": "layperson", "laymen": "laypeople",
}
_ENDING = re.compile(r"^(.+?)(woman|women|man|men)$")
_CREW = re.compile(r"^(\d+)-(woman|women|man|men)$")


@lru_cache(maxsize=4096)
def gendered_compound(word: str) -> bool:
    """True when ``word`` is a compound that names a person by gender (see the module docstring).

    Examples
    --------
    >>> [gendered_compound(w) for w in ("foremen", "30-man", "specimen", "human", "woman")]
    [True, True, False, False, False]
    """
    from wordfreq import zipf_frequency

    low = str(word).lower().strip()
    if low in NEUTRAL_TITLES or _CREW.match(low):
        return True
    if low in ("ottoman", "ottomans"):  # furniture and an empire, not a man
        return False
    m = _ENDING.match(low)
    if not m or not m.group(1).isalpha():
        return False
    first = m.group(1)
    return len(first) >= 4 and zipf_frequency(first, "en") >= 3.5


def neutral_title(word: str) -> str | None:
    """The neutral form of a gendered compound ("foremen" -> "supervisors", "30-man" -> "30-person"), or None."""
    low = str(word).lower().strip()
    if m := _CREW.match(low):
        return f"{m.group(1)}-person"
    return NEUTRAL_TITLES.get(low)
