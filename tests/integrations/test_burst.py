"""A burst: 1,000 alerts in under a minute, posted concurrently from several threads, with Alertmanager's
repeats among them, leave exactly one draft per alert group and one row per fingerprint."""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

from statuspage.models import Alert, AlertGroup, Delivery, Incident

from .payloads import alertmanager, am_alert

GROUPS = ("g-crm", "g-billing", "g-ledger")
PER_REQUEST = 10
REQUESTS = 100


def test_a_thousand_alerts_from_eight_threads_open_one_draft_per_group(app, db, components, make_integration):
    _answer, url = make_integration()
    rng = random.Random(18)
    bodies = []
    for n in range(REQUESTS):
        group = GROUPS[n % len(GROUPS)]
        component = group.removeprefix("g-")
        # 40 distinct alerts per group, drawn with repeats: Alertmanager resends what still fires.
        alerts = [am_alert(component=component, fingerprint=f"{group}-{rng.randrange(40)}", instance=f"i{k}")
                  for k in range(PER_REQUEST)]
        bodies.append(alertmanager(*alerts, group=group))

    def post(body):
        with app.test_client() as c:
            resp = c.post(url, json=body)
            return resp.status_code, resp.get_json()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, bodies))
    elapsed = time.monotonic() - started
    assert [code for code, _body in answers] == [200] * REQUESTS, [b for c, b in answers if c != 200][:3]
    assert elapsed < 60, f"1,000 alerts took {elapsed:.1f}s"

    db.session.expire_all()
    drafts = db.session.query(Incident).filter_by(draft=True).all()
    assert len(drafts) == len(GROUPS)
    assert sum(body["draft_opened"] for _c, body in answers) == len(GROUPS)
    assert {g.incident_id for g in db.session.query(AlertGroup)} == {d.id for d in drafts}
    distinct = {a["fingerprint"] for body in bodies for a in body["alerts"]}
    assert db.session.query(Alert).count() == len(distinct)
    firing = sum(body["firing"] for _c, body in answers)
    assert firing == len(distinct)  # each alert applied once, every repeat ignored
    assert db.session.query(Delivery).filter_by(kind="admin").count() == len(GROUPS)
