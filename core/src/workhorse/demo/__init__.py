"""``workhorse demo``: example jobs, an in-process worker, a live display and the dashboard."""

from workhorse.demo.options import DemoOptions
from workhorse.demo.runner import run_demo

__all__ = ["DemoOptions", "run_demo"]
