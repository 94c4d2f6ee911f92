"""Expected failures. Each message names the bad value and says how to fix it.

The CLI prints them on one line and exits 1; the UI shows them as a plain message.
"""


class RagError(Exception):
    """Base of every expected failure."""


class SettingsError(RagError):
    """A setting has a value that cannot work."""


class QuestionError(RagError):
    """The question is empty or too long."""


class IndexMissingError(RagError):
    """No index exists at the given folder."""


class IndexMismatchError(RagError):
    """The index was built with other models or chunking than the settings ask for."""


class IndexCorruptError(RagError):
    """The index files fail their checksums or cannot be read."""


class IndexWriteError(RagError):
    """A new generation of the index could not be written (disk full, read-only folder)."""


class ModelError(RagError):
    """A model file or folder is missing or unusable."""


class ArticleError(RagError):
    """No usable article was found in the given paths."""
