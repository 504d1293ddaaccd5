#!/usr/bin/env python
"""``hatch run python examples/django_shop/manage.py shopdemo`` (or ``runserver``,
``workhorse -q default``, ``createsuperuser`` then /admin/jobs/)."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
