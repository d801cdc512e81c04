"""Write brèves into the archive: create, edit (keeping revisions), retract.

Pure comparison (``diff_fields``) is kept apart from the session work so what counts as a change
is tested on plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brevefeed.archive.models import Breve, BreveTag, Revision
from brevefeed.archive.types import iso as iso  # re-exported: exchange, feeds… import it here
from brevefeed.authoring import BreveDraft, render_markdown
from brevefeed.errors import ConfigError, InputError, NotFoundError
from brevefeed.text import tag_key

Change = Literal["created", "updated", "unchanged"]

#: Fields whose change moves ``updated`` (what subscribers see as an edit).
CONTENT_FIELDS = ("title", "standfirst", "body", "tags")
#: Every field an author controls, in the order revisions list them.
AUTHORED_FIELDS = (
    "title", "slug", "section", "standfirst", "body", "authors", "tags", "sources", "status",
    "language", "published",
)  # fmt: skip
#: What a snapshot (and so a revision or an export record) holds: authored fields and life cycle.
SNAPSHOT_FIELDS = (*AUTHORED_FIELDS, "updated", "retracted", "retraction_reason")


@dataclass(frozen=True)
class SaveResult:
    uid: str
    slug: str
    change: Change
    #: The brève's publication date and status after the save (a future date: scheduled).
    published: datetime | None = None
    status: str = "published"


#: The host of the link `init` writes (RFC 2606 reserves it): an id minted from it would name
#: nobody's site, for good.
PLACEHOLDER_HOST = "example.org"


def mint_uid(host: str, published: datetime, slug: str, tz: tzinfo) -> str:
    """RFC 4151 tag URI: ``tag:example.org,2024-05-07:breves/slug``; minted once, never edited."""
    if host == PLACEHOLDER_HOST:
        raise ConfigError(
            "[site] link is still the placeholder https://example.org/: set it to the site's"
            " address in config.toml before importing (brève ids are minted from it for good)"
        )
    return f"tag:{host},{published.astimezone(tz):%Y-%m-%d}:breves/{slug}"


def snapshot(breve: Breve) -> dict[str, Any]:
    """The authored fields of a brève as JSON-ready values (what a revision stores)."""
    return {
        "title": breve.title,
        "slug": breve.slug,
        "section": breve.section,
        "standfirst": breve.standfirst,
        "body": breve.body,
        "authors": list(breve.authors),
        "tags": breve.written_tags,
        "sources": list(breve.sources),
        "status": breve.status,
        "language": breve.language,
        "published": iso(breve.published_at),
        "updated": iso(breve.updated_at),
        "retracted": iso(breve.retracted_at),
        "retraction_reason": breve.retraction_reason,
    }


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the authored fields that differ, in a stable order."""
    return [name for name in AUTHORED_FIELDS if before.get(name) != after.get(name)]


def find_breve(session: Session, ref: str) -> Breve | None:
    """A brève by permanent id (tag: URI), slug, or archive row number."""
    column = Breve.uid if ref.startswith("tag:") else Breve.slug
    breve = session.scalars(select(Breve).where(column == ref)).one_or_none()
    if breve is None and ref.isdigit():
        breve = session.get(Breve, int(ref))
    return breve


def get_breve(session: Session, ref: str) -> Breve:
    breve = find_breve(session, ref)
    if breve is None:
        raise NotFoundError(f"no brève with id or slug {ref!r}")
    return breve


def unique_tags(tags: Iterable[str]) -> list[str]:
    """``tags`` without a second spelling of one tag (the first one written stays)."""
    kept: dict[str, str] = {}
    for tag in tags:
        kept.setdefault(tag_key(tag), tag)
    return list(kept.values())


def set_tags(breve: Breve, tags: list[str] | tuple[str, ...]) -> None:
    existing = {row.tag: row for row in breve.tag_rows}
    rows = []
    for position, tag in enumerate(unique_tags(tags)):
        row = existing.get(tag) or BreveTag(tag=tag, key=tag_key(tag))
        row.position = position
        rows.append(row)
    breve.tag_rows = rows


def _record_revision(
    session: Session,
    breve: Breve,
    before: dict[str, Any],
    changed: list[str],
    editor: str,
    now: datetime,
) -> None:
    number = len(breve.revisions) + 1
    breve.revisions.append(
        Revision(number=number, recorded_at=now, editor=editor, changed=changed, snapshot=before)
    )


def _draft_values(draft: BreveDraft, published: datetime, language: str) -> dict[str, Any]:
    return {
        "title": draft.title,
        "slug": draft.slug,
        "section": draft.section,
        "standfirst": draft.standfirst,
        "body": draft.body,
        "authors": list(draft.authors),
        "tags": unique_tags(draft.tags),
        "sources": list(draft.sources),
        "status": draft.status,
        "language": language,
        "published": iso(published),
    }


class BreveLookup:
    """Finds brèves by slug or id for a run of saves, remembering what it found or created.

    ``preload`` fetches a whole batch's brèves in one query, so saving each file costs no
    query of its own and the session can write the batch in one flush.
    """

    def __init__(self, session: Session):
        self.session = session
        self._slugs: dict[str, Breve | None] = {}
        self._uids: dict[str, Breve | None] = {}

    def preload(self, slugs: Iterable[str], uids: Iterable[str]) -> None:
        slugs, uids = set(slugs) - set(self._slugs), set(uids) - set(self._uids)
        if not slugs and not uids:
            return
        query = (
            select(Breve)
            .where(Breve.slug.in_(slugs) | Breve.uid.in_(uids))
            .options(selectinload(Breve.revisions))
        )
        self._slugs.update(dict.fromkeys(slugs))
        self._uids.update(dict.fromkeys(uids))
        for breve in self.session.scalars(query):
            self.remember(breve)

    def remember(self, breve: Breve, *, old_slug: str | None = None) -> None:
        if old_slug is not None and old_slug != breve.slug:
            self._slugs[old_slug] = None
        self._slugs[breve.slug] = breve
        self._uids[breve.uid] = breve

    def _find(self, cache: dict[str, Breve | None], column: Any, value: str) -> Breve | None:
        if value not in cache:
            cache[value] = self.session.scalars(select(Breve).where(column == value)).one_or_none()
        return cache[value]

    def by_slug(self, slug: str) -> Breve | None:
        return self._find(self._slugs, Breve.slug, slug)

    def by_uid(self, uid: str) -> Breve | None:
        return self._find(self._uids, Breve.uid, uid)

    def match(self, draft: BreveDraft, origin: str | None) -> Breve | None:
        """The brève a draft edits (by id, else slug), or None for a new one."""
        by_slug = self.by_slug(draft.slug)
        if draft.uid:
            by_uid = self.by_uid(draft.uid)
            if by_slug is not None and by_uid is not by_slug:
                raise InputError(f"slug {draft.slug!r} is already used by {by_slug.uid}")
            return by_uid
        if by_slug is not None and origin and by_slug.origin and by_slug.origin != origin:
            raise InputError(
                f"slug {draft.slug!r} is already used by the brève imported from {by_slug.origin}"
                f' (set another slug, or id = "{by_slug.uid}" to edit that brève)'
            )
        return by_slug


def save_draft(
    session: Session,
    draft: BreveDraft,
    *,
    host: str,
    tz: tzinfo,
    default_language: str,
    default_date: datetime,
    editor: str,
    now: datetime,
    origin: str | None = None,
    lookup: BreveLookup | None = None,
) -> SaveResult:
    """Create the brève ``draft`` describes, or edit the one it matches (by id, else slug).

    Saving the same draft twice changes nothing. A retracted brève stays retracted. Nothing is
    flushed here: a batch is written in one go when it commits. Every check that can refuse
    the draft runs before the session is touched, so a refusal leaves it clean.
    """
    lookup = lookup or BreveLookup(session)
    breve = lookup.match(draft, origin)
    language = draft.language or (breve.language if breve else default_language)
    if breve is None:
        published = draft.published or default_date
        breve = Breve(
            uid=draft.uid or mint_uid(host, published, draft.slug, tz),
            slug=draft.slug,
            title=draft.title,
            section=draft.section,
            standfirst=draft.standfirst,
            body=draft.body,
            body_html=render_markdown(draft.body),
            authors=list(draft.authors),
            sources=list(draft.sources),
            language=language,
            status=draft.status,
            published_at=published,
            updated_at=published,
            origin=origin,
            date_source=draft.date_source if draft.published else "import",
        )
        set_tags(breve, draft.tags)
        session.add(breve)
        lookup.remember(breve)
        return SaveResult(breve.uid, breve.slug, "created", published, breve.status)

    published = draft.published or breve.published_at
    before = snapshot(breve)
    after = _draft_values(draft, published, language)
    if breve.status == "retracted":
        after["status"] = "retracted"
    changed = diff_fields(before, after)
    if origin and breve.origin is None:
        breve.origin = origin
    if not changed:
        return SaveResult(breve.uid, breve.slug, "unchanged", published, breve.status)
    _record_revision(session, breve, before, changed, editor, now)
    old_slug, breve.slug = breve.slug, draft.slug
    lookup.remember(breve, old_slug=old_slug)
    breve.title = draft.title
    breve.section = draft.section
    breve.standfirst = draft.standfirst
    if breve.body != draft.body:
        breve.body = draft.body
        breve.body_html = render_markdown(draft.body)
    breve.authors = list(draft.authors)
    breve.sources = list(draft.sources)
    breve.language = language
    breve.status = after["status"]
    breve.published_at = published
    if draft.published is not None:
        breve.date_source = draft.date_source
    set_tags(breve, draft.tags)
    if any(name in CONTENT_FIELDS for name in changed):
        breve.updated_at = max(now, published)
    return SaveResult(breve.uid, breve.slug, "updated", published, breve.status)


def retract(session: Session, ref: str, *, reason: str, editor: str, now: datetime) -> Breve:
    """Mark a brève retracted (it stays in the archive, with its reason and time)."""
    reason = reason.strip()
    if not reason:
        raise InputError("a retraction needs a reason (--reason TEXT)")
    breve = get_breve(session, ref)
    if breve.status == "retracted":
        raise InputError(f"{breve.slug} was already retracted on {breve.retracted_at:%Y-%m-%d}")
    before = snapshot(breve)
    breve.status = "retracted"
    breve.retracted_at = now
    breve.retraction_reason = reason
    _record_revision(session, breve, before, ["status"], editor, now)
    session.flush()
    return breve
