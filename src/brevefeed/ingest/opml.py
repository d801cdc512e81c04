"""OPML 2.0 subscription lists, in and out (pure: text ↔ plain values).

A source's keywords travel in a ``brevefeed:keywords`` attribute (comma-separated) of our own
namespace, which OPML 2.0 allows and other readers ignore.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from brevefeed.errors import InputError
from brevefeed.ingest.guard import neutralise_dtd
from brevefeed.urls import BadURLError, check_web_url, web_url_or_empty

#: The namespace of brevefeed's own outline attributes.
NAMESPACE = "urn:x-brevefeed:opml:1"
_KEYWORDS = f"{{{NAMESPACE}}}keywords"


@dataclass(frozen=True)
class Outline:
    url: str
    name: str = ""
    #: The outlet's web site (``htmlUrl``), not its feed.
    site_link: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subscriptions:
    """What an OPML file lists: the outlines to follow, and one line per outline refused."""

    outlines: list[Outline]
    rejected: list[str]


def read_opml(data: bytes, source: str) -> Subscriptions:
    """Every outline with an xmlUrl, at any depth (folders are flattened). An xmlUrl that
    fails the shared URL rule is reported in ``rejected`` and skipped: a list exported by
    another reader is input like any other, and one bad line must not cost the rest."""
    try:
        # The DTD guard first: ElementTree expands internal entities too.
        root = ET.fromstring(neutralise_dtd(data))
    except ET.ParseError as exc:
        raise InputError(f"not valid OPML: {exc}", source=source) from None
    if root.tag != "opml":
        raise InputError("not OPML: the root element is not <opml>", source=source)
    outlines, rejected = [], []
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or "").strip()
        if not url:
            continue
        try:
            check_web_url(url)
        except BadURLError as exc:
            rejected.append(f"{source}: outline {url[:200]!r} skipped: {exc}")
            continue
        name = (node.get("title") or node.get("text") or "").strip()
        name = "" if name == url else name  # text="URL" is how nameless feeds are written
        site_link = web_url_or_empty(node.get("htmlUrl") or "")
        keywords = tuple(k.strip() for k in (node.get(_KEYWORDS) or "").split(",") if k.strip())
        outlines.append(Outline(url, name, site_link, keywords))
    return Subscriptions(outlines, rejected)


def write_opml(title: str, outlines: list[Outline], now: datetime) -> str:
    ET.register_namespace("brevefeed", NAMESPACE)
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ET.SubElement(root, "body")
    for outline in outlines:
        attrs = {"type": "rss", "text": outline.name or outline.url, "xmlUrl": outline.url}
        if outline.name:
            attrs["title"] = outline.name
        if outline.site_link:
            attrs["htmlUrl"] = outline.site_link
        if outline.keywords:
            attrs[_KEYWORDS] = ", ".join(outline.keywords)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
