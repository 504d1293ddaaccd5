"""Vendor-side tools (extra ``[issuer]``): signing keys, license issuing, the index.

- ``keystore``: the on-disk signing key store (private keys mode 0600).
- ``cli``: the ``workhorse-license`` command.
- ``index``: the private package index served by ``workhorse-index``.
"""
