"""Test harness only: every Python process started with this directory on PYTHONPATH
trusts the test signing key named in WH_TEST_TRUSTED_KEY.

For process trees the test cannot wrap one by one, such as the children that
``workhorse worker -p N`` spawns. Code, not configuration: the product never
reads a trusted key from the environment; this file (and the test-only
``workhorse_testkeys`` it calls) exists only in the test suite.
"""

import os

if os.environ.get("WH_TEST_TRUSTED_KEY"):
    from workhorse_testkeys import install_trusted_keys

    key_id, _, public = os.environ["WH_TEST_TRUSTED_KEY"].partition(":")
    install_trusted_keys((key_id, public))
