"""Demand: an enterprise counts as interested only in results its needs really want."""

from matchmaker.roadshow.services import _best_per_enterprise
from tests import factories as f


def test_unrelated_results_get_no_interest(db):
    factory = f.organization("企业", "郑州精工机床有限公司")
    need = f.need("数控机床加工零件尺寸随温度漂移", org=factory, keywords=["数控机床", "热误差", "补偿"])
    thermal = f.result("数控机床主轴热误差建模与实时补偿", keywords=["数控机床", "热误差", "补偿"])
    dumpling = f.result("低糖速冻水饺面皮配方", field_name="食品加工", keywords=["速冻", "水饺"])
    db.session.commit()  # the index follows committed postings

    cache: dict[int, dict[int, float]] = {}
    wanted = _best_per_enterprise(db.session, thermal, 0.2, need_scores=cache)
    assert list(wanted) == [factory.id] and wanted[factory.id][1].id == need.id
    # The raw embedding score of the unrelated pair is still high (compressed similarities),
    # but the result is nowhere near the need's best match, so nobody is counted.
    assert _best_per_enterprise(db.session, dumpling, 0.2, need_scores=cache) == {}
