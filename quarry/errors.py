"""Domain errors: the CLI turns these into one clear line and a non-zero exit."""


class QuarryError(Exception):
    """A problem the user can fix; the message says what to do."""

    exit_code = 1


class UsageError(QuarryError):
    """The command was called wrongly (bad flag value, unknown filter key...)."""

    exit_code = 2


class IndexMissing(QuarryError):
    """No usable index at the given path."""


class IndexCorrupt(QuarryError):
    """An index file fails its checksum or cannot be parsed."""
