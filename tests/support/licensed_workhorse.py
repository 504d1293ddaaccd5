"""Run the ``workhorse`` CLI in a test subprocess that trusts the test signing key.

Test harness only: the product never reads a trusted key from the environment.
"""

import os
import sys

from workhorse_testkeys import install_trusted_keys

key_id, _, public = os.environ["WH_TEST_TRUSTED_KEY"].partition(":")
install_trusted_keys((key_id, public))
sys.argv[0] = "workhorse"
from workhorse.cli import main  # noqa: E402

main()
