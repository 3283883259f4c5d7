"""Synthetic hiring data from packaged real sources (ESCO, US Census, Gaucher et al.).

See the data card in README.md for sources, the generation process and limitations.
"""
from __future__ import annotations

from ...text.lexicon import find_coded_words, gender_coded_words, neutral_replacement
from .sources import RACES, esco_vocabulary
from .config import HiringDataConfig
from .hiring import job_ad_text, make_hiring_data, make_twins, swap_pronouns
from .segregation import occupation_statistics
from .wording import AD_CLOSINGS, AD_SENTENCES, BIO_SENTENCES, CODINGS
from .files import HiringDataFiles, write_hiring_data

__all__ = [
    "AD_CLOSINGS", "AD_SENTENCES", "BIO_SENTENCES", "CODINGS", "HiringDataConfig", "HiringDataFiles", "RACES", "esco_vocabulary",
    "find_coded_words", "gender_coded_words", "job_ad_text", "make_hiring_data", "make_twins",
    "neutral_replacement", "occupation_statistics", "swap_pronouns", "write_hiring_data",
]
