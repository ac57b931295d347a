"""The `quarry` command line, the top floor: parses flags, resolves settings once, calls the packages below."""
