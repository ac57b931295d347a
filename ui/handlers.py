"""Plain functions between the form (or URL, or API query string) and search/'s public API.

Nothing here imports Gradio, so every behaviour is testable as a function call.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from quarry.errors import QuarryError, UsageError
from quarry.records import Answer, DocInfo, Hit
from search.answer import ask
from search.api import hits_json
from search.titles import place_case, shown_answer, shown_hits, shown_infos
from ui import render

log = logging.getLogger("quarry.ui")

MODE_ALIASES = {"hybrid": "hybrid", "bm25": "bm25", "keyword": "bm25", "dense": "dense", "semantic": "dense"}
FILTER_KEYS = ("authority", "doc", "year", "type")  # the CLI's --filter keys

EXAMPLES = (
    "How many children came into care in Wrexham in 2009/10?",
    "What did CIW say about Cardiff's safeguarding arrangements?",
    "How much did Wrexham spend on social services in 2009/10?",
    "What training have staff received on the MCA and DOLS?",
    "How are young carers supported?",
)


@dataclass(frozen=True)
class FilterChoices:
    """What the filter menus offer, read from the index's documents."""

    authorities: tuple[str, ...]
    documents: tuple[tuple[str, str], ...]  # (title, doc_id)
    years: tuple[str, ...]
    doc_types: tuple[str, ...]


@dataclass(frozen=True)
class SearchRequest:
    """One search as the user asked for it (form, `?q=` link or API query string)."""

    query: str
    mode: str = "hybrid"
    k: int = 10
    filters: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchView:
    """Everything the page shows for one search: HTML panels plus the hits for export."""

    request: SearchRequest
    status: str
    answer: str = ""
    cards: str = ""
    hits: tuple[Hit, ...] = ()
    interpreted: dict[str, Any] = field(default_factory=dict)  # what the query names (a soft preference)

    @property
    def has_results(self) -> bool:
        return bool(self.hits)


MAX_DOCUMENT_CHOICES = 2_000  # above this the documents menu stays empty (filter by authority, year or type):
# a menu of 100,000 titles cost seconds at every page load and no reader scrolls it


def filter_choices(searcher) -> FilterChoices:
    """Authorities, documents, years and document types present in the index, sorted; made once per
    opened index. Authorities, years and types come from the index's stored facets (no document is
    decoded); documents are listed with their shown titles up to MAX_DOCUMENT_CHOICES."""
    return searcher.derived("filter_choices", _filter_choices)


def _filter_choices(searcher) -> FilterChoices:
    facets = searcher.index.docs.facets.rows
    shown = shown_infos(searcher)
    documents: tuple[tuple[str, str], ...] = ()
    if len(shown) <= MAX_DOCUMENT_CHOICES:
        documents = tuple(sorted(((d.title or d.doc_id, d.doc_id) for d in shown.values()), key=lambda t: t[0].lower()))
    return FilterChoices(
        authorities=tuple(sorted({place_case(a) for a in facets["authority"]})),
        documents=documents,
        years=tuple(str(y) for y in sorted(facets["year"])),
        doc_types=tuple(sorted(facets["doc_type"])),
    )


def make_filters(authorities: Sequence[str] | None = None, documents: Sequence[str] | None = None,
                 years: Sequence[str | int] | None = None, doc_types: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Form selections -> the filters dict search takes (empty selections dropped)."""
    pairs = (("authority", authorities), ("doc", documents), ("year", years), ("type", doc_types))
    return {key: [str(v) for v in values] for key, values in pairs if values}


def parse_mode(value: str | None) -> str:
    """hybrid / keyword (bm25) / semantic (dense) -> the search mode name."""
    if value is None or not str(value).strip():
        return "hybrid"
    mode = MODE_ALIASES.get(str(value).strip().lower())
    if mode is None:
        raise UsageError(f"mode must be hybrid, keyword (bm25) or semantic (dense), not {value!r}")
    return mode


def parse_k(value: Any, default: int) -> int:
    """A result count from a form or query string."""
    if value is None or str(value).strip() == "":
        return default
    try:
        k = int(float(value)) if isinstance(value, float) else int(str(value).strip())
    except ValueError:
        raise UsageError(f"the number of results must be a whole number, not {value!r}") from None
    return k


def request_from_params(params: Mapping[str, Sequence[str]], default_k: int = 10) -> SearchRequest:
    """A `?q=...&mode=...&k=...&authority=...` query string (repeats allowed) -> a SearchRequest.

    Filters come as `authority=Cardiff` or, as on the CLI, `filter=authority=Cardiff`.
    """
    def first(name: str) -> str | None:
        values = params.get(name) or []
        return values[0] if values else None

    return SearchRequest(query=(first("q") or "").strip(), mode=parse_mode(first("mode")),
                         k=parse_k(first("k"), default_k), filters=filters_from_params(params))


def filters_from_params(params: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Filters from a query string: `authority=Cardiff` (repeat to combine) or, as on the CLI, `filter=authority=Cardiff`."""
    filters: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        for value in params.get(key) or []:
            filters.setdefault(key, []).append(value)
    for pair in params.get("filter") or []:
        if "=" not in pair:
            raise UsageError(f"filter {pair!r} must look like key=value (keys: {', '.join(FILTER_KEYS)})")
        key, value = pair.split("=", 1)
        filters.setdefault(key.strip(), []).append(value.strip())
    return filters


def _answer(searcher, req: SearchRequest) -> Answer:
    return shown_answer(searcher, ask(searcher, req.query, k=req.k, filters=req.filters or None))


def run_search(searcher, req: SearchRequest, with_answer: bool = True) -> SearchView:
    """Search (and ask) for one request and render every panel; user errors become an error panel."""
    if not req.query:
        return SearchView(req, status=render.empty_state())
    try:
        results = searcher.search(req.query, k=req.k, mode=req.mode, filters=req.filters or None)
    except QuarryError as e:
        return SearchView(req, status=render.error_state(str(e)))
    except Exception:  # a bug or a broken disk: say so in the page, keep the traceback in the log
        log.exception("searching %r failed", req.query)
        return SearchView(req, status=render.error_state("something went wrong on the server (its log has the details)"))
    hits = shown_hits(searcher, results.hits)  # titles as the documents write them (search/titles.py)
    if not hits:
        return SearchView(req, status=render.no_results(req.query, bool(req.filters)))
    answer_html = ""
    if with_answer:
        try:
            answer_html = render.answer_panel(_answer(searcher, req), hits)
        except QuarryError as e:
            answer_html = render.error_state(f"no answer: {e}")
        except Exception:  # the passages are still worth showing; the log has the details
            log.exception("answering %r failed", req.query)
            answer_html = render.error_state("the answer step failed (see the server log); the passages below are unaffected")
    contexts = [searcher.section_context(h.chunk) for h in hits]
    interpreted = results.interpretation.to_dict()
    preferring = {key: value for key, value in interpreted.items() if key != "acronyms"}
    return SearchView(req, status=render.status(req.query, len(hits), req.mode, req.k, req.filters, preferring),
                      answer=answer_html, cards=render.cards(hits, req.query, req.mode, contexts), hits=tuple(hits),
                      interpreted=interpreted)


def export_texts(view: SearchView) -> dict[str, str]:
    """File name -> content for the three exports of a result list."""
    req = view.request
    return {
        "quarry-results.md": render.to_markdown(req.query, view.hits, req.mode),
        "quarry-results.csv": render.to_csv(view.hits),
        "quarry-results.json": render.to_json(req.query, view.hits, req.mode, req.filters, view.interpreted),
    }


def write_exports(view: SearchView, folder: Path) -> dict[str, Path]:
    """Write the exports under `folder/<content hash>/` (same results, same files) and return their paths."""
    return write_texts(export_texts(view), folder)


def write_texts(texts: dict[str, str], folder: Path, prefix: str = "") -> dict[str, Path]:
    """Files named by `texts`' keys under `folder/<prefix><content hash>/` (written once: same texts, same files)."""
    target = Path(folder) / (prefix + hashlib.sha256("\0".join(texts.values()).encode()).hexdigest()[:16])
    target.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, text in texts.items():
        path = target / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


def search_json(searcher, req: SearchRequest) -> dict[str, Any]:
    """The API's search response: each hit is exactly one line of `quarry search --json`.

    `interpreted` is what the query was read as naming (a soft preference, not a filter), as on the CLI.
    """
    if not req.query:
        raise UsageError("the query is empty (pass q=...)")
    results = searcher.search(req.query, k=req.k, mode=req.mode, filters=req.filters or None)
    interpreted = results.interpretation.to_dict()
    return {"query": req.query, "mode": req.mode, "k": req.k, "filters": req.filters, "interpreted": interpreted,
            "hits": hits_json(shown_hits(searcher, results.hits), interpreted)}


def ask_json(searcher, req: SearchRequest) -> dict[str, Any]:
    """The API's ask response: exactly the `quarry ask --json` object."""
    if not req.query:
        raise UsageError("the question is empty (pass q=...)")
    return _answer(searcher, req).to_dict()


# --- quote checking (#19) ---------------------------------------------------------------------

def verify_json(searcher, req: SearchRequest) -> dict[str, Any]:
    """The API's verify response: exactly the `quarry verify --json` object for `q` under the filters."""
    from search.quote_check import check_quote

    return check_quote(searcher, req.query, filters=req.filters or None).to_dict()


def run_verify(searcher, text: str, filters: Mapping[str, list[str]] | None = None) -> str:
    """The page's quote check: the verdict panel, or one line saying what went wrong (never a traceback)."""
    from search.quote_check import check_quote

    try:
        return render.quote_check_panel(check_quote(searcher, text or "", filters=filters or None))
    except QuarryError as e:
        return render.error_state(str(e), "Could not check")
    except Exception:
        log.exception("checking %r failed", (text or "")[:200])
        return render.error_state("something went wrong on the server (its log has the details)", "Could not check")
