"""Encrypted job arguments (Enterprise): ``@job(encrypt=True)`` seals the last argument.

See ``docs/enterprise/encryption.md``. Keys: :mod:`.keyring`; format: :mod:`.cipher`.
"""

from workhorse_enterprise.encryption.cipher import MissingKey, UndecryptableArgument
from workhorse_enterprise.encryption.keyring import KeyRing, generate

__all__ = ["KeyRing", "MissingKey", "UndecryptableArgument", "generate"]
