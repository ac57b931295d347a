"""quarry: semantic search and question answering, with exact citations, over long reports.

This package holds what every part shares: the typed records, settings, errors, text analysis,
embedders, the on-disk index format and the `quarry` command line.
"""

__version__ = "0.1.0"
