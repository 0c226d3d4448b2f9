"""Provider callbacks finish the story a send began: delivered, or failed with the carrier's reason."""
from __future__ import annotations

from sqlalchemy import text

from ..extensions import db
from ..models import Delivery, utcnow
from .outbox import _ts

# A callback may move a row forward, never back: a delivered row stays delivered
# however late an earlier "sent" callback arrives.
_MOVABLE = {
    "sent": ("queued", "sending"),
    "delivered": ("queued", "sending", "sent"),
    "failed": ("queued", "sending", "sent"),
}
_TWILIO_TO_OURS = {"sent": "sent", "delivered": "delivered", "undelivered": "failed", "failed": "failed"}


def apply_twilio_status(delivery_id: int | None, sid: str | None, status: str, error_code: str | None) -> bool:
    """Apply one status callback; True when the row changed."""
    ours = _TWILIO_TO_OURS.get(status)
    if ours is None or not (delivery_id or sid):
        return False
    row = db.session.get(Delivery, delivery_id) if delivery_id else None
    if row is not None and sid and row.provider_id and row.provider_id != sid:
        row = None  # the id in the URL and the sid disagree: trust neither
    if row is None and sid:
        row = db.session.query(Delivery).filter_by(provider_id=sid).first()
    if row is None:
        return False
    allowed = _MOVABLE[ours]
    params = {"id": row.id, "status": ours, "sid": sid or row.provider_id, "now": _ts(utcnow()),
              "error": f"Twilio error {error_code}: {status}" if error_code else (f"Twilio: {status}" if ours == "failed" else None)}
    placeholders = ", ".join(f":a{i}" for i in range(len(allowed)))
    params.update({f"a{i}": s for i, s in enumerate(allowed)})
    result = db.session.execute(text(f"""
        UPDATE delivery SET status = :status, provider_id = :sid, updated_at = :now, lease_until = NULL,
               sent_at = COALESCE(sent_at, :now), last_error = COALESCE(:error, last_error)
        WHERE id = :id AND status IN ({placeholders})"""), params)
    if ours == "failed" and str(error_code) == "21610" and row.subscriber_id:
        from ..services.subscriptions import opt_out_subscriber

        opt_out_subscriber(row.subscriber_id, reason="provider")
    return result.rowcount == 1
