"""The dashboard puts what needs an operator first: stale incidents, then the worst impact, then the oldest."""
from __future__ import annotations

from datetime import timedelta

from statuspage.models import utcnow
from tests.factories import gen_incident


def test_open_incidents_stale_first_then_by_impact_and_age(client, db, login):
    now = utcnow()
    gen_incident("Minor old", impact="minor", started_at=now - timedelta(hours=3), last_public_update_at=now)
    gen_incident("Critical new", impact="critical", started_at=now - timedelta(minutes=5), last_public_update_at=now)
    gen_incident("Forgotten", impact="minor", started_at=now - timedelta(hours=5),
                 last_public_update_at=now - timedelta(hours=4))
    db.session.commit()
    login("viewer")
    html = client.get("/admin/").get_data(as_text=True)
    table = html.split("<tbody>")[1]
    assert table.index("Forgotten") < table.index("Critical new") < table.index("Minor old")
    assert "failed deliveries in the last hour" in html and "3 h 0 min" in html
