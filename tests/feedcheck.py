"""Checks shared by the publish tests: the RFC 4287 schema (jing), the Schematron rules of
``atom-rules.sch`` evaluated with lxml, and the RSS 2.0 rules brevefeed promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

SCHEMAS = Path(__file__).parent / "fixtures" / "schemas"
ATOM_RNC = SCHEMAS / "atom.rnc"
ATOM_RULES = SCHEMAS / "atom-rules.sch"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "fh": "http://purl.org/syndication/history/1.0",
    "at": "http://purl.org/atompub/tombstones/1.0",
}
SCH = "{http://www.ascc.net/xml/schematron}"


def jing_validate(files: list[Path]) -> None:
    """Validate Atom files against the RFC 4287 RELAX NG schema with jing."""
    jing = shutil.which("jing")
    if jing is None:
        # CI installs jing: there a missing one is a broken set-up, not a reason to skip.
        message = "jing is not installed (apt-get install jing; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [jing, "-c", str(ATOM_RNC), *map(str, files)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def schematron_failures(data: bytes) -> list[str]:
    """Every failed assertion of atom-rules.sch on ``data`` (XSLT ``current()`` is passed as
    the variable ``$current``, the rest is plain XPath 1.0)."""
    rules = etree.parse(str(ATOM_RULES))
    namespaces = {ns.get("prefix"): ns.get("uri") for ns in rules.iter(f"{SCH}ns")}
    doc = etree.fromstring(data)
    failures = []
    for rule in rules.iter(f"{SCH}rule"):
        context = " | ".join("//" + part.strip() for part in rule.get("context", "").split("|"))
        for node in doc.xpath(context, namespaces=namespaces):
            for check in rule.iter(f"{SCH}assert"):
                test = check.get("test", "").replace("current()", "$current")
                if not node.xpath(f"boolean({test})", namespaces=namespaces, current=node):
                    failures.append(f"{check.text} at {doc.getroottree().getpath(node)}")
    return failures


_ABSOLUTE = re.compile(r"^(https?:|mailto:)")


def relative_urls(html: str) -> list[str]:
    fragment = etree.HTML(f"<div>{html}</div>")
    urls = fragment.xpath("//@href | //@src") if fragment is not None else []
    return [str(u) for u in urls if not _ABSOLUTE.match(str(u))]


def rss_rule_failures(data: bytes, site_link: str, self_url: str) -> list[str]:
    """The RSS 2.0 rules of the issue, on one RSS document."""
    doc = etree.fromstring(data)
    failures = []
    channel = doc.find("channel")
    assert channel is not None
    if channel.findtext("link") != site_link:
        failures.append(f"channel link is {channel.findtext('link')!r}, not the site")
    selfs = channel.xpath("atom:link[@rel='self']/@href", namespaces=NS)
    if selfs != [self_url]:
        failures.append(f"atom:link rel=self is {selfs!r}")
    for name in ("title", "description", "language", "lastBuildDate"):
        if not channel.findtext(name):
            failures.append(f"channel has no {name}")
    for item in channel.iter("item"):
        guid = item.find("guid")
        if guid is None or guid.get("isPermaLink") != "false" or not guid.text:
            failures.append("item without guid isPermaLink=false")
        if not item.xpath("dc:creator", namespaces=NS):
            failures.append("item without dc:creator")
        if item.find("author") is not None and "@" not in (item.findtext("author") or ""):
            failures.append("RSS author that is not an e-mail")
        content = item.xpath("content:encoded", namespaces=NS)
        if not content or not item.findtext("description"):
            failures.append("item without content:encoded and description")
        elif relative_urls(content[0].text or ""):
            failures.append(f"relative URL in content: {relative_urls(content[0].text)}")
    return failures
