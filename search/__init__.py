"""An index directory -> ranked, cited passages (and answers).

Public API (the CLI, the UI and the eval harness all use this and nothing else):

    from search import ask, open_index
    index = open_index(".quarry/index", settings)
    results = index.search("how many children came into care", k=10, mode="hybrid",
                           filters={"authority": "Wrexham"})
    results.hits, results.interpretation  # ranked passages; what the query was read as naming
    answer = ask(index, "How many children came into care in Wrexham?", abstain_below=0.6)  # per-call settings
"""

from search.answer import ask
from search.api import Results, Searcher, hits_json, open_index

__all__ = ["Results", "Searcher", "ask", "hits_json", "open_index"]
