"""Matching fixtures: the engine of the test app (temporary INDEX_DIR) and a small corpus."""

from __future__ import annotations

import pytest

from matchmaker.extensions import db as _db
from matchmaker.matching.engine import get_engine
from tests import factories as f


@pytest.fixture
def engine(app):
    return get_engine(app)


@pytest.fixture
def corpus(app):
    """A few results across fields, one need per problem, committed (hooks index them)."""
    uni = f.organization("高校", "郑州精机大学", region="郑州")
    uni2 = f.organization("高校", "洛阳农林学院", region="洛阳")
    ent = f.organization("企业", "新乡精密机械有限公司", region="新乡")
    r = {
        "thermal": f.result(
            "数控机床主轴热误差建模与实时补偿",
            "针对数控机床主轴热变形导致的加工尺寸漂移，布置温度测点建立热误差模型，实时补偿，精度提升60%。",
            keywords=["热误差", "实时补偿", "数控机床"],
            org=uni,
            region="郑州",
            maturity="产业化",
            price_wan=50,
        ),
        "agv": f.result(
            "自动导引车二维码导航抗丢码技术",
            "仓储自动导引车采用二维码与惯性融合导航，地面二维码污损时仍能稳定定位，丢码率降低90%。",
            field_name="人工智能",
            keywords=["自动导引车", "导航", "仓储"],
            org=uni,
            region="郑州",
        ),
        "wheat": f.result(
            "抗赤霉病小麦新种质创制",
            "利用分子标记辅助选择将抗赤霉病基因导入黄淮冬麦区主栽品种，抗性显著提升。",
            field_name="种业创新",
            keywords=["赤霉病", "小麦", "分子标记"],
            org=uni2,
            region="洛阳",
        ),
        "drone": f.result(
            "植保无人机仿地飞行与变量喷洒",
            "基于激光雷达的仿地飞行控制，丘陵地形定高误差小于10厘米，减少药液飘移。",
            field_name="无人机",
            keywords=["植保无人机", "激光雷达", "仿地飞行"],
            org=uni2,
            region="洛阳",
        ),
        "own": f.result(
            "机床热变形在线补偿装置",
            "本企业自研的机床热变形补偿装置，用于主轴热误差补偿。",
            keywords=["热误差"],
            org=ent,
            region="新乡",
        ),
    }
    need = f.need(
        "同一台机床上午和下午加工的零件尺寸不一样",
        "车间的加工中心早上开机加工的零件合格，到了下午尺寸就慢慢偏了，怀疑是机床发热，想找办法解决。",
        org=ent,
        region="新乡",
        budget_wan=80,
    )
    _db.session.commit()
    return {"results": r, "need": need, "enterprise": ent, "university": uni}
