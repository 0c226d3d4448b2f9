from __future__ import annotations

from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.services.audit import Actor
from statuspage.models import Component, Delivery, Incident, UpstreamFeed
from statuspage.upstream import poll_all
from statuspage.upstream.registry import register_feed


def register(server, path, name="Payhub", kind="rss", component_ids=(), interval=120) -> int:
    feed = register_feed({"name": name, "url": server.url(path), "kind": kind, "interval_seconds": interval,
                          "component_ids": list(component_ids)}, actor=Actor.system())
    return feed.id


def poll() -> list[str]:
    lines = poll_all(force=True)
    db.session.expire_all()
    return lines


def feed(feed_id) -> UpstreamFeed:
    return db.session.get(UpstreamFeed, feed_id)


def third_party_status(feed_id) -> str:
    return db.session.scalars(select(Component.status).where(Component.upstream_id == feed_id)).one()


def drafts() -> list[Incident]:
    return list(db.session.scalars(select(Incident).where(Incident.draft.is_(True)).order_by(Incident.id)))


def update_deliveries() -> int:
    return db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "update"))
