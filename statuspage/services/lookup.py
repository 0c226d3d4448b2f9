"""Find one record by the id a path or form gave; views turn None into their own 404."""
from __future__ import annotations

from ..extensions import db
from .validation import id_value


def find(model, object_id, live: bool = True):
    """The record, or None when the id is not a valid id, is unknown, or (with `live`) is in the trash."""
    number = id_value(object_id)
    obj = db.session.get(model, number) if number else None
    if obj is None or (live and getattr(obj, "deleted_at", None) is not None):
        return None
    return obj


def find_many(model, object_ids, live: bool = True) -> list:
    """The records that exist among `object_ids`, in the order given."""
    found = (find(model, object_id, live=live) for object_id in object_ids)
    return [obj for obj in found if obj is not None]
