"""The Compare view's pieces: request parsing, the table's escaping, the exports, and GET /api/compare."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quarry.errors import UsageError
from search import open_index
from search.compare import compare
from ui import compare_handlers as ch
from ui import compare_view

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


def test_requests_come_from_links_and_the_api():
    req = ch.request_from_params({"compare": [" foster carers "], "by": ["year"], "per_group": ["2"],
                                  "authority": ["Wrexham"], "filter": ["type=annual report"]})
    assert req == ch.CompareRequest("foster carers", "year", 2, "hybrid", {"authority": ["Wrexham"], "type": ["annual report"]})
    assert ch.request_from_params({"q": ["x"]}).by == "authority"
    for bad in ({"q": ["x"], "by": ["colour"]}, {"q": ["x"], "per_group": ["two"]}, {"q": ["x"], "filter": ["nokey"]},
                {"q": ["x"], "mode": ["magic"]}):
        with pytest.raises(UsageError):
            ch.request_from_params(bad)


def test_share_link_round_trips():
    link = compare_view.share_link("care leavers' accommodation", "year", 2, {"authority": ["Cardiff"]})
    assert link == "?compare=care+leavers%27+accommodation&by=year&per_group=2&authority=Cardiff"
    from urllib.parse import parse_qs

    assert ch.request_from_params(parse_qs(link[1:])) == ch.CompareRequest("care leavers' accommodation", "year", 2, "hybrid",
                                                                            {"authority": ["Cardiff"]})


def test_table_has_a_row_per_group_and_escapes_the_topic(searcher):
    result = compare(searcher, "safeguarding <img src=x onerror=alert(1)>", by="doc")
    html = compare_view.table_html(result, searcher.section_context)
    assert html.count('<tr class="q-compare-row"') == 3
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count('<details class="q-context">') == sum(1 for r in result.rows if r.hits)
    assert "?compare=safeguarding" in html  # the link to this comparison


def test_exports_hold_every_group(searcher):
    result = compare(searcher, "safeguarding", by="authority", per_group=2)
    md = compare_view.to_markdown(result)
    assert md.startswith("# \u201csafeguarding\u201d by local authority")
    assert "| Cardiff City Council |" in md and "| Wrexham County Borough Council |" in md
    rows = list(csv.DictReader(io.StringIO(compare_view.to_csv(result))))
    assert {r["group"] for r in rows} == {"Cardiff City Council", "Wrexham County Borough Council"}
    assert all(r["passage_citation"] for r in rows) and len(rows) == sum(len(r.hits) for r in result.rows)


def test_run_compare_turns_errors_into_a_message(searcher, tmp_path):
    view = ch.run_compare(searcher, ch.CompareRequest("x" * 5000))
    assert view.comparison is None and "q-error" in view.html and "Traceback" not in view.html
    ok = ch.run_compare(searcher, ch.CompareRequest("safeguarding", "doc"))
    paths = ch.write_exports(ok, tmp_path)
    assert sorted(paths) == ["quarry-compare.csv", "quarry-compare.md"] and all(p.is_file() for p in paths.values())


@pytest.fixture(scope="module")
def client(searcher, tmp_path_factory):
    from ui.server import create_app

    with TestClient(create_app(searcher, export_dir=tmp_path_factory.mktemp("exports"))) as c:
        yield c


def test_api_compare_rows_are_the_cli_lines(client, hash_index):
    r = client.get("/api/compare", params={"q": "foster carers", "by": "doc", "per_group": 2, "mode": "bm25"})
    assert r.status_code == 200
    body = r.json()
    assert body["topic"] == "foster carers" and body["by"] == "doc" and body["groups"] == len(body["rows"]) == 3
    cli = subprocess.run([sys.executable, "-m", "cli", "compare", "foster carers", "--by", "doc", "--per-group", "2",
                          "--mode", "bm25", "--json", "--index", hash_index.index],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    lines = [json.loads(line) for line in cli.stdout.splitlines()]
    assert [{k: v for k, v in line.items() if k not in ("topic", "by")} for line in lines] == body["rows"]


@pytest.mark.parametrize("params,needle", [({"q": ""}, "topic is empty"), ({"q": "x", "by": "colour"}, "by must be"),
                                           ({"q": "x", "per_group": "0"}, "from 1 to 10"),
                                           ({"q": "x", "filter": "colour=red"}, "unknown filter key")])
def test_api_compare_bad_requests_are_400_with_one_line(client, params, needle):
    r = client.get("/api/compare", params=params)
    assert r.status_code == 400 and needle in r.json()["error"]
