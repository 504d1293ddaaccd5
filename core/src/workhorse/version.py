"""The installed version of workhorse."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("workhorse")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"
