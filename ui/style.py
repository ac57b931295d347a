"""The page's look: readable cards at laptop and phone widths, in Gradio's light and dark modes."""

import gradio as gr

# The system's own fonts: nothing fetched, and every glyph present (Gradio's bundled Source Sans
# subset drew capital A from a fallback font in bold headings, measured in Debian's chromium).
FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "DejaVu Sans", "sans-serif")
MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "DejaVu Sans Mono", "monospace")


def theme() -> gr.themes.Base:
    """Gradio's default theme on system fonts."""
    return gr.themes.Default(font=FONTS, font_mono=MONO)


CSS = """
.gradio-container { max-width: 1100px !important; margin: 0 auto !important; }
.q-header h1 { margin: 0.2em 0 0; font-size: 1.8rem; font-weight: 600; }
.q-header p { margin: 0.2em 0 0.6em; color: var(--body-text-color-subdued); }
.q-examples { gap: 6px !important; flex-wrap: wrap !important; }
.q-examples button.q-example { flex: 0 1 auto !important; min-width: 0 !important; white-space: normal; text-align: left;
  font-weight: normal; }

.q-empty, .q-none, .q-error, .q-status { line-height: 1.5; }
.q-empty, .q-none { padding: 0.8em 1em; border: 1px dashed var(--border-color-primary); border-radius: 8px; }
.q-error { padding: 0.8em 1em; border: 1px solid #c0392b; border-left-width: 5px; border-radius: 8px;
  background: color-mix(in srgb, #c0392b 8%, transparent); }
.q-status { color: var(--body-text-color-subdued); margin: 0.2em 0; }

.q-answer { padding: 0.9em 1.1em; border-radius: 10px; border: 1px solid var(--color-accent);
  background: color-mix(in srgb, var(--color-accent) 7%, transparent); margin-bottom: 0.6em; }
.q-answer h2 { font-size: 1.05rem; margin: 0 0 0.4em; }
.q-answer.q-abstained { border-color: var(--border-color-primary); background: var(--background-fill-secondary); }
.q-answer-text { font-size: 1.05rem; line-height: 1.55; margin: 0 0 0.5em; }
.q-answer-cites { margin: 0; padding-left: 1.6em; font-size: 0.92rem; }
.q-answer-cites li { margin: 0.3em 0; }
a.q-marker { text-decoration: none; font-weight: 600; }
.q-hint { color: var(--body-text-color-subdued); margin: 0.3em 0 0; }

.q-cards { display: flex; flex-direction: column; gap: 12px; }
.q-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 0.9em 1.1em;
  background: var(--background-fill-primary); overflow-wrap: anywhere; scroll-margin-top: 1em; }
.q-card:target { outline: 3px solid var(--color-accent); }
.q-card-head { display: flex; gap: 0.7em; align-items: flex-start; }
.q-rank { flex: none; min-width: 1.8em; height: 1.8em; border-radius: 50%; display: inline-flex; align-items: center;
  justify-content: center; font-weight: 600; font-size: 0.85rem; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); }
.q-title { margin: 0; font-size: 1.05rem; line-height: 1.3; font-weight: 600; }
.q-meta { color: var(--body-text-color-subdued); font-size: 0.88rem; margin-top: 0.15em; }
.q-locator { font-weight: 600; font-size: 0.95rem; margin-top: 0.2em; }
.q-passage, .q-section { white-space: pre-line; line-height: 1.55; margin: 0.6em 0; }
.q-passage mark, .q-section mark { background: color-mix(in srgb, #f1c40f 45%, transparent); color: inherit;
  padding: 0 1px; border-radius: 2px; }
.q-best { background: color-mix(in srgb, var(--color-accent) 13%, transparent); border-radius: 3px;
  box-decoration-break: clone; -webkit-box-decoration-break: clone; }
.q-actions { display: flex; flex-wrap: wrap; gap: 0.6em; align-items: center; margin: 0.3em 0; }
.q-citation { color: var(--body-text-color-subdued); font-size: 0.85rem; }
button.q-copy { cursor: pointer; border: 1px solid var(--button-secondary-border-color, var(--border-color-primary));
  background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color);
  border-radius: 6px; padding: 0.3em 0.8em; font-size: 0.88rem; font-weight: 600; }
button.q-copy:hover { filter: brightness(0.95); }
.q-card details { margin-top: 0.4em; }
.q-card summary { cursor: pointer; color: var(--link-text-color, var(--color-accent)); font-size: 0.9rem; }
.q-section { max-height: 28em; overflow-y: auto; padding: 0.6em 0.8em; border-left: 3px solid var(--border-color-primary);
  background: var(--background-fill-secondary); border-radius: 4px; }
.q-in-context { background: color-mix(in srgb, var(--color-accent) 16%, transparent); outline: 1px solid var(--color-accent);
  border-radius: 3px; box-decoration-break: clone; -webkit-box-decoration-break: clone; }
.q-scores-table { border-collapse: collapse; font-size: 0.85rem; margin-top: 0.3em; }
.q-scores-table th, .q-scores-table td { border: 1px solid var(--border-color-primary); padding: 0.2em 0.6em; text-align: left; }
.q-exports { gap: 8px !important; }
.q-compare-wrap { overflow-x: auto; }
table.q-compare { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
table.q-compare th, table.q-compare td { border-top: 1px solid var(--border-color-primary); padding: 0.5em 0.6em;
  text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.q-compare tbody th { min-width: 8em; }
.q-abstain { color: var(--body-text-color-subdued); font-style: italic; }
.q-compare-citation { color: var(--body-text-color-subdued); font-size: 0.85rem; min-width: 10em; }
.q-more { margin: 0.4em 0 0; padding-left: 1.4em; font-size: 0.85rem; color: var(--body-text-color-subdued); }

@media (max-width: 600px) {
  .q-header h1 { font-size: 1.4rem; }
  .q-card { padding: 0.7em 0.8em; }
  .q-card-head { gap: 0.5em; }
  .q-answer-text { font-size: 1rem; }
  .q-section { max-height: 20em; }
}
"""

# "Check a quote" (#19): a verdict badge, the source with the claim's words struck and the source's inserted
CSS += """
.q-check { padding: 0.8em 1em; border: 1px solid var(--border-color-primary); border-radius: 10px; line-height: 1.5; }
.q-check-head { margin: 0 0 0.4em; }
.q-verdict { display: inline-block; padding: 0.05em 0.6em; border-radius: 999px; font-weight: 700; font-size: 0.85rem;
  text-transform: uppercase; letter-spacing: 0.03em; color: #fff; background: #7f8c8d; }
.q-verdict-verbatim { background: #1e8449; }
.q-verdict-close { background: #2471a3; }
.q-verdict-altered { background: #b9770e; }
.q-verdict-not_found { background: #922b21; }
.q-source { margin: 0.4em 0; padding: 0.4em 0.8em; border-left: 4px solid var(--color-accent); white-space: pre-line;
  overflow-wrap: anywhere; }
.q-check del { background: color-mix(in srgb, #c0392b 18%, transparent); color: inherit; }
.q-check ins { background: color-mix(in srgb, #27ae60 22%, transparent); color: inherit; text-decoration: none;
  font-weight: 600; }
.q-diff del + ins { margin-left: 0.2em; }
.q-diff.q-meaning { outline: 2px solid #b9770e; border-radius: 3px; }
.q-check-sub { font-size: 0.95rem; margin: 0.6em 0 0.2em; }
.q-diffs, .q-nearest { margin: 0; padding-left: 1.4em; }
.q-diff-kind { font-weight: 600; }
.q-check .q-section { white-space: pre-line; line-height: 1.55; padding: 0.6em 0.8em; background: var(--background-fill-secondary); }
"""

# Gradio scopes `css` media rules inside .contain, so the page margin (outside it) is set from <head>.
HEAD = """<style>
@media (max-width: 600px) { .gradio-container > .main { padding-left: 8px !important; padding-right: 8px !important; } }
</style>"""
