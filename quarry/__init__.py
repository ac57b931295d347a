"""quarry: semantic search and question answering, with exact citations, over long reports.

This package holds what every part shares: the typed records, settings, errors, text analysis,
embedders and the on-disk index format. The `quarry` command line is the `cli` package, on top.
"""

__version__ = "0.1.0"
