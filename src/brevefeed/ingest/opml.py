"""OPML 2.0 subscription lists, in and out (pure: text ↔ plain values)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from brevefeed.errors import InputError
from brevefeed.ingest.guard import neutralise_dtd
from brevefeed.urls import BadURLError, check_web_url, web_url_or_empty


@dataclass(frozen=True)
class Outline:
    url: str
    name: str = ""
    site_link: str = ""


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
        outlines.append(Outline(url, name, site_link))
    return Subscriptions(outlines, rejected)


def write_opml(title: str, outlines: list[Outline], now: datetime) -> str:
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
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
