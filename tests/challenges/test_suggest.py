"""Topic suggestion: clusters of open needs are coherent by field."""

from collections import Counter

import pytest

from matchmaker.challenges.models import Topic
from matchmaker.challenges.suggest import candidate_needs, suggest_topics
from tests import factories as f

NEEDS = {
    "超硬材料": [
        (
            "大尺寸金刚石单晶生长速度慢，位错缺陷多",
            "MPCVD 法生长单晶金刚石速率只有每小时 5 微米，晶体内位错和多晶夹杂多，希望提高金刚石单晶生长速率并降低缺陷密度。",
        ),
        (
            "MPCVD 金刚石单晶生长速率提升",
            "现有微波等离子体化学气相沉积设备功率密度低，金刚石单晶生长慢、尺寸小，需要优化等离子体与基片台温场。",
        ),
        (
            "立方氮化硼刀具寿命短，刃口崩缺",
            "PCBN 刀具加工淬硬钢时刃口崩缺，寿命只有进口刀具一半，需要改进立方氮化硼烧结与刃口处理。",
        ),
        (
            "金刚石线锯切割硅片断线率高",
            "电镀金刚石线锯切割单晶硅片时断线率高、金刚石磨粒脱落，希望改进金刚石线锯的镀层与磨粒把持力。",
        ),
        (
            "人造金刚石合成压机温度控制不稳",
            "六面顶压机合成人造金刚石时腔体温度波动大，金刚石晶形差、粒度分布宽，需要高温高压合成的温度控制方案。",
        ),
        (
            "聚晶金刚石复合片耐磨性不足",
            "石油钻头用聚晶金刚石复合片（PDC）耐磨性和抗冲击性不足，需要改进金刚石微粉烧结工艺与脱钴处理。",
        ),
    ],
    "食品加工": [
        (
            "速冻水饺解冻后破皮率高",
            "速冻水饺在冷链运输后解冻破皮、馅料汁水流失，需要改进面皮配方和速冻工艺，保证水饺口感。",
        ),
        (
            "方便面油炸工序含油率偏高",
            "油炸方便面面饼含油率超过 20%，消费者认为不健康，希望降低面饼含油率又不影响方便面口感和复水性。",
        ),
        (
            "火腿肠保质期短，需要天然防腐方案",
            "低温火腿肠在常温流通中易胀袋变质，希望用天然防腐剂替代亚硝酸盐，延长肉制品保质期。",
        ),
        (
            "辣条生产中辣椒油氧化酸败",
            "辣条调味面制品中的辣椒油容易氧化酸败产生哈喇味，需要食品抗氧化与包装方案延长货架期。",
        ),
        (
            "面粉筋度不稳定影响馒头口感",
            "不同批次小麦面粉筋度和蛋白含量波动，馒头发酵后口感和体积不稳定，需要面粉品质在线检测与配粉方法。",
        ),
        (
            "肉制品低温杀菌后出现胀袋",
            "低温肉制品巴氏杀菌后贮藏期出现胀袋，怀疑耐热芽孢菌残留，需要肉制品杀菌工艺与微生物控制方案。",
        ),
    ],
    "人工智能": [
        (
            "工厂质检需要机器视觉识别表面划痕",
            "钢板表面划痕和凹坑靠人工目检，漏检率高，需要基于深度学习的机器视觉缺陷检测算法和相机部署方案。",
        ),
        (
            "客服对话机器人理解方言能力差",
            "客服对话机器人对河南方言语音识别率低、意图理解差，需要语音识别与自然语言理解模型的方言适配。",
        ),
        (
            "仓库视频监控需要人员行为识别",
            "仓库视频监控画面多，需要用深度学习模型自动识别人员攀爬、吸烟等危险行为并实时报警。",
        ),
        (
            "大模型问答在企业知识库上幻觉多",
            "企业用大语言模型做知识库问答，回答经常编造内容，需要检索增强生成与模型微调方案减少幻觉。",
        ),
        (
            "产线设备振动数据异常检测算法",
            "产线电机振动传感器数据量大，需要基于机器学习的异常检测算法提前发现设备故障，减少停机。",
        ),
        (
            "OCR 识别手写票据准确率低",
            "财务手写票据 OCR 文字识别准确率低，需要深度学习文字识别模型提升手写体和印章遮挡下的识别率。",
        ),
    ],
}


@pytest.fixture
def needs(db):
    out = []
    for field_name, titles in NEEDS.items():
        for title, description in titles:
            out.append(f.need(title, field_name=field_name, description=description, region="郑州"))
    f.need("已关闭的需求", field_name="食品加工", status="closed")
    return out


@pytest.mark.parametrize("granularity", ["medium", "strict"])
def test_clusters_are_dominated_by_one_field(db, needs, granularity):
    suggestions = suggest_topics(db.session, granularity=granularity)
    for s in suggestions:
        fields = Counter(n.field.name for n in s.needs)
        assert fields.most_common(1)[0][1] / s.size >= 0.75, fields


def test_default_suggestions_cover_every_field(db, needs):
    suggestions = suggest_topics(db.session)
    assert suggestions, "expected at least one cluster"
    covered = sum(s.size for s in suggestions)
    assert covered >= len(needs) * 0.5
    for s in suggestions:
        fields = Counter(n.field.name for n in s.needs)
        top, count = fields.most_common(1)[0]
        assert count / s.size >= 0.75, fields
        assert s.field_name == top and s.samples and s.samples[0] is s.needs[0]
    # Every field has a cluster of its own.
    assert {s.field_name for s in suggestions} == set(NEEDS)
    # The tightest-knit field (six needs all about 金刚石) is found almost whole.
    diamond = max((s for s in suggestions if s.field_name == "超硬材料"), key=lambda s: s.size)
    assert diamond.size >= 4


def test_closed_and_topic_needs_are_not_candidates(db, needs):
    topic = Topic(industry_chain="食品产业链", title="速冻食品")
    db.session.add(topic)
    db.session.flush()
    needs[6].topic_id = topic.id
    ids = {n.id for n in candidate_needs(db.session)}
    assert needs[6].id not in ids and len(ids) == len(needs) - 1


def test_filter_by_field_and_city(db, needs):
    f.need("洛阳的金刚石需求", field_name="超硬材料", region="洛阳")
    field_id = needs[0].field_id
    assert {n.field_id for n in candidate_needs(db.session, field_id)} == {field_id}
    assert [n.title for n in candidate_needs(db.session, field_id, "洛阳")] == ["洛阳的金刚石需求"]
    assert suggest_topics(db.session, field_id, "洛阳") == []  # one need is no cluster


def test_suggestion_becomes_a_topic_through_the_page(db, needs, world, client, login):
    login(world.admin)
    resp = client.get("/challenges/topics/suggest?run=1&granularity=loose")
    assert resp.status_code == 200 and "候选题目" in resp.get_data(as_text=True)
    s = suggest_topics(db.session)[0]
    data = {
        "title": "速冻与方便食品品质提升",
        "industry_chain": "食品产业链",
        "field_id": str(s.needs[0].field_id),
        "lead_department": "省科技厅农村处",
        "status": "published",
        "region": "",
        "need_ids": [str(i) for i in s.need_ids],
    }
    resp = client.post("/challenges/topics/new", data=data)
    assert resp.status_code == 302
    topic = db.session.query(Topic).filter_by(title="速冻与方便食品品质提升").one()
    assert sorted(n.id for n in topic.needs) == sorted(s.need_ids)
