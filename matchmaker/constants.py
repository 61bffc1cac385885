"""Controlled vocabularies shared across features (受控词表)."""

ORG_TYPES = ["高校", "科研院所", "企业", "技术转移机构", "政府部门", "投资机构"]

# Henan's cities plus the two special zones.
REGIONS = [
    "郑州",
    "开封",
    "洛阳",
    "平顶山",
    "安阳",
    "鹤壁",
    "新乡",
    "焦作",
    "濮阳",
    "许昌",
    "漯河",
    "三门峡",
    "南阳",
    "商丘",
    "信阳",
    "周口",
    "驻马店",
    "济源示范区",
    "航空港区",
]

ROLES = {
    "researcher": "科研人员",
    "enterprise": "企业用户",
    "broker": "技术经纪人",
    "admin": "管理员",
    "investor": "投资机构",
}

MATURITIES = ["实验室阶段", "小试", "中试", "产业化"]
TRANSFER_MODES = ["转让", "许可", "作价入股", "合作开发", "技术服务"]

RESULT_STATUSES = {"draft": "草稿", "published": "已发布", "archived": "已归档"}
NEED_STATUSES = {"open": "征集中", "matched": "已匹配", "closed": "已关闭"}

# Seeded from the province's action plan, plus Henan's own strengths.
DEFAULT_FIELDS = [
    "种业创新",
    "食品加工",
    "人工智能",
    "先进功能材料",
    "高端装备制造",
    "新能源",
    "绿色低碳",
    "生命健康",
    "无人机",
    "具身智能",
    "智能终端",
    "先进计算",
    "智能传感",
    "超硬材料",
    "现代农业",
    "生物医药",
]

# 技术就绪度 (TRL) after GB/T 22900-2022 《科学技术研究项目评价通则》: nine levels.
TRL_LEVELS = {
    1: "发现基本原理",
    2: "形成技术概念或应用设想",
    3: "关键功能通过实验室验证（概念验证）",
    4: "实验室环境下原理样机验证",
    5: "相关环境下部件或小试验证",
    6: "相关环境下系统原型验证（中试）",
    7: "实际环境下系统样机验证",
    8: "定型并完成试生产",
    9: "规模化应用（产业化）",
}
# The old four-step maturity mapped onto TRL (the migration and the form default use this).
MATURITY_TRL = {"实验室阶段": 3, "小试": 4, "中试": 6, "产业化": 9}


def trl_maturity(trl: int) -> str:
    """The maturity band a readiness level falls in (1–3 实验室阶段 … 8–9 产业化)."""
    return "实验室阶段" if trl <= 3 else "小试" if trl <= 5 else "中试" if trl <= 7 else "产业化"
