"""pytest fixtures for testing code that uses workhorse (loaded through ``pytest11``)."""

from __future__ import annotations
