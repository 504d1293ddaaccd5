"""A job module that fails while it is imported, for the -r error tests."""

import workhorse


@workhorse.job
def never_registered() -> None: ...


SETTINGS = {"answer": 42}
TIMEOUT = SETTINGS["timeout"]  # raises KeyError at import, as a misconfigured app would
