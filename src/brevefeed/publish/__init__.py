"""Publish the archive as RSS 2.0, Atom and JSON Feed 1.1, with RFC 5005 archives and RFC 6721
tombstones: plan (pure) → store (archive reads) → build (bytes) → write (atomic, locked) →
notify (WebSub)."""

from brevefeed.publish.run import PublishReport, publish

__all__ = ["PublishReport", "publish"]
