"""`quarry serve`'s named Gradio API: gradio_client finds /search and /ask and gets the JSON API's answers."""

import json
import urllib.parse
import urllib.request

import pytest

from tests.ui.browser import quarry_serve

pytestmark = pytest.mark.requires_modules("gradio_client")  # installed with gradio


def test_gradio_client_searches_and_asks_a_served_index(hash_index):
    import gradio_client

    with quarry_serve(hash_index.index, timeout=180) as base:
        client = gradio_client.Client(base + "/", verbose=False)
        assert {"/search", "/ask"} <= set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])

        result = client.predict("foster carers", "keyword", 3, ["Cardiff"], api_name="/search")
        assert result["mode"] == "bm25" and result["k"] == 3 and result["filters"] == {"authority": ["Cardiff"]}
        assert len(result["hits"]) == 3 and {h["authority"] for h in result["hits"]} == {"Cardiff City Council"}
        assert "foster carers" in result["hits"][0]["text"]
        url = base + "/api/search?q=foster+carers&mode=bm25&k=3&authority=Cardiff"
        with urllib.request.urlopen(url, timeout=30) as r:
            assert result == json.load(r)  # the same JSON as GET /api/search

        answer = client.predict("How many children came into care in 2009/10?", api_name="/ask")
        assert not answer["abstained"] and "76 children coming into care" in answer["answer"]
        assert answer["citations"][0]["doc_id"] == "wrexham-social-services-annual-report-2009-10"

        with pytest.raises(Exception, match="mode must be hybrid"):
            client.predict("foster carers", "magic", api_name="/search")

        # "Check a quote" (#19): /verify answers with GET /api/verify's JSON
        claim = "We had 67 children coming into care in 09/10"
        checked = client.predict(claim, ["Wrexham"], api_name="/verify")
        assert checked["verdict"] == "altered" and checked["differences"][0]["source"] == "76"
        with urllib.request.urlopen(base + "/api/verify?authority=Wrexham&q=" + urllib.parse.quote(claim), timeout=30) as r:
            assert checked == json.load(r)
        with pytest.raises(Exception, match="the text to check is empty"):
            client.predict("  ", api_name="/verify")
