"""Search the archive: query language → per-backend full-text query → hits with snippets."""

from brevefeed.errors import QueryError
from brevefeed.search.engine import Hit, SearchPage, SearchRequest, search
from brevefeed.search.query import parse_query

__all__ = ["Hit", "QueryError", "SearchPage", "SearchRequest", "parse_query", "search"]
