"""The wording the synthetic hiring data are written with: ad and bio sentence templates.

Sentence *i* of each ad list is a parallel version of the same sentence, so the
"neutral version" of an ad swaps wording while keeping its structure. Coded
sentences use Gaucher et al. (2011) stems; bio sentences use the agentic and
communal trait words of Madera et al. (2009). Used by :mod:`.hiring`.
"""
from __future__ import annotations

__all__ = ["AD_CLOSINGS", "AD_SENTENCES", "BIO_SENTENCES", "CODINGS", "FEMALE_TYPED_FAMILIES",
           "MALE_TYPED_FAMILIES", "PRONOUNS"]

#: How a synthetic job ad is worded: masculine-coded, feminine-coded or neutral (Gaucher et al. 2011).
CODINGS = ("masculine", "feminine", "neutral")

# --- wording templates -------------------------------------------------------
# Sentence i of each list is a parallel version of the same sentence, so the
# "neutral version" of an ad swaps wording while keeping its structure.
#: Job-ad sentences per coding (:data:`CODINGS`): coded sentences use Gaucher et al. (2011) stems
#: (masculine: competitive, dominant, driven, decisive, lead, challenging, confident, independent...;
#: feminine: supportive, warm, understanding, committed, collaborate, trust, kind, compassionate...).
#: Neutral sentences contain no coded stem (tested).
AD_SENTENCES: dict[str, tuple[str, ...]] = {
    "masculine": (
        "We are a dominant company in our sector and want a competitive, driven person for challenging work.",
        "You are confident, decisive and self-reliant, and you lead by example.",
        "You will make independent decisions and champion ambitious goals.",
        "We reward determined, assertive people who persist until the job is done.",
        "The ideal candidate is analytical, fearless and fights for the best result.",
    ),
    "feminine": (
        "We are a warm, supportive community and want a considerate person who enjoys working together.",
        "You are kind, understanding and committed to building trust with colleagues and clients.",
        "You will collaborate with the team and share knowledge in a cooperative, inclusive way.",
        "We value compassionate, responsible people who are sensitive to the needs of others.",
        "The ideal candidate is enthusiastic, loyal and connects easily with people.",
    ),
    "neutral": (
        "We are a growing organisation and want a capable person for varied work.",
        "You are organised, reliable and keen to learn new methods.",
        "You will plan your own work and meet deadlines.",
        "We offer fair pay, paid time off and training.",
        "The ideal candidate is careful, punctual and produces accurate work.",
    ),
}
#: The closing sentence of a synthetic ad, the same for every coding (``job_ad_text``'s ``closing``
#: is an index into it).
AD_CLOSINGS: tuple[str, ...] = (
    "Apply with your CV.",
    "Send us your CV and a short cover letter.",
    "Applications are reviewed every week.",
)

#: Bio self-descriptions: agentic vs communal trait words of Madera et al. (2009)
#: that are also Gaucher stems. Pronouns: {Sub}/{sub} subject, {obj} object,
#: {refl} reflexive; possessives are avoided so that pronoun swaps are exact.
BIO_SENTENCES: dict[str, tuple[str, ...]] = {
    "agentic": (
        "{Sub} describes {refl} as confident, ambitious and decisive.",
        "Colleagues know {obj} as an assertive, independent professional who takes the lead.",
        "{Sub} is competitive and driven, and enjoys challenging goals.",
        "References call {obj} outspoken, self-reliant and determined.",
        "{Sub} thrives on competition and makes decisions quickly.",
    ),
    "communal": (
        "{Sub} describes {refl} as warm, considerate and supportive.",
        "Colleagues know {obj} as a kind, understanding professional who builds trust.",
        "{Sub} is compassionate and cooperative, and enjoys collaborating with others.",
        "References call {obj} sympathetic, sensitive and committed to the team.",
        "{Sub} enjoys sharing knowledge and working together with others.",
    ),
}
PRONOUNS = {
    "female": {"Sub": "She", "sub": "she", "obj": "her", "refl": "herself"},
    "male": {"Sub": "He", "sub": "he", "obj": "him", "refl": "himself"},
}

# Stereotyped families for ad wording: Gaucher et al. found more masculine-coded
# wording in ads for male-dominated fields and more feminine-coded wording in
# female-dominated ones.
MALE_TYPED_FAMILIES = frozenset({"technical", "trades"})
FEMALE_TYPED_FAMILIES = frozenset({"care", "education"})
