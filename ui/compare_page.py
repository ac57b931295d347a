"""The page's Compare view: a topic, one row per authority (or year, document, type), exports and a link.

Built inside the search page's Blocks (ui/page.py) and sharing its Filters; the form goes through
ui/compare_handlers.py and comes back as the HTML table of ui/compare_view.py.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import gradio as gr

from quarry.errors import QuarryError
from ui import compare_handlers as ch, render
from ui.handlers import make_filters

BY_CHOICES = [("Local authority", "authority"), ("Year", "year"), ("Document", "doc"), ("Document type", "type")]

# Keep the address bar in step with the comparison, so it can be shared as a `/?compare=...&by=...` link.
COMPARE_URL_JS = """
(topic, by, au, dc, yr, ty) => {
  try {
    const p = new URLSearchParams();
    if (topic && topic.trim()) { p.set('compare', topic.trim()); p.set('by', by || 'authority'); }
    for (const [key, vals] of [['authority', au], ['doc', dc], ['year', yr], ['type', ty]])
      for (const v of (vals || [])) p.append(key, v);
    const s = p.toString();
    window.history.replaceState(null, '', s ? '?' + s : window.location.pathname);
  } catch (e) { /* an old browser keeps its address; the comparison still runs */ }
  return [topic, by, au, dc, yr, ty];
}
"""


def compare_section(demo: gr.Blocks, current: Callable[[], Any], lock: threading.Lock, export_dir: Path,
                    filters: Sequence[gr.components.Component]) -> None:
    """The Compare accordion, its events and its `?compare=` link handling (call inside the page's Blocks)."""
    with gr.Accordion("Compare across reports", open=False, elem_id="q-compare") as section:
        gr.HTML('<p class="q-hint">The same question in every report: one row per local authority, year, document '
                "or type, each with its best passage and a quoted finding (or why there is none). The Filters above "
                "narrow the reports compared.</p>")
        with gr.Row(equal_height=True):
            topic = gr.Textbox(label="Topic or question", placeholder="e.g. care leavers' accommodation", lines=1,
                               max_lines=1, scale=5, min_width=260, elem_id="q-compare-topic")
            by = gr.Radio(BY_CHOICES, value="authority", label="One row per", scale=3, min_width=260, elem_id="q-compare-by")
            go = gr.Button("Compare", variant="primary", scale=1, min_width=100, elem_id="q-compare-go")
        table = gr.HTML("", elem_id="q-compare-table")
        with gr.Row(elem_classes="q-exports"):
            downloads = [gr.DownloadButton(label, visible=False, size="sm", elem_id=f"q-compare-export-{ext}",
                                           min_width=150, scale=0)
                         for label, ext in (("Export Markdown", "md"), ("Export CSV", "csv"))]

    def outputs_for(view: ch.CompareView) -> list[Any]:
        if view.comparison is not None:
            paths = ch.write_exports(view, export_dir)
            return [view.html, *[gr.DownloadButton(value=str(p), visible=True) for p in paths.values()]]
        return [view.html, *[gr.DownloadButton(value=None, visible=False) for _ in downloads]]

    def run(req: ch.CompareRequest) -> list[Any]:
        with lock:
            return outputs_for(ch.run_compare(current(), req))

    def on_compare(text, row_by, authorities, documents, years, doc_types):
        try:
            req = ch.CompareRequest((text or "").strip(), ch.parse_by(row_by), 1, "hybrid",
                                    make_filters(authorities, documents, years, doc_types))
        except QuarryError as e:
            return outputs_for(ch.CompareView(ch.CompareRequest(text or ""), render.error_state(str(e))))
        return run(req)

    def on_load(request: gr.Request):
        params = {key: request.query_params.getlist(key) for key in request.query_params.keys()}
        if not params.get("compare"):
            return [gr.skip()] * (3 + len(downloads) + 1)
        try:
            req = ch.request_from_params(params)
        except QuarryError as e:
            view = ch.CompareView(ch.CompareRequest(""), render.error_state(str(e)))
            return [gr.Accordion(open=True), gr.skip(), gr.skip(), *outputs_for(view)]
        return [gr.Accordion(open=True), req.topic, req.by, *run(req)]

    inputs = [topic, by, *filters]
    shown = [table, *downloads]
    event = dict(fn=on_compare, inputs=inputs, outputs=shown, js=COMPARE_URL_JS, api_visibility="private",
                 show_progress_on=[table])
    topic.submit(**event)
    go.click(**event)
    by.input(**event)
    demo.load(on_load, inputs=None, outputs=[section, topic, by, *shown], api_visibility="private",
              show_progress_on=[table])
