"""Registering, removing and restoring upstream feeds (shared by the admin page and the API)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import UPSTREAM_KINDS, Component, ComponentGroup, UpstreamFeed, utcnow
from ..outbound import OutboundRefused, check_url
from ..services import audit
from ..services.audit import Actor
from .apply import third_party_component
from .poller import MIN_INTERVAL

THIRD_PARTY_GROUP = "Third-party services"
DEFAULT_INTERVAL = 120


class FeedInvalid(ValueError):
    """Bad input for a feed; `field` names what to fix, the message says how (localised)."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status  # the admin page's answer; the API answers 422 to all


def validate(data: dict) -> dict:
    """Clean feed fields from a form or JSON body, or raise FeedInvalid."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FeedInvalid("name", _("Give the provider a name, e.g. \"Stripe\"."))
    if len(name.strip()) > 200:
        raise FeedInvalid("name", _("The name must be at most 200 characters."))
    url = data.get("url")
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if not parts or parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
        raise FeedInvalid("url", _("Give the feed's full http:// or https:// address."))
    try:
        check_url(url.strip(), unresolvable_ok=True)
    except OutboundRefused as exc:
        raise FeedInvalid("url", _("This address is not allowed: %(reason)s.", reason=str(exc)), status=422) from None
    kind = data.get("kind") or _guess_kind(url)
    if kind not in UPSTREAM_KINDS:
        raise FeedInvalid("kind", _("The kind must be one of: %(kinds)s.", kinds=", ".join(UPSTREAM_KINDS)))
    interval = data.get("interval_seconds", DEFAULT_INTERVAL)
    if interval in (None, ""):
        interval = DEFAULT_INTERVAL
    try:
        interval = int(interval)
        if isinstance(data.get("interval_seconds"), float | bool):
            raise ValueError
    except (TypeError, ValueError):
        raise FeedInvalid("interval_seconds", _("The interval must be a whole number of seconds.")) from None
    if interval < MIN_INTERVAL or interval > 86400:
        raise FeedInvalid("interval_seconds",
                          _("The interval must be between %(min)s and 86400 seconds.", min=MIN_INTERVAL))
    return {"name": name.strip(), "url": url.strip(), "kind": kind, "interval_seconds": interval,
            "component_ids": _component_ids(data.get("component_ids"))}


def _guess_kind(url) -> str:
    path = urlsplit(url).path.lower() if isinstance(url, str) else ""
    if path.endswith(".json"):
        return "statuspage"
    return "atom" if path.endswith(".atom") else "rss"


def _component_ids(value) -> list[int]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, list):
        raise FeedInvalid("component_ids", _("component_ids must be a list of component ids."))
    try:
        ids = sorted({int(v) for v in value if not isinstance(v, bool)})
    except (TypeError, ValueError):
        raise FeedInvalid("component_ids", _("component_ids must be a list of component ids.")) from None
    found = set(db.session.scalars(select(Component.id).where(Component.id.in_(ids), Component.deleted_at.is_(None),
                                                              Component.third_party.is_(False))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise FeedInvalid("component_ids", _("No such component: %(ids)s.", ids=", ".join(map(str, missing))))
    return ids


def register_feed(data: dict, actor: Actor) -> UpstreamFeed:
    """A new feed and its third-party component, due for a fetch right away; committed."""
    try:
        feed = _register_feed(data, actor)
    except FeedInvalid:
        db.session.rollback()
        raise
    db.session.commit()
    return feed


def _register_feed(data: dict, actor: Actor) -> UpstreamFeed:
    fields = validate(data)
    same = db.session.scalars(select(UpstreamFeed).where(UpstreamFeed.url == fields["url"],
                                                         UpstreamFeed.deleted_at.is_(None))).first()
    if same is not None:
        # Two feeds on one URL would open two drafts and alert twice for every upstream incident.
        raise FeedInvalid("url", _("This feed is already registered as “%(name)s”.", name=same.name))
    feed = UpstreamFeed(**fields, state="unknown", next_fetch_at=utcnow())
    db.session.add(feed)
    db.session.flush()
    group = db.session.scalars(select(ComponentGroup).where(ComponentGroup.name == THIRD_PARTY_GROUP,
                                                            ComponentGroup.deleted_at.is_(None))).first()
    if group is None:
        group = ComponentGroup(name=THIRD_PARTY_GROUP, position=1000)
        db.session.add(group)
        db.session.flush()
    # `third_party` marks it on the page; stored text would be in one language only.
    component = Component(name=feed.name, description="", status="operational", group_id=group.id, third_party=True, upstream_id=feed.id,
                          position=feed.id)
    db.session.add(component)
    db.session.flush()
    audit.record("create", "upstream_feed", feed.id, actor=actor, after=snapshot(feed),
                 summary=f"Upstream feed '{feed.name}' registered ({feed.kind} {feed.url})")
    return feed


def delete_feed(feed: UpstreamFeed, actor: Actor) -> None:
    """Soft: the feed stops being polled and its component leaves the page, both restorable; committed."""
    if feed.deleted_at is not None:
        return
    before = snapshot(feed)
    feed.soft_delete()
    component = third_party_component(feed.id)
    if component is not None:
        component.soft_delete()
    audit.record("delete", "upstream_feed", feed.id, actor=actor, before=before, after=snapshot(feed),
                 summary=f"Upstream feed '{feed.name}' deleted")
    db.session.commit()


def restore_feed(feed: UpstreamFeed, actor: Actor) -> None:
    """Back on the page and polled again; committed."""
    if feed.deleted_at is None:
        return
    before = snapshot(feed)
    feed.restore()
    feed.next_fetch_at = utcnow()
    component = db.session.scalars(select(Component).where(Component.upstream_id == feed.id)
                                   .order_by(Component.deleted_at.desc())).first()
    if component is not None:
        component.restore()
    audit.record("restore", "upstream_feed", feed.id, actor=actor, before=before, after=snapshot(feed),
                 summary=f"Upstream feed '{feed.name}' restored")
    db.session.commit()


def list_feeds(include_deleted: bool = False) -> list[UpstreamFeed]:
    query = select(UpstreamFeed).order_by(UpstreamFeed.name, UpstreamFeed.id)
    if not include_deleted:
        query = query.where(UpstreamFeed.deleted_at.is_(None))
    return list(db.session.scalars(query))


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def snapshot(feed: UpstreamFeed) -> dict:
    """The feed as the API shows it (and as the audit log keeps it)."""
    component = db.session.scalars(select(Component.id).where(Component.upstream_id == feed.id)
                                   .order_by(Component.id)).first()
    return {
        "id": feed.id, "name": feed.name, "url": feed.url, "kind": feed.kind,
        "interval_seconds": feed.interval_seconds, "component_ids": list(feed.component_ids or []),
        "third_party_component_id": component, "state": feed.state,
        "last_fetch_at": _iso(feed.last_fetch_at), "next_fetch_at": _iso(feed.next_fetch_at),
        "last_status": feed.last_status, "last_error": feed.last_error,
        "consecutive_failures": feed.consecutive_failures, "entries_seen": feed.entries_seen,
        "deleted_at": _iso(feed.deleted_at),
    }
