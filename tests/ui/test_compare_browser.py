"""The Compare view in a real browser (Debian chromium under Playwright) against `quarry serve`.

A tiny hash-embedded index of three letters (Barnet, Dorset, York), one holding HTML, so the test
runs in seconds: a shared `?compare=` link fills the table, "Show in context" opens the section,
the CSV export downloads, a new topic updates the address, and document HTML shows as text.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from indexer.build import build_index
from quarry.settings import Settings
from tests.ui.browser import chromium, quarry_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LETTER = ("{date}\n\nDear Director\n\nFocused visit to {la} children\u2019s services\n\n"
          "This letter summarises the findings of the focused visit to {la} children\u2019s services.\n\nMain findings\n\n{body}\n")
LETTERS = {
    "barnet": ("4 December 2025", "Barnet", "Care leavers are helped into apprenticeships with local employers. "
               "Twelve care leavers started apprenticeships this year."),
    "dorset": ("22 June 2023", "Dorset", "Leaders have improved accommodation for care leavers and their apprenticeships "
               "<img src=x onerror=\"window.__pwned='img'\"> <b>bold</b>."),
    "york": ("9 August 2019", "York", "The front door responds quickly to contacts from the police and schools."),
}


def gradio_errors(page) -> int:
    return page.locator('[data-testid="status-tracker"] .error').count()


def test_compare_view_link_table_context_export(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (date, la, body) in LETTERS.items():
        (corpus / f"{name}.txt").write_text(LETTER.format(date=date, la=la, body=body), encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"), model="hash")
    build_index([corpus], settings)
    with quarry_serve(settings.index) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/?compare={quote('apprenticeships for care leavers')}&by=authority")
        page.wait_for_selector("#q-compare-table tr.q-compare-row")
        rows = page.locator("#q-compare-table tr.q-compare-row")
        assert rows.evaluate_all("els => els.map(e => e.dataset.group)") == ["Barnet", "Dorset", "York"]
        assert page.locator("#q-compare-topic input, #q-compare-topic textarea").first.input_value() == \
            "apprenticeships for care leavers"
        barnet = rows.nth(0)
        assert "Care leavers are helped into apprenticeships" in barnet.inner_text()
        assert "Focused visit to Barnet children\u2019s services, 4 December 2025" in barnet.locator(".q-compare-citation").inner_text()
        york = rows.nth(2)
        assert york.get_attribute("data-abstained") == "true" and "No finding" in york.inner_text()

        # the document's HTML is text, never markup
        dorset = rows.nth(1)
        assert "<img src=x" in dorset.inner_text() and "<b>bold</b>" in dorset.inner_text()
        assert page.locator("#q-compare-table img, #q-compare-table b").count() == 0
        assert page.evaluate("window.__pwned") is None

        # show in context: the whole section, the passage marked
        details = barnet.locator("details.q-context")
        details.locator("summary").click()
        assert details.locator(".q-in-context").is_visible()
        page.screenshot(path=str(tmp_path / "compare-1280.png"), full_page=True)

        # exports
        with page.expect_download() as download:
            page.locator("#q-compare-export-csv").click()
        csv_path = tmp_path / "compare.csv"
        download.value.save_as(csv_path)
        text = csv_path.read_text(encoding="utf-8")
        assert "Barnet" in text and "York" in text and "Focused visit to Dorset children\u2019s services, 22 June 2023" in text
        with page.expect_download() as download:
            page.locator("#q-compare-export-md").click()
        md_path = tmp_path / "compare.md"
        download.value.save_as(md_path)
        assert "| Local authority | Finding | Citation |" in md_path.read_text(encoding="utf-8")

        # a new topic and row kind: the table follows and so does the address bar
        box = page.locator("#q-compare-topic input, #q-compare-topic textarea").first
        box.fill("front door contacts from the police")
        page.get_by_role("radio", name="Year").check()
        page.wait_for_function("() => [...document.querySelectorAll('#q-compare-table tr.q-compare-row')]"
                               ".map(e => e.dataset.group).join() === '2019,2023,2025'")
        assert "compare=front+door+contacts+from+the+police" in page.url and "by=year" in page.url
        assert errors == [] and gradio_errors(page) == 0
        print(f"screenshots: {tmp_path}")
