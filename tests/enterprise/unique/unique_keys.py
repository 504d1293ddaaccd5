"""Encryption key ring entries for the tests (a module of its own: ``conftest`` is ambiguous
when several test directories are collected in one run)."""

KEY_1 = "1:" + "A" * 43 + "="  # 32 zero-ish bytes: fine for tests, never for production
KEY_2 = "2:" + "B" * 43 + "="
