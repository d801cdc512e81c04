"""brevefeed: an archive of French news briefs, published as feeds and searchable."""

#: The one place the version is written: pyproject.toml reads it from here. Asking the
#: installed metadata instead (importlib.metadata) cost every command tens of milliseconds.
__version__ = "0.1.0"
