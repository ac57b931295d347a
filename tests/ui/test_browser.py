"""`quarry serve` in a real browser: Debian's chromium driven by Playwright, against a running server.

The main test uses the real-model seed index; the escaping test a tiny index of a hostile document.
Screenshots land in the test's temp dir (pytest prints where) so a person can look at them.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import quote

import pytest

from indexer.build import build_index
from quarry.settings import Settings
from tests.ui.browser import chromium, quarry_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "How much did Wrexham spend on social services in total in 2009/10?"
EXPECTED = "Social Services Annual Report 2009/10, Wrexham County Borough Council, \u00a72 EXECUTIVE SUMMARY - SOCIAL SERVICES IN WREXHAM"
CARDIFF = "Cardiff City Council"


def gradio_errors(page) -> int:
    """How many components show Gradio's "Error" badge (an exception escaped a handler)."""
    return page.locator('[data-testid="status-tracker"] .error').count()


def card_authorities(page) -> list[str]:
    return page.locator("#q-results .q-card").evaluate_all("els => els.map(e => e.dataset.authority)")


def test_question_to_copied_citation_in_a_real_browser(real_index, tmp_path):
    with quarry_serve(real_index.index) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        elsewhere: list[str] = []  # the page must work offline: nothing fetched from another host
        context.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:")) else elsewhere.append(r.url))
        page.goto(base + "/")
        assert "Ask a question about the reports" in page.locator("#q-status").inner_text()
        page.wait_for_selector("button.q-example")
        assert page.locator("button.q-example").count() >= 3  # example questions on first load
        page.wait_for_timeout(1500)  # let the load event finish: it must not fail on a plain visit
        assert gradio_errors(page) == 0

        # 1. type + Enter
        box = page.locator("#q-query input, #q-query textarea").first
        box.fill(QUESTION)
        box.press("Enter")
        page.wait_for_selector("#q-results .q-card")
        results = page.locator("#q-results")
        assert EXPECTED in results.inner_text()
        card = results.locator(".q-card", has=page.locator(".q-citation", has_text=EXPECTED)).first
        assert "\u00a358.61 million" in card.locator(".q-passage").inner_text()
        assert card.locator(".q-passage mark").count() > 0  # query terms highlighted
        assert "?q=How+much+did+Wrexham" in page.url or "?q=How%20much%20did%20Wrexham" in page.url
        page.screenshot(path=str(tmp_path / "results-1280.png"))

        # the answer panel sits on top: its [n] markers link to a card or to the answer's own quote
        panel = page.locator("#q-answer .q-answer")
        assert panel.is_visible()
        markers = panel.locator("a.q-marker")
        assert markers.count() >= 1, panel.inner_text()
        target = markers.first.get_attribute("href")
        assert page.locator(target).count() == 1

        # 2. (read) 3. "Copy citation": the clipboard holds the quote and the citation
        button = card.locator("button.q-copy")
        button.click()
        page.wait_for_function("b => b.textContent.includes('Copied')", arg=button.element_handle())
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == button.get_attribute("data-copy") and copied.endswith("\u2014 " + EXPECTED)

        # show in context: the whole section opens with the passage marked inside it
        context_box = card.locator("details.q-context")
        assert not context_box.locator(".q-section").is_visible()
        context_box.locator("summary").click()
        assert context_box.locator(".q-in-context").is_visible()
        section = context_box.locator(".q-section").inner_text()
        assert len(section) >= len(card.locator(".q-passage").inner_text())
        card.locator("details.q-scores summary").click()
        assert "Keyword (BM25)" in card.locator(".q-scores-table").inner_text()

        # export: the CSV download carries the citations
        with page.expect_download() as download:
            page.locator("#q-export-csv").click()
        csv_path = tmp_path / "export.csv"
        download.value.save_as(csv_path)
        assert EXPECTED in csv_path.read_text(encoding="utf-8")

        # a filter narrows the results: authority = Cardiff -> every card is Cardiff's
        before = set(card_authorities(page))
        assert "Wrexham County Borough Council" in before
        page.get_by_text("Filters", exact=True).click()
        combo = page.get_by_role("combobox", name="Local authority")
        combo.click()
        combo.fill("Cardiff")
        page.get_by_role("option", name=CARDIFF).click()
        page.wait_for_function("() => { const c = [...document.querySelectorAll('#q-results .q-card')];"
                               " return c.length > 0 && c.every(e => e.dataset.authority === 'Cardiff City Council'); }")
        assert set(card_authorities(page)) == {CARDIFF}
        assert "filtered by authority: Cardiff City Council" in page.locator("#q-status").inner_text()
        assert "authority=Cardiff+City+Council" in page.url
        assert errors == [] and elsewhere == [] and gradio_errors(page) == 0

        # a shared link runs its search on load, at phone width
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(f"{base}/?q={quote(QUESTION)}&k=5")
        phone.wait_for_selector("#q-results .q-card")
        assert phone.locator("#q-results .q-card").count() == 5
        assert EXPECTED in phone.locator("#q-results").inner_text()
        assert phone.locator("#q-query input, #q-query textarea").first.input_value() == QUESTION
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"
        phone.screenshot(path=str(tmp_path / "results-390.png"), full_page=False)
        phone.screenshot(path=str(tmp_path / "results-390-full.png"), full_page=True)
        print(f"screenshots: {tmp_path}")


HOSTILE = (
    "Safeguarding Report\n\n"
    "1. Introduction\n"
    "Safeguarding <script>window.__pwned = 'script'</script> matters for every child.\n"
    "An image <img src=x onerror=\"window.__pwned = 'img'\"> should show as text.\n"
    "Template ${window.__pwned = 'template'} and {{constructor.constructor('window.__pwned = 1')()}} stay literal.\n"
)


def test_document_and_query_html_render_as_text(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    for name in ("budget", "transport"):  # BM25 needs more than one document for a positive IDF
        (corpus / f"{name}.txt").write_text(f"{name.title()} Report\n\nThe {name} was reviewed in 2019.\n", encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"), model="hash")
    build_index([corpus], settings)
    with quarry_serve(settings.index) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        query = "safeguarding <b>bold</b> <img src=y onerror=\"window.__pwned='query'\">"
        page.goto(f"{base}/?q={quote(query)}&mode=bm25")
        page.wait_for_selector("#q-results .q-card")
        text = page.locator("#q-results").inner_text()
        assert "<script>window.__pwned = 'script'</script>" in text
        assert "<img src=x onerror=\"window.__pwned = 'img'\">" in text
        assert "${window.__pwned = 'template'}" in text and "{{constructor.constructor(" in text
        assert "<b>bold</b>" in page.locator("#q-status").inner_text()
        assert page.locator("#q-results script, #q-results img, #q-status b, #q-status img").count() == 0
        assert page.evaluate("window.__pwned") is None and dialogs == [] and gradio_errors(page) == 0

        # no-result and error states are shown in the page, as one line, not a traceback
        box = page.locator("#q-query input, #q-query textarea").first
        box.fill("zyzzyva quokka")
        box.press("Enter")
        page.wait_for_selector("#q-status .q-none")
        assert "No passages found" in page.locator("#q-status").inner_text()
        box.fill("x" * 2100)
        box.press("Enter")
        page.wait_for_selector("#q-status .q-error")
        message = page.locator("#q-status").inner_text()
        assert "the limit is 2000" in message and "Traceback" not in message
        assert page.locator("#q-results .q-card").count() == 0 and gradio_errors(page) == 0

        # served over plain http on a LAN address there is no navigator.clipboard: the fallback copies
        lan = browser.new_context()
        lan.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        lan.add_init_script("Object.defineProperty(window, 'isSecureContext', {get: () => false});")
        page = lan.new_page()
        page.goto(f"{base}/?q=safeguarding&mode=bm25")
        button = page.locator("#q-results .q-card button.q-copy").first
        button.click()
        page.wait_for_function("b => b.textContent.includes('Copied')", arg=button.element_handle())
        assert page.evaluate("navigator.clipboard.readText()") == button.get_attribute("data-copy")


CLAIM = "We had 76 children coming into care in 09/10, compared with 50 in 08/09"
CLAIM_SOURCE = "Social Services Annual Report 2009/10, Wrexham County Borough Council"


def test_check_a_quote_in_a_real_browser(hash_index, tmp_path):
    """Paste a sentence from the seed corpus: verbatim with its citation; change its number: altered, the
    changed words marked; paste HTML: shown as text."""
    with quarry_serve(hash_index.index) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/")
        page.get_by_text("Check a quote", exact=True).click()
        box = page.locator("#q-check-text textarea").first
        result = page.locator("#q-check-result")

        box.fill(CLAIM)
        page.locator("#q-check-go").click()
        page.wait_for_selector('#q-check-result .q-check[data-verdict="verbatim"]')
        assert result.locator(".q-verdict").text_content() == "verbatim"
        assert result.locator(".q-source").inner_text() == CLAIM
        assert result.locator(".q-citation").inner_text().startswith(CLAIM_SOURCE)
        assert result.locator("del, ins").count() == 0
        page.screenshot(path=str(tmp_path / "check-verbatim.png"))

        box.fill(CLAIM.replace("76", "67"))
        page.locator("#q-check-go").click()
        page.wait_for_selector('#q-check-result .q-check[data-verdict="altered"]')
        changed = result.locator(".q-source .q-diff.q-meaning")
        assert changed.count() == 1 and changed.locator("del").inner_text() == "67" and changed.locator("ins").inner_text() == "76"
        assert "number 67 \u2192 76" in " ".join(result.locator(".q-diffs li").first.inner_text().split())
        assert result.locator(".q-citation").inner_text().startswith(CLAIM_SOURCE)
        page.screenshot(path=str(tmp_path / "check-altered.png"))

        box.fill("Safeguarding <img src=x onerror=\"window.__pwned = 1\"> matters for the Dewey Decimal Classification.")
        page.locator("#q-check-go").click()
        page.wait_for_selector('#q-check-result .q-check[data-verdict="not_found"]')
        assert result.locator("img, script").count() == 0 and page.evaluate("window.__pwned") is None

        box.fill("   ")
        page.locator("#q-check-go").click()
        page.wait_for_selector("#q-check-result .q-error")
        assert "the text to check is empty" in result.inner_text()
        assert errors == [] and gradio_errors(page) == 0

        # at phone width the panel wraps instead of scrolling sideways
        page.set_viewport_size({"width": 390, "height": 844})
        box.fill(CLAIM.replace("76", "67"))
        page.locator("#q-check-go").click()
        page.wait_for_selector('#q-check-result .q-check[data-verdict="altered"]')
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the quote check scrolls sideways at phone width ({width}px)"
        page.screenshot(path=str(tmp_path / "check-390.png"), full_page=True)
        print(f"screenshots: {tmp_path}")
