"""An index directory -> ranked, cited passages (and answers).

Public API (the CLI, the UI and the eval harness all use this and nothing else):

    from search import open_index
    index = open_index(".quarry/index", settings)
    results = index.search("how many children came into care", k=10, mode="hybrid",
                           filters={"authority": "Wrexham"})
    results.hits, results.interpretation  # ranked passages; what the query was read as naming
"""

from search.api import Results, Searcher, hits_json, open_index

__all__ = ["Results", "Searcher", "hits_json", "open_index"]
