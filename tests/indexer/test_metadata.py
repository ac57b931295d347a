"""Metadata inference against the truth in the Ofsted manifests, and the catalogue's precedence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer import readers
from indexer.metadata import authority_key, authority_name, doc_info, infer, published_date
from indexer.normalise import normalise
from tests.conftest import SHARED

OFSTED = SHARED / "datasets" / "ofsted"
MONTHS = "january february march april may june july august september october november december".split()


def test_authority_names_lose_the_kind_of_council():
    assert authority_name("London Borough of Lambeth") == "Lambeth"
    assert authority_name("Norfolk County Council") == "Norfolk"
    assert authority_name("Metropolitan Borough of Barnsley Council") == "Barnsley"
    assert authority_name("Bristol, City of") == "Bristol"
    assert authority_name("Wrexham County Borough Council") == "Wrexham"
    assert authority_name("Isle of Wight Council") == "Isle of Wight"
    assert authority_key("Telford & Wrekin") == authority_key("telford and wrekin")


def test_published_date_from_name_then_text():
    assert published_date("", "children's services focused visit - 09 april 2018.txt") == "2018-04-09"
    assert published_date("Birmingham\n\nInspection dates: 12 September 2016 to 6 October 2016\nReport published: 25 November 2016\n", "report.pdf") == "2016-11-25"
    assert published_date("1 December 2021\nSue Harrison\nDirector", "letter.txt") == "2021-12-01"
    assert published_date("Inspection dates: 7 to 18 November 2022", "report.txt") is None


def test_catalogue_entry_overrides_inference():
    text = "Inspection of Dorset local authority children's services\n\nInspection dates: 27 September to 8 October 2021\n"
    guessed = doc_info("d", "children's services inspection - 19 november 2021.txt", text, None)
    assert (guessed.authority, guessed.published, guessed.year, guessed.doc_type) == ("Dorset", "2021-11-19", 2021, "inspection report")
    assert set(guessed.inferred) >= {"authority", "published", "years", "doc_type"}
    entry = {"authority": "Dorset Council", "published": "2021-11-20", "years": [2021], "doc_type": "ILACS report", "title": "Dorset"}
    given = doc_info("d", "children's services inspection - 19 november 2021.txt", text, entry)
    assert (given.authority, given.published, given.doc_type, given.title) == ("Dorset Council", "2021-11-20", "ILACS report", "Dorset")
    assert given.inferred == ()


def _manifest() -> list[dict]:
    rows = []
    for name, kind in (("inspections.manifest.jsonl", "inspection"), ("focused_visits.manifest.jsonl", "focused visit")):
        with (OFSTED / name).open(encoding="utf-8") as f:
            rows += [{**r, "kind": kind} for r in map(json.loads, f)]
    return rows


@pytest.mark.slow  # reads all 802 Ofsted documents (about 20 s)
@pytest.mark.requires(OFSTED.is_dir(), "shared Ofsted data not present")
def test_inference_accuracy_over_every_ofsted_document(capsys):
    rows = _manifest()
    assert len(rows) == 802
    hits = {"authority": 0, "published": 0, "year": 0, "doc_type": 0, "year (text only)": 0}
    wrong_type = []
    for row in rows:
        path = OFSTED / row["txt"]
        text = normalise(readers.read(path).pages).text
        guess = infer(text, path.name)
        day, month, year = row["published"].split()
        iso = f"{year}-{MONTHS.index(month) + 1:02d}-{int(day):02d}"
        hits["authority"] += authority_key(guess.get("authority") or "") == authority_key(row["local_authority"])
        hits["published"] += guess.get("published") == iso
        hits["year"] += guess.get("year") == int(year)
        hits["year (text only)"] += infer(text, "document.txt").get("year") == int(year)
        truth = "focused visit" if row["kind"] == "focused visit" else "inspection report"
        if guess.get("doc_type") == truth:
            hits["doc_type"] += 1
        else:
            wrong_type.append((row["txt"], guess.get("doc_type"), truth))
    accuracy = {k: v / len(rows) for k, v in hits.items()}
    with capsys.disabled():
        print("\nmetadata inference over", len(rows), "Ofsted documents: "
              + ", ".join(f"{k} {v:.3f}" for k, v in accuracy.items()))
    assert accuracy["authority"] >= 0.98
    assert accuracy["published"] >= 0.98 and accuracy["year"] >= 0.98
    assert accuracy["doc_type"] >= 0.98, wrong_type[:5]
    assert accuracy["year (text only)"] >= 0.9  # reports name their inspection dates, not always the publication

