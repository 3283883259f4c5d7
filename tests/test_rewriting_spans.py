"""rewriting.spans: the changed spans of a whole-sentence rewrite, and which of them touch no coding.

Sentences are new or from training ads (never the 128 held-out test ads)."""
import pytest

from fairaudit.rewriting.spans import changed_spans, foreign_words, untargeted_spans, words


def test_words_expand_contractions_and_split_hyphens():
    assert words("You'll run front-of-house, won't you?") == ["you", "will", "run", "front", "of", "house", "will",
                                                             "not", "you"]
    assert words("We\u2019re a team.") == words("We are a team")


def test_changed_spans_leave_out_pure_insertions_and_spelling():
    assert changed_spans("You'll run the home-office budget.", "You will run the home office budget.") == []
    assert changed_spans("We plan lessons.", "We plan and mark lessons.") == []
    assert changed_spans("We plan lessons daily.", "We plan lessons.") == [("daily", "", 3, 4)]


@pytest.mark.parametrize("before, after, bad", [
    ("You'll work one week in five on call.", "You'll work every day on call.", [("one week in five", "every day")]),
    ("The school day finishes at 2:40.", "The school day ends at 2:40.", [("finishes", "ends")]),
    ("You will also prepare fee proposals.", "You will prepare fee proposals.", [("also", "")]),
    # a coded span may go, but the untouched words beside it may not change on the way
    ("You'll smash your targets and mentor apprentices.", "You'll meet your goals and train apprentices.",
     [("targets", "goals"), ("mentor", "train")]),
    # no word changed: punctuation or a contraction only (the gap it moves is noise)
    ("Kowhai Health, in Hamilton, is hiring.", "Kowhai Health in Hamilton is hiring.", [("", "")]),
])
def test_spans_that_hold_no_coding_are_reported(before, after, bad):
    assert untargeted_spans(before, after) == bad


@pytest.mark.parametrize("before, after", [
    ("You will pamper each client like a princess before the big day.", "You will pamper each client before the big day."),
    ("You'll run the section like a drill sergeant.", "You will run the section."),
    ("Our gangs are hard-bitten blokes who work in all weather.", "Our gangs are bricklayers who work in all weather."),
    ("We want a man's man who can lead the test track.", "We want an engineer who can lead the test track."),
    ("You'll tenderly shepherd residents through consultations.", "You'll guide residents through consultations."),
])
def test_spans_that_change_coding_pass(before, after):
    assert untargeted_spans(before, after) == []


@pytest.mark.parametrize("after, found", [
    # the ad's own words, a careful human's replacement and a neutral noun for people are an editor's vocabulary
    ("Our crew are electricians who work hard and test every board.", []),
    ("Our crew are workers who work hard and test every board.", []),
    # words of its own, and a doubled word, are not
    ("Our crew are tactical sailors who work hard and test every board.", ["tactical", "sailors"]),
    ("Our crew are board boards who work hard and test every board.", ["boards"]),
])
def test_foreign_words_are_the_words_no_editor_would_bring_in(after, found):
    job = "Sparkline Electrical hires electricians. Our crew are lads who work hard and test every board."
    assert foreign_words(job, "Our crew are lads who work hard and test every board.", after) == found


@pytest.mark.parametrize("sentence, expected", [
    ("Salary is £60,000 plus 15% bonus, stock options and private healthcare.", False),
    ("You need 5+ years of B2B marketing and solid Salesforce reporting.", False),
    ("Our lads start at 7 sharp.", True),                       # gendered
    ("We want an aggressive closer.", True),                    # gender-coded (Gaucher)
    ("Our crew runs the floor like a drill sergeant.", True),   # a simile
])
def test_has_target_says_whether_any_span_may_change(sentence, expected):
    from fairaudit.rewriting.spans import has_target

    assert has_target(sentence) is expected


def test_a_style_word_one_human_edited_in_one_ad_is_no_target_when_it_names_job_content():
    from fairaudit.rewriting.spans import trusted_style_words
    from fairaudit.rewriting.vocabulary import style_words

    # "ship" and "race": one careful human edited each in one training ad; ESCO's texts use both
    assert {"ship", "race"} <= style_words() and not {"ship", "race"} & trusted_style_words()
    assert untargeted_spans("We ship first and tidy the code later.", "We send first and tidy the code later.") \
        == [("ship", "send")]
    assert untargeted_spans("You'll race the clock on every delivery.", "You'll watch the clock on every delivery.") \
        == [("race", "watch")]
    # a gender-coded word still counts, however few ads
    assert untargeted_spans("You'll be a competitive closer.", "You'll be a steady closer.") == []
