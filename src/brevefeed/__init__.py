"""brevefeed: an archive of French news briefs, published as feeds and searchable."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("brevefeed")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
