"""An index directory -> ranked, cited passages (and answers).

Public API (the CLI, the UI and the eval harness all use this and nothing else):

    from search import open_index
    index = open_index(".quarry/index", settings)
    hits = index.search("how many children came into care", k=10, mode="hybrid",
                        filters={"authority": "Wrexham"})
"""

from search.api import Searcher, hits_json, open_index

__all__ = ["Searcher", "hits_json", "open_index"]
