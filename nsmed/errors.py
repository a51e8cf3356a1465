"""User-facing errors: the CLI prints their message on one line and exits non-zero."""


class NsmedError(Exception):
    """A problem with the user's input or environment, explained in one line (no traceback)."""


class ModelLoadError(NsmedError):
    """The requested model could not be found, verified or loaded."""


class DatasetError(NsmedError):
    """A dataset file is missing, empty, malformed or unusable for the requested positions."""


class StoreError(NsmedError):
    """An effect store cannot be created, written or read."""
