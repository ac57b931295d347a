"""The server in-process (Starlette's TestClient): JSON routes, errors, auth over page and API."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search import open_index
from search.answer import ask

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


@pytest.fixture(scope="module")
def client(searcher, tmp_path_factory):
    from ui.server import create_app

    with TestClient(create_app(searcher, export_dir=tmp_path_factory.mktemp("exports"))) as c:
        yield c


@pytest.fixture(scope="module")
def locked(searcher, tmp_path_factory):
    from ui.server import create_app

    app = create_app(searcher, auth=("ann", "s3cret:x"), export_dir=tmp_path_factory.mktemp("exports"))
    with TestClient(app) as c:
        yield c


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_api_search_returns_the_cli_json(client, hash_index):
    r = client.get("/api/search", params={"q": "foster carers", "k": 3, "mode": "bm25", "filter": "authority=Cardiff"})
    assert r.status_code == 200
    cli = subprocess.run([sys.executable, "-m", "cli", "search", "foster carers", "-k", "3", "--mode", "bm25",
                          "--filter", "authority=Cardiff", "--json", "--index", hash_index.index],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert r.json()["hits"] == [json.loads(line) for line in cli.stdout.splitlines()]
    assert {h["authority"] for h in r.json()["hits"]} == {"Cardiff City Council"}


@pytest.mark.parametrize("params,needle", [
    ({"q": "x", "k": "0"}, "k must be a positive"),
    ({"q": "x", "k": "ten"}, "whole number"),
    ({"q": "x", "mode": "magic"}, "mode must be"),
    ({"q": "x", "filter": "colour=red"}, "unknown filter key"),
    ({"k": "3"}, "query is empty"),
])
def test_api_errors_are_400_with_one_message(client, params, needle):
    r = client.get("/api/search", params=params)
    assert r.status_code == 400 and needle in r.json()["error"] and set(r.json()) == {"error"}


def test_api_ask_is_the_cli_contract(client, searcher):
    r = client.get("/api/ask", params={"q": "foster carers", "k": "5"})
    assert r.status_code == 200 and r.json() == json.loads(json.dumps(ask(searcher, "foster carers", k=5).to_dict()))
    assert client.get("/api/ask", params={"k": "5"}).status_code == 400


def test_page_and_config_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.text.lower().startswith("<!doctype html>")
    config = client.get("/config").json()
    assert config["title"].startswith("quarry")
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert {"q-query", "q-mode", "q-k", "q-filter-authority", "q-results", "q-answer"} <= ids


def test_auth_protects_api_and_page(locked):
    refused = locked.get("/api/search", params={"q": "foster carers"})
    assert refused.status_code == 401 and "authentication required" in refused.json()["error"]
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert locked.get("/api/search", params={"q": "carers"}, headers=basic("ann", "wrong")).status_code == 401
    assert locked.get("/api/ask", params={"q": "carers"}).status_code == 401
    ok = locked.get("/api/search", params={"q": "foster carers", "k": 2}, headers=basic("ann", "s3cret:x"))
    assert ok.status_code == 200 and len(ok.json()["hits"]) == 2
    # the page (its config) and its own API (Gradio) need the login too
    assert locked.get("/config").status_code == 401
    assert locked.get("/gradio_api/info").status_code == 401
    assert locked.post("/login", data={"username": "ann", "password": "nope"}).status_code == 400
    assert locked.post("/login", data={"username": "ann", "password": "s3cret:x"}).status_code == 200


def test_server_follows_a_rebuilt_index(tmp_path):
    from indexer.build import build_index
    from quarry.settings import Settings
    from search.live import LiveIndex
    from tests.conftest import CORPUS
    from ui.server import create_app

    first = tmp_path / "one"
    first.mkdir()
    (first / "a.txt").write_text((CORPUS / "ciw-cardiff-performance-review-2018-19.txt").read_text())
    settings = Settings(index=str(tmp_path / "index"), model="hash")
    build_index([first], settings)
    with TestClient(create_app(LiveIndex(settings.index, settings), export_dir=tmp_path / "x")) as c:
        assert c.get("/api/health").json()["documents"] == 1
        build_index([CORPUS], settings)
        assert c.get("/api/health").json()["documents"] == 3
        hits = c.get("/api/search", params={"q": "Corporate Parenting", "mode": "bm25", "filter": "authority=Wrexham"}).json()["hits"]
        assert hits and {h["authority"] for h in hits} == {"Wrexham County Borough Council"}


def test_unexpected_failure_is_a_json_500_without_traceback(searcher, tmp_path):
    from ui.server import create_app

    class Broken:
        doc_infos, chunks, index = searcher.doc_infos, searcher.chunks, searcher.index

        def derived(self, name, make):
            return searcher.derived(name, make)

        def search(self, *args, **kwargs):
            raise RuntimeError("disk on fire at /secret/path")

    with TestClient(create_app(Broken(), export_dir=tmp_path), raise_server_exceptions=False) as c:
        r = c.get("/api/search", params={"q": "carers"})
    assert r.status_code == 500 and r.json() == {"error": "internal error (the server log has the details)"}


# --- /api/verify (#19) ---------------------------------------------------------------------------

ALTERED = "We had 67 children coming into care in 09/10, compared with 50 in 08/09"


def test_api_verify_returns_the_cli_json(client, hash_index):
    r = client.get("/api/verify", params={"q": ALTERED, "filter": "authority=Wrexham"})
    assert r.status_code == 200
    cli = subprocess.run([sys.executable, "-m", "cli", "verify", ALTERED, "--filter", "authority=Wrexham", "--json",
                          "--index", hash_index.index], capture_output=True, text=True, cwd=ROOT, check=True)
    assert r.json() == json.loads(cli.stdout)
    assert r.json()["verdict"] == "altered" and r.json()["differences"][0]["source"] == "76"


def test_api_verify_takes_filters_as_plain_params(client):
    assert client.get("/api/verify", params={"q": ALTERED, "authority": "Wrexham"}).json()["verdict"] == "altered"
    assert client.get("/api/verify", params={"q": ALTERED, "authority": "Cardiff"}).json()["verdict"] == "not_found"


@pytest.mark.parametrize("params,needle", [
    ({}, "the text to check is empty"),
    ({"q": "  ...  "}, "the text to check is empty"),
    ({"q": "x", "filter": "colour=red"}, "unknown filter key"),
    ({"q": "x", "year": "soon"}, "year filter must be a year"),
    ({"q": "word " * 1000}, "the limit is"),
])
def test_api_verify_errors_are_400_with_one_line(client, params, needle):
    r = client.get("/api/verify", params=params)
    assert r.status_code == 400 and set(r.json()) == {"error"}
    assert needle in r.json()["error"] and "\n" not in r.json()["error"]


def test_api_verify_is_behind_auth(locked):
    assert locked.get("/api/verify", params={"q": ALTERED}).status_code == 401
    ok = locked.get("/api/verify", params={"q": ALTERED}, headers=basic("ann", "s3cret:x"))
    assert ok.status_code == 200 and ok.json()["verdict"] == "altered"
