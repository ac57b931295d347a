"""A thin Gradio shell over search/'s public API: pages, JSON routes and `quarry serve`.

No ranking logic lives here: render.py turns hits and answers into escaped HTML and exports,
handlers.py maps form values to `Searcher.search` / `search.answer.ask` calls, page.py wires them to Gradio
(scripts.py and style.py are its JavaScript and CSS), server.py mounts the page beside the JSON API.
"""
