"""``verify`` catches tampering; ``coverage`` lists the sentences no fact quotes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb.verify import sentences, uncovered_sentences, verify
from tests.factfiles_helpers import ARTICLE_SOURCE


def test_seeds_verify_clean(seeded: Engine) -> None:
    checked, problems = verify(seeded)
    assert problems == []
    assert checked > 100


def test_a_tampered_quote_is_caught(seeded: Engine) -> None:
    with seeded.begin() as conn:
        evidence_id = conn.execute(
            sa.text("SELECT min(id) FROM evidence WHERE quote_start IS NOT NULL")
        ).scalar_one()
        conn.execute(
            sa.text(
                "UPDATE evidence SET quote_start = quote_start + 1, "
                "quote_end = quote_end + 1 WHERE id = :id"
            ),
            {"id": evidence_id},
        )
    _, problems = verify(seeded)
    assert len(problems) == 1
    assert f"evidence {evidence_id}" in problems[0]


def test_a_tampered_text_is_caught(seeded: Engine) -> None:
    with seeded.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE sources SET text = replace(text, '270 million', '370 million') "
                "WHERE slug = :slug"
            ),
            {"slug": ARTICLE_SOURCE},
        )
    _, problems = verify(seeded)
    assert any(p.startswith(f"source {ARTICLE_SOURCE}: text has sha256") for p in problems)
    assert any("370 million" in p for p in problems), "the quote at the changed span too"


def test_only_the_byline_is_left_uncovered(seeded: Engine) -> None:
    assert [s.text for s in uncovered_sentences(seeded, ARTICLE_SOURCE)] == ["AloJapan.com"]


def test_sentence_splitting_keeps_domains_whole() -> None:
    text = "He said “yes.” Then he left.\nAloJapan.com"
    assert [s.text for s in sentences(text)] == ["He said “yes.”", "Then he left.", "AloJapan.com"]
    for s in sentences(text):
        assert text[s.start : s.end] == s.text
