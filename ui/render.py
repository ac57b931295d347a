"""Pure functions from hits and answers to HTML and export text; every document or query string is escaped.

Highlighting is a rendering choice, not ranking: a word is marked when its BM25 term (the same
analysis search uses) is one of the query's terms, and the sentence sharing most distinct query terms
with the query is the "best-matching sentence".
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import escape
from typing import Any, Mapping, Sequence
from urllib.parse import urlencode

from quarry.analysis import TOKEN, sentence_spans, terms
from quarry.records import Answer, Citation, Hit
from search.api import hits_json

MODE_LABELS = {"hybrid": "Hybrid", "bm25": "Keyword", "dense": "Semantic"}
RETRIEVER_LABELS = {"bm25": "Keyword (BM25)", "dense": "Semantic (dense)"}

_MARKER = re.compile(r"\[(\d+)\]")


# Question words BM25 keeps as terms; marking them ("many", "much") highlights noise, not answers.
_QUESTION_WORDS = "how many much whose"


def query_terms(query: str) -> frozenset[str]:
    """The query's BM25 terms (stemmed, stop words dropped) less question words like "how many"."""
    return frozenset(terms(query)) - frozenset(terms(_QUESTION_WORDS))


def term_spans(text: str, wanted: frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) of each word in `text` whose term is one of `wanted`."""
    if not wanted:
        return []
    return [m.span() for m in TOKEN.finditer(text) if wanted.intersection(terms(m.group()))]


def best_sentence(text: str, wanted: frozenset[str]) -> tuple[int, int] | None:
    """The sentence sharing most distinct query terms (earliest on a tie); None when none shares any."""
    best, best_overlap = None, 0
    for start, end in sentence_spans(text):
        overlap = len(wanted.intersection(terms(text[start:end])))
        if overlap > best_overlap:
            best, best_overlap = (start, end), overlap
    return best


def mark_terms(text: str, wanted: frozenset[str]) -> str:
    """Escaped `text` with query-term words wrapped in <mark>."""
    out, pos = [], 0
    for start, end in term_spans(text, wanted):
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def highlight(text: str, wanted: frozenset[str], sentence: tuple[int, int] | None = None) -> str:
    """Escaped `text` with query terms marked and the given sentence span wrapped in span.q-best."""
    if sentence is None:
        return mark_terms(text, wanted)
    s, e = sentence
    return (mark_terms(text[:s], wanted) + '<span class="q-best">' + mark_terms(text[s:e], wanted)
            + "</span>" + mark_terms(text[e:], wanted))


def locator(hit: Hit) -> str:
    """"§3.4 Corporate Parenting, p. 7": where in the document the passage stands."""
    c = hit.chunk
    heading = (f"\u00a7{c.heading}" if c.section else c.heading) if c.heading else ""
    return ", ".join(part for part in (heading, hit.page_label) if part)


def quote_for(hit: Hit, wanted: frozenset[str]) -> str:
    """The verbatim text a copied citation quotes: the best-matching sentence, else the passage's opening."""
    text = hit.chunk.text
    span = best_sentence(text, wanted)
    if span is None:
        spans = list(sentence_spans(text)) or [(0, len(text))]
        end = next((e for _, e in spans if e >= 200), spans[-1][1])
        span = (spans[0][0], end)
    return " ".join(text[span[0]:span[1]].split())


def copy_text(quote: str, citation: str) -> str:
    """What "Copy citation" puts on the clipboard."""
    return f"\u201c{quote}\u201d \u2014 {citation}"


def _copy_button(text: str, label: str = "Copy citation") -> str:
    return f'<button type="button" class="q-copy" data-copy="{escape(text, quote=True)}">{escape(label)}</button>'


def scores_table(hit: Hit, mode: str) -> str:
    """Per-retriever rank and score, plus the fused score the list is ordered by."""
    rows = [f"<tr><td>{escape(MODE_LABELS.get(mode, mode))} (ordering)</td><td>#{hit.rank}</td><td>{hit.score:.4f}</td></tr>"]
    for name in sorted(set(hit.ranks) | set(hit.scores)):
        rank = hit.ranks.get(name)
        score = hit.scores.get(name)
        rows.append(f"<tr><td>{escape(RETRIEVER_LABELS.get(name, name))}</td><td>{'#' + str(rank) if rank else '–'}</td>"
                    f"<td>{'–' if score is None else f'{score:.4f}'}</td></tr>")
    return ('<table class="q-scores-table"><thead><tr><th>Retriever</th><th>Rank</th><th>Score</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def context_html(section: str, start: int, end: int, wanted: frozenset[str]) -> str:
    """The whole section, escaped, with the passage's span wrapped in mark.q-passage-in-context."""
    return (mark_terms(section[:start], wanted) + '<span class="q-in-context">' + mark_terms(section[start:end], wanted)
            + "</span>" + mark_terms(section[end:], wanted))


def card(hit: Hit, wanted: frozenset[str], mode: str, context: tuple[str, int, int] | None = None) -> str:
    """One result card: title, authority and period, locator, highlighted passage, context, scores, copy."""
    doc = hit.doc
    meta = " \u00b7 ".join(escape(x) for x in (doc.authority, doc.period, doc.doc_type) if x)
    sentence = best_sentence(hit.chunk.text, wanted)
    parts = [
        f'<article class="q-card" id="hit-{hit.rank}" data-chunk="{escape(hit.chunk.chunk_id, quote=True)}" '
        f'data-authority="{escape(doc.authority or "", quote=True)}">',
        '<header class="q-card-head">',
        f'<span class="q-rank">{hit.rank}</span>',
        f'<div><h3 class="q-title">{escape(doc.title)}</h3>',
        f'<div class="q-meta">{meta}</div>' if meta else "",
        f'<div class="q-locator" title="{escape(hit.citation, quote=True)}">{escape(locator(hit))}</div></div>',
        "</header>",
        f'<div class="q-passage">{highlight(hit.chunk.text, wanted, sentence)}</div>',
        f'<div class="q-actions">{_copy_button(copy_text(quote_for(hit, wanted), hit.citation))}'
        f'<span class="q-citation">{escape(hit.citation)}</span></div>',
    ]
    if context is not None:
        parts.append('<details class="q-context"><summary>Show in context</summary>'
                     f'<div class="q-section">{context_html(*context, wanted)}</div></details>')
    parts.append(f'<details class="q-scores"><summary>Scores</summary>{scores_table(hit, mode)}</details>')
    parts.append("</article>")
    return "".join(parts)


def cards(hits: Sequence[Hit], query: str, mode: str, contexts: Sequence[tuple[str, int, int] | None] = ()) -> str:
    """All result cards for one search."""
    wanted = query_terms(query)
    contexts = list(contexts) or [None] * len(hits)
    return '<div class="q-cards">' + "".join(card(h, wanted, mode, c) for h, c in zip(hits, contexts)) + "</div>"


def _cite_target(citation: Citation, hits: Sequence[Hit]) -> str:
    for h in hits:
        if h.chunk.chunk_id == citation.hit.chunk.chunk_id:
            return f"hit-{h.rank}"
    return f"cite-{citation.n}"


def answer_panel(answer: Answer | None, hits: Sequence[Hit] = ()) -> str:
    """The short answer with [n] markers linking to the result cards (or its own quotes), or the abstention."""
    if answer is None:
        return ""
    if answer.abstained or not answer.citations:
        message = answer.answer or "The documents do not answer this question confidently."
        return ('<section class="q-answer q-abstained" aria-live="polite"><h2>No confident answer</h2>'
                f"<p>{escape(message)}</p><p class=\"q-hint\">The passages below may still help.</p></section>")
    targets = {c.n: _cite_target(c, hits) for c in answer.citations}

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        return f'<a class="q-marker" href="#{targets[n]}">[{n}]</a>' if n in targets else m.group(0)

    text = _MARKER.sub(link, escape(answer.answer))
    items = []
    for c in answer.citations:
        cite = c.to_dict()["citation"]
        items.append(f'<li id="cite-{c.n}" value="{c.n}"><q>{escape(c.quote)}</q> <span class="q-citation">'
                     f'{escape(cite)}</span> {_copy_button(copy_text(" ".join(c.quote.split()), cite))}</li>')
    return ('<section class="q-answer" aria-live="polite"><h2>Answer</h2>'
            f'<p class="q-answer-text">{text}</p><ol class="q-answer-cites">{"".join(items)}</ol></section>')


def share_query(query: str, mode: str, k: int, filters: Mapping[str, Sequence[str]]) -> str:
    """The `?q=...` part of a link that reruns this search."""
    params: list[tuple[str, str]] = [("q", query)]
    if mode != "hybrid":
        params.append(("mode", mode))
    params.append(("k", str(k)))
    params += [(key, v) for key, values in filters.items() for v in values]
    return "?" + urlencode(params)


def status(query: str, n: int, mode: str, k: int, filters: Mapping[str, Sequence[str]],
           preferring: Mapping[str, Any] | None = None) -> str:
    """One line above the cards: how many passages, for what, what the query was read as naming, a link."""
    shown = "; ".join(f"{key}: {', '.join(v)}" for key, v in filters.items() if v)
    preferred = "; ".join(f"{key.replace('_', ' ')}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                          for key, v in (preferring or {}).items())
    link = escape(share_query(query, mode, k, filters), quote=True)
    return (f'<p class="q-status">{n} passage{"s" if n != 1 else ""} for <q>{escape(query)}</q> \u00b7 '
            f"{escape(MODE_LABELS.get(mode, mode))}" + (f" \u00b7 filtered by {escape(shown)}" if shown else "")
            + (f' \u00b7 <span title="a preference, not a filter">preferring {escape(preferred)}</span>' if preferred else "")
            + f' \u00b7 <a href="{link}">link to this search</a></p>')


def empty_state() -> str:
    """First load: what the tool does and what to do."""
    return ('<div class="q-empty"><p><strong>Ask a question about the reports</strong> and press Enter, or pick one '
            "of the example questions. Every passage comes with its document, section and page, ready to copy "
            "as a citation.</p></div>")


def no_results(query: str, filtered: bool) -> str:
    """A search that matched nothing: say so and what to try."""
    hint = "Remove a filter, or try other words." if filtered else "Try other words, or the Semantic mode for paraphrases."
    return f'<div class="q-none"><p>No passages found for <q>{escape(query)}</q>.</p><p>{hint}</p></div>'


def error_state(message: str, title: str = "Could not search") -> str:
    """A problem the user can fix, shown as one line (never a traceback)."""
    return f'<div class="q-error" role="alert"><p><strong>{escape(title)}:</strong> {escape(message)}</p></div>'


# --- exports -------------------------------------------------------------------------------------

CSV_FIELDS = ("rank", "score", "title", "authority", "period", "doc_type", "section", "heading", "page",
              "citation", "text", "doc_id", "chunk_id", "char_start", "char_end")


def to_markdown(query: str, hits: Sequence[Hit], mode: str = "hybrid") -> str:
    """The result list as Markdown: each passage quoted under its citation."""
    lines = [f"# Results for \u201c{query}\u201d", "", f"{len(hits)} passages, {MODE_LABELS.get(mode, mode)} search.", ""]
    for h in hits:
        lines.append(f"{h.rank}. **{h.citation}**")
        lines.append("")
        lines += ["   > " + line if line.strip() else "   >" for line in h.chunk.text.splitlines()]
        lines.append("")
    return "\n".join(lines)


def to_csv(hits: Sequence[Hit]) -> str:
    """The result list as CSV (one row per passage, the JSON contract's main fields)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for h in hits:
        writer.writerow(h.to_dict())
    return buf.getvalue()


def to_json(query: str, hits: Sequence[Hit], mode: str, filters: Mapping[str, Sequence[str]],
            interpreted: Mapping[str, Any] | None = None) -> str:
    """The result list as the API's JSON: {"query", "mode", "filters", "interpreted", "hits": [CLI lines]}."""
    interpreted = dict(interpreted or {})
    return json.dumps({"query": query, "mode": mode, "filters": {k: list(v) for k, v in filters.items()},
                       "interpreted": interpreted, "hits": hits_json(hits, interpreted)},
                      ensure_ascii=False, indent=1)


# --- quote checking (#19) -----------------------------------------------------------------------

VERDICT_TEXT = {
    "verbatim": "The source says this word for word.",
    "close": "The source says this, differing only in punctuation, spacing, spelling, filler words or number format.",
    "altered": "The source says something different: the changed words are marked below.",
    "not_found": "No passage in the collection says this.",
}


def _diff_html(d: Any) -> str:
    """One difference in place: the claim's words struck through, the source's words inserted."""
    cls = "q-diff q-meaning" if d.changes_meaning else "q-diff"
    title = escape(f"{d.kind}: " + ("changes the meaning" if d.changes_meaning else "same meaning"), quote=True)
    return (f'<span class="{cls}" title="{title}">' + (f'<del>{escape(d.claim)}</del>' if d.claim else "")
            + (f'<ins>{escape(d.source)}</ins>' if d.source else "") + "</span>")


def _source_quote(check: Any) -> str:
    """The source quote, escaped, with each difference shown in place (claim -> source)."""
    return "".join(escape(r) if isinstance(r, str) else _diff_html(r) for r in check.diff_runs())


def _in_context(span: Any) -> str:
    s, e = span.char_start - span.context_start, span.char_end - span.context_start
    c = span.context
    return escape(c[:s]) + f'<span class="q-in-context">{escape(c[s:e])}</span>' + escape(c[e:])


def quote_check_panel(check: Any) -> str:
    """A quote check (search.quote_check.QuoteCheck): verdict badge, the source with its citation and the
    differences marked, or the nearest passages for not_found. Every string from the claim or a document is escaped."""
    v = check.verdict
    parts = [f'<section class="q-check" data-verdict="{escape(v, quote=True)}" aria-live="polite">',
             f'<p class="q-check-head"><span class="q-verdict q-verdict-{escape(v, quote=True)}">'
             f'{escape(v.replace("_", " "))}</span> {escape(VERDICT_TEXT.get(v, ""))}</p>']
    if check.source is not None:
        src = check.source
        parts += [f'<blockquote class="q-source">{_source_quote(check)}</blockquote>',
                  f'<div class="q-actions"><span class="q-citation">{escape(src.citation)}</span>'
                  f'{_copy_button(copy_text(" ".join(src.quote.split()), src.citation))}</div>']
        if check.differences:
            items = "".join(f'<li><span class="q-diff-kind">{escape(d.kind)}</span> '
                            f'<del>{escape(d.claim) or "(nothing)"}</del> \u2192 <ins>{escape(d.source) or "(nothing)"}</ins>'
                            f' <span class="q-hint">{"changes the meaning" if d.changes_meaning else "same meaning"}</span></li>'
                            for d in check.differences)
            parts.append(f'<h3 class="q-check-sub">Claim \u2192 source</h3><ul class="q-diffs">{items}</ul>')
        if src.context != src.quote:
            parts.append(f'<details class="q-context"><summary>Show in context</summary>'
                         f'<div class="q-section">{_in_context(src)}</div></details>')
    elif check.nearest:
        items = "".join(f'<li><q>{escape(n.quote)}</q> <span class="q-citation">{escape(n.citation)}</span></li>'
                        for n in check.nearest)
        parts.append(f'<h3 class="q-check-sub">Nearest passages</h3><ol class="q-nearest">{items}</ol>')
    else:
        parts.append('<p class="q-hint">Nothing in the collection (or under these filters) shares enough words with it.</p>')
    parts.append("</section>")
    return "".join(parts)
