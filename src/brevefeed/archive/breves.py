"""Write brèves into the archive: create, edit (keeping revisions), retract.

Pure comparison (``diff_fields``) is kept apart from the session work so what counts as a change
is tested on plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive.models import Breve, BreveTag, Revision
from brevefeed.authoring import BreveDraft, render_markdown
from brevefeed.errors import InputError, NotFoundError

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


def mint_uid(host: str, published: datetime, slug: str, tz: tzinfo) -> str:
    """RFC 4151 tag URI: ``tag:example.org,2024-05-07:breves/slug``; minted once, never edited."""
    return f"tag:{host},{published.astimezone(tz):%Y-%m-%d}:breves/{slug}"


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601, the one spelling of a time in snapshots and exports."""
    return value.astimezone(UTC).isoformat() if value else None


def snapshot(breve: Breve) -> dict[str, Any]:
    """The authored fields of a brève as JSON-ready values (what a revision stores)."""
    return {
        "title": breve.title,
        "slug": breve.slug,
        "section": breve.section,
        "standfirst": breve.standfirst,
        "body": breve.body,
        "authors": list(breve.authors),
        "tags": breve.tags,
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


def set_tags(breve: Breve, tags: list[str] | tuple[str, ...]) -> None:
    existing = {row.tag: row for row in breve.tag_rows}
    rows = []
    for position, tag in enumerate(tags):
        row = existing.get(tag) or BreveTag(tag=tag)
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
        "tags": list(draft.tags),
        "sources": list(draft.sources),
        "status": draft.status,
        "language": language,
        "published": iso(published),
    }


def _match(session: Session, draft: BreveDraft, origin: str | None) -> Breve | None:
    by_slug = session.scalars(select(Breve).where(Breve.slug == draft.slug)).one_or_none()
    if draft.uid:
        by_uid = session.scalars(select(Breve).where(Breve.uid == draft.uid)).one_or_none()
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
) -> SaveResult:
    """Create the brève ``draft`` describes, or edit the one it matches (by id, else slug).

    Saving the same draft twice changes nothing. A retracted brève stays retracted.
    """
    breve = _match(session, draft, origin)
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
        )
        set_tags(breve, draft.tags)
        session.add(breve)
        session.flush()
        return SaveResult(breve.uid, breve.slug, "created")

    published = draft.published or breve.published_at
    before = snapshot(breve)
    after = _draft_values(draft, published, language)
    if breve.status == "retracted":
        after["status"] = "retracted"
    changed = diff_fields(before, after)
    if origin and breve.origin is None:
        breve.origin = origin
    if not changed:
        return SaveResult(breve.uid, breve.slug, "unchanged")
    _record_revision(session, breve, before, changed, editor, now)
    breve.slug = draft.slug
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
    set_tags(breve, draft.tags)
    if any(name in CONTENT_FIELDS for name in changed):
        breve.updated_at = max(now, published)
    session.flush()
    return SaveResult(breve.uid, breve.slug, "updated")


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
