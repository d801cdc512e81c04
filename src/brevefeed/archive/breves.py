"""Write brèves into the archive: create, edit (keeping revisions), retract.

Pure comparison (``diff_fields``) is kept apart from the session work so what counts as a change
is tested on plain values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brevefeed.archive.models import Breve, BreveTag, PublishedBreve, Revision
from brevefeed.archive.types import iso as iso  # re-exported: exchange, feeds… import it here
from brevefeed.authoring import BreveDraft, render_markdown
from brevefeed.errors import AmbiguousError, ConfigError, InputError, NotFoundError, RefusedError
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


#: How many slugs an ambiguous prefix's error names.
SHOWN_MATCHES = 5


def get_breve(session: Session, ref: str, *, prefix: bool = False) -> Breve:
    """``find_breve``, or — with ``prefix`` — the one brève whose slug starts with ``ref``.

    Only reading commands take a prefix: a command that changes a brève names it in full.
    """
    breve = find_breve(session, ref)
    if breve is None and prefix and ref:
        query = (
            select(Breve)
            .where(Breve.slug.startswith(ref, autoescape=True))
            .order_by(Breve.slug)
            .limit(SHOWN_MATCHES + 1)
        )
        found = list(session.scalars(query))
        if len(found) > 1:
            names = ", ".join(b.slug for b in found[:SHOWN_MATCHES])
            more = ", …" if len(found) > SHOWN_MATCHES else ""
            raise AmbiguousError(f"{ref!r} is the start of several slugs: {names}{more}")
        breve = found[0] if found else None
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
    """Finds brèves by slug, id or the file they were imported from, for a run of saves,
    remembering what it found or created.

    ``preload`` fetches a whole batch's brèves in one query, so saving each file costs no
    query of its own and the session can write the batch in one flush.
    """

    def __init__(self, session: Session):
        self.session = session
        self._slugs: dict[str, Breve | None] = {}
        self._uids: dict[str, Breve | None] = {}
        self._origins: dict[str, Breve | None] = {}
        self._titles: dict[str, Breve | None] = {}

    def preload(self, slugs: Iterable[str], uids: Iterable[str], origins: Iterable[str]) -> None:
        slugs, uids = set(slugs) - set(self._slugs), set(uids) - set(self._uids)
        origins = set(origins) - set(self._origins)
        if not slugs and not uids and not origins:
            return
        query = (
            select(Breve)
            .where(Breve.slug.in_(slugs) | Breve.uid.in_(uids) | Breve.origin.in_(origins))
            .order_by(Breve.id)
            .options(selectinload(Breve.revisions))
        )
        self._slugs.update(dict.fromkeys(slugs))
        self._uids.update(dict.fromkeys(uids))
        self._origins.update(dict.fromkeys(origins))
        for breve in self.session.scalars(query):
            self._slugs[breve.slug] = self._uids[breve.uid] = breve
            if breve.origin in origins:
                # In id order: the newest brève bound to a file wins (see ``by_origin``).
                self._origins[breve.origin] = breve

    def remember(self, breve: Breve, *, old_slug: str | None = None) -> None:
        if old_slug is not None and old_slug != breve.slug:
            self._slugs[old_slug] = None
        self._slugs[breve.slug] = breve
        self._uids[breve.uid] = breve
        if breve.origin is not None:
            self._origins[breve.origin] = breve

    def forget_origin(self, origin: str) -> None:
        """``origin`` no longer binds a brève (its brève moved to another file)."""
        self._origins[origin] = None

    def _find(self, cache: dict[str, Breve | None], column: Any, value: str) -> Breve | None:
        if value not in cache:
            cache[value] = self.session.scalars(select(Breve).where(column == value)).one_or_none()
        return cache[value]

    def by_slug(self, slug: str) -> Breve | None:
        return self._find(self._slugs, Breve.slug, slug)

    def by_uid(self, uid: str) -> Breve | None:
        return self._find(self._uids, Breve.uid, uid)

    def by_origin(self, origin: str) -> Breve | None:
        """The brève imported from this file. Archives from before files stayed bound may
        hold several (each title fix made one): the newest is the one being edited."""
        if origin not in self._origins:
            query = select(Breve).where(Breve.origin == origin).order_by(Breve.id.desc()).limit(1)
            self._origins[origin] = self.session.scalars(query).first()
        return self._origins[origin]

    def match(self, draft: BreveDraft, origin: str | None) -> tuple[Breve | None, MatchedBy]:
        """The brève a draft edits, and how it was found; None for a new one.

        By the id the file names, else by the file it was imported from, else by slug.
        """
        if draft.uid:
            by_uid = self.by_uid(draft.uid)
            if by_uid is None and (by_slug := self.by_slug(draft.slug)) is not None:
                raise InputError(f"slug {draft.slug!r} is already used by {by_slug.uid}")
            return by_uid, "id"
        if origin and (bound := self.by_origin(origin)) is not None:
            return bound, "file"
        by_slug = self.by_slug(draft.slug)
        if by_slug is not None and origin and by_slug.origin and by_slug.origin != origin:
            return by_slug, "other file"
        if by_slug is None and origin and not draft.slug_given:
            # A file moved after its title was fixed: its title no longer gives its slug.
            titled = self.by_title(draft.title)
            if titled is not None and titled.origin and titled.origin != origin:
                return titled, "moved title"
        return by_slug, "slug"

    def by_title(self, title: str) -> Breve | None:
        if title not in self._titles:
            query = select(Breve).where(Breve.title == title).order_by(Breve.id.desc()).limit(1)
            self._titles[title] = self.session.scalars(query).first()
        return self._titles[title]


MatchedBy = Literal["id", "file", "slug", "other file", "moved title"]


def _was_published(session: Session, breve: Breve) -> bool:
    """Whether a publish run ever placed it (gave it an archive page): its URLs are out."""
    placed = session.get(PublishedBreve, breve.id) if breve.id is not None else None
    return placed is not None and placed.page is not None


def _kept_slug(session: Session, breve: Breve, draft: BreveDraft, lookup: BreveLookup) -> str:
    """The slug an edit leaves the brève with: its own, unless the file writes another one
    (a title's derived slug never renames) and the brève has not been published yet."""
    if not draft.slug_given or draft.slug == breve.slug:
        return breve.slug
    if _was_published(session, breve):
        raise InputError(
            f"slug {draft.slug!r}: {breve.slug!r} is published under its slug, which stays"
            f' (write slug = "{breve.slug}" or remove the slug line)'
        )
    other = lookup.by_slug(draft.slug)
    if other is not None and other is not breve:
        raise InputError(f"slug {draft.slug!r} is already used by {other.uid}")
    return draft.slug


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
    origin_exists: Callable[[str], bool] = os.path.exists,
) -> SaveResult:
    """Create the brève ``draft`` describes, or edit the one it matches (``BreveLookup.match``).

    A file stays bound to the brève it created: editing it, title included, edits that brève,
    whose slug stays. The same content at another path is the same brève, and the binding
    follows the file once the old path is gone; a copy edited while the original is still
    there is refused, with the way out. ``origin_exists`` tells whether a recorded file is
    still there.

    Saving the same draft twice changes nothing. A retracted brève stays retracted. Nothing is
    flushed here: a batch is written in one go when it commits. Every check that can refuse
    the draft runs before the session is touched, so a refusal leaves it clean.
    """
    lookup = lookup or BreveLookup(session)
    breve, matched_by = lookup.match(draft, origin)
    if matched_by == "moved title" and breve is not None:
        # Only the very same brève, whose file is gone, is taken for a move; anything else
        # with that title is a new brève.
        assert breve.origin is not None
        same = not diff_fields(
            snapshot(breve),
            _draft_values(draft, breve.published_at, breve.language) | {"slug": breve.slug},
        )
        if (
            not same
            or (draft.published and draft.published != breve.published_at)
            or origin_exists(breve.origin)
        ):
            breve, matched_by = None, "slug"
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
    after["slug"] = _kept_slug(session, breve, draft, lookup)
    if breve.status == "retracted":
        after["status"] = "retracted"
    changed = diff_fields(before, after)
    if matched_by == "other file":
        assert origin is not None and breve.origin is not None
        original_there = origin_exists(breve.origin)
        if changed and original_there:
            raise InputError(
                f"slug {breve.slug!r} is already used by the brève imported from {breve.origin},"
                f' which is still there: to edit that brève from this copy, add id = "{breve.uid}"'
                " to its front matter; to make a new brève of it, give it another slug"
            )
        if original_there:
            # An identical copy: the original keeps the brève.
            return SaveResult(breve.uid, breve.slug, "unchanged")
    if origin and breve.origin != origin:
        if breve.origin is not None:
            lookup.forget_origin(breve.origin)
        breve.origin = origin
        lookup.remember(breve)
    if not changed:
        return SaveResult(breve.uid, breve.slug, "unchanged", published, breve.status)
    _record_revision(session, breve, before, changed, editor, now)
    old_slug, breve.slug = breve.slug, after["slug"]
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


def unretract(session: Session, ref: str, *, editor: str, now: datetime) -> Breve:
    """Bring a retracted brève back, as a new revision, with the status it had before.

    Publish reads its new state: it is in the feeds again and its tombstone goes.
    """
    breve = get_breve(session, ref)
    if breve.status != "retracted":
        raise RefusedError(f"{breve.slug} is not retracted (its status is {breve.status})")
    before = snapshot(breve)
    breve.status = _status_before_retraction(breve)
    breve.retracted_at = None
    breve.retraction_reason = None
    _record_revision(session, breve, before, ["status"], editor, now)
    session.flush()
    return breve


def _status_before_retraction(breve: Breve) -> str:
    for revision in reversed(breve.revisions):
        status = revision.snapshot.get("status")
        if status in ("draft", "published"):
            return str(status)
    return "published"


def delete_breve(session: Session, ref: str) -> Breve:
    """Remove a brève that never went out (a draft, an import mistake), with its revisions.

    One a publish run has placed in the feeds is refused: its id and URLs are out, and
    subscribers learn of its removal only from a retraction's tombstone.
    """
    breve = get_breve(session, ref)
    if breve.status == "retracted" or _was_published(session, breve):
        raise RefusedError(
            f"{breve.slug} has been published: retract it instead"
            f' (brevefeed retract {breve.slug} --reason "…")'
        )
    session.delete(breve)
    session.flush()
    return breve
