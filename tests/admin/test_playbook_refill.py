"""Changing a playbook's placeholder after a first fill reaches the text; what the operator wrote stays."""
from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timedelta, timezone

from statuspage.models import Incident
from statuspage.services.playbooks import ensure_demo_templates


def _tomorrow() -> str:
    return (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d 18:00")


def _fields(page: str) -> dict:
    """The form as a browser would send it back: inputs, textareas, the chosen tenants."""
    out = {}
    for name, value in re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        out[name] = html_lib.unescape(value)
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*>', page):
        out.setdefault(name, html_lib.unescape(value))
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        out[name] = html_lib.unescape(value).lstrip("\n")
    return out


def _apply(client, template_id, **values):
    data = {"action": "apply", "template": str(template_id), "audience": "everyone", **values}
    resp = client.post("/admin/incidents/new", data=data)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:400]
    return resp.get_data(as_text=True)


def test_a_hotline_changed_after_the_first_fill_replaces_the_playbooks_default(client, db, login):
    template = ensure_demo_templates()
    db.session.commit()
    login("responder")
    first = _apply(client, template.id, name="Northwind: withdrawals failing", eta=_tomorrow())
    form = _fields(first)
    assert "400-820-8820" in form["body"]  # the playbook's default hotline
    # The operator now types the hotline for this incident and fills the form again.
    form.update(hotline="400-999-0000", action="apply", template=str(template.id), audience="everyone")
    second = _fields(_apply(client, template.id, **{k: v for k, v in form.items() if k not in ("action", "template")}))
    assert "400-999-0000" in second["body"] and "400-820-8820" not in second["body"]
    assert "400-999-0000" in second["body_zh_Hans"]
    assert second["name"] == "Northwind: withdrawals failing"  # typed before the playbook: kept
    assert db.session.query(Incident).count() == 0


def test_a_message_the_operator_edited_is_not_overwritten_by_a_second_fill(client, db, login):
    template = ensure_demo_templates()
    db.session.commit()
    login("responder")
    form = _fields(_apply(client, template.id, eta=_tomorrow()))
    form["body"] = form["body"] + "\n\nBranch offices are open until 20:00."
    form.update(hotline="400-999-0000")
    second = _fields(_apply(client, template.id, **{k: v for k, v in form.items() if k not in ("action", "template")}))
    assert "Branch offices are open until 20:00." in second["body"]
    assert "400-820-8820" in second["body"]  # the operator's own text is theirs: untouched
