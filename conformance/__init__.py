"""Procurement interoperability conformance harness."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("procurement-conformance")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
