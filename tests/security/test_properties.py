"""Property-based checks (hypothesis, bounded): whatever the input, the CSV import, phone parsing,
Markdown rendering and the subscribe endpoint answer sensibly and never fail with a server error."""
from __future__ import annotations

import io
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.markdown import render_markdown
from statuspage.models import Subscriber
from statuspage.services.subscriber_import import import_csv_stream
from statuspage.services.subscriptions import SubscriptionError, normalize_phone

BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
HOSTILE = st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
                           "\x00", "\r\nBcc: x@example.net", "'; DROP TABLE subscriber;--", "=HYPERLINK(\"x\")",
                           "\ufeff", "\u202e", "🙂", "a" * 300])
TEXT = st.one_of(st.text(max_size=80), HOSTILE, st.lists(HOSTILE, max_size=3).map("".join))


@BOUNDED
@given(raw=st.one_of(TEXT, st.from_regex(r"\+?[0-9 ()\-.]{0,20}", fullmatch=True)))
def test_phone_parsing_gives_e164_or_a_clear_error(app, raw):
    try:
        e164 = normalize_phone(raw)
    except SubscriptionError as exc:
        assert exc.field == "phone" and exc.message
        return
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", e164), e164
    assert normalize_phone(e164) == e164  # idempotent


@BOUNDED
@given(source=st.one_of(TEXT, st.lists(st.one_of(TEXT, st.sampled_from(
    ["[a](javascript:alert(1))", "![i](x onerror=alert(1))", "<b onmouseover=x>", "```\n<script>\n```",
     "[a](data:text/html,<script>)", "| a |\n|---|\n| <i>b</i> |", "> <iframe src=x>"])), max_size=6).map("\n".join)))
def test_markdown_never_yields_live_markup(source):
    html = str(render_markdown(source))
    lowered = html.lower()
    for tag in re.findall(r"<\s*([a-z0-9]+)", lowered):
        assert tag in {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
                       "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td"}, tag
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered)
    assert not re.search(r"""href\s*=\s*["']?\s*(javascript|data|vbscript):""", lowered)


CELL = st.one_of(TEXT, st.sampled_from(["a@example.com", "b@example.com", "+14155550100", "+19005550100", "zh_Hans",
                                        "en", "nope", "acme", "1;2", ""]))


@BOUNDED
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=8), header=st.booleans(),
       partial=st.booleans())
def test_csv_import_reports_every_row_and_keeps_all_or_nothing(app, db, rows, header, partial):
    db.session.query(Subscriber).delete()
    db.session.commit()
    buf = io.StringIO()
    import csv

    writer = csv.writer(buf)
    if header:
        writer.writerow(["email", "phone", "tenant", "components", "locale"])
    writer.writerows(rows)
    report = import_csv_stream(io.StringIO(buf.getvalue()), partial=partial)
    stored = db.session.query(Subscriber).count()
    if report.rejected and not partial:
        assert stored == 0 and not report.added  # all or nothing
    else:
        assert stored == report.added
    for sub in db.session.query(Subscriber):
        assert sub.locale in ("en", "zh_Hans")
        assert (sub.channel == "email" and "@" in sub.address) or re.fullmatch(r"\+[1-9][0-9]{6,14}", sub.address)
    db.session.rollback()


@BOUNDED
@given(body=st.one_of(
    st.fixed_dictionaries({}, optional={"email": TEXT, "phone": TEXT, "tenant": TEXT, "locale": TEXT,
                                        "component_ids": st.one_of(TEXT, st.lists(st.one_of(st.integers(), TEXT),
                                                                                  max_size=3))}),
    st.lists(st.integers(), max_size=2), st.text(max_size=10), st.integers(), st.none()))
def test_subscribe_endpoint_answers_202_or_a_clear_4xx(app, client, body):
    resp = client.post("/subscribe", data=json.dumps(body), content_type="application/json")
    assert resp.status_code in (202, 400, 429), (body, resp.status_code, resp.get_data(as_text=True)[:200])
    data = resp.get_json()
    if resp.status_code == 202:
        assert data["status"] == "pending"
    else:
        assert data["error"]["message"] and data["error"]["code"]
