"""Release engineering for the four workhorse distributions (issue 25).

Modules, in the order a release runs them: ``distributions`` (what is
released), ``versions`` (bump versions and inter-dependency pins),
``changelog`` (date the Unreleased section), ``building`` (wheels and
sdists), ``inspection`` (twine check and our own checks), ``publishing``
(upload or copy to an index), ``cli`` (the command that runs them in order).
"""

from __future__ import annotations


class ReleaseError(Exception):
    """A release cannot go on; the message says what is wrong and what to do."""
