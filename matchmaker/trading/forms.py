"""Trading forms: new listing or auction, investor profile, interest pipeline, rights (赋权).
The checks themselves live in the services (one validation for web, API and CLI)."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from matchmaker.constants import REGIONS
from matchmaker.submissions.web import OnceForm
from matchmaker.trading.investors import FUND_TYPES, INTEREST_STAGES
from matchmaker.trading.models import CONTRACT_TYPES, MODES
from matchmaker.trading.rights import OWNERSHIP_MODES


class AuctionForm(OnceForm, FlaskForm):
    result_id = IntegerField("科技成果编号", validators=[InputRequired("请填写科技成果编号")])
    mode = SelectField("交易方式", choices=list(MODES.items()), default="auction")
    reserve_wan = DecimalField("起拍价 / 挂牌价（万元）", places=2, validators=[InputRequired("请填写价格")])
    increment_wan = DecimalField("加价幅度（万元）", places=2, validators=[Optional()])
    starts_at = DateTimeLocalField("开始时间（UTC）", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    ends_at = DateTimeLocalField(
        "结束时间（UTC）", format="%Y-%m-%dT%H:%M", validators=[InputRequired("请填写结束时间")]
    )
    extend_minutes = IntegerField("延时分钟数", default=5, validators=[Optional()])
    deposit_required = BooleanField("须缴纳保证金")
    contract_type = SelectField("合同类型", choices=list(CONTRACT_TYPES.items()), default="transfer")
    session_id = IntegerField("路演专场编号（可选）", validators=[Optional()])
    submit = SubmitField("发布")

    def data_for_service(self) -> dict:
        return {
            "result_id": self.result_id.data,
            "mode": self.mode.data,
            "reserve_wan": self.reserve_wan.data,
            "increment_wan": self.increment_wan.data,
            "starts_at": self.starts_at.data,
            "ends_at": self.ends_at.data,
            "extend_minutes": self.extend_minutes.data if self.extend_minutes.data is not None else 0,
            "deposit_required": self.deposit_required.data,
            "contract_type": self.contract_type.data,
            "session_id": self.session_id.data,
        }


def _names(text: str | None) -> list[str]:
    return [x.strip() for x in re.split(r"[,，、;；\n]", text or "") if x.strip()]


class InvestorForm(FlaskForm):
    """投资机构画像, the page twin of POST/PUT /api/v1/investors (checks in save_investor)."""

    name = StringField("机构名称", description="不填时使用所属机构名称")
    fund_type = SelectField("基金类型", choices=list(FUND_TYPES.items()), default="vc")
    fields = StringField("关注领域", description="多个领域用顿号或逗号分隔，如：超硬材料、新材料")
    trl_min = IntegerField("最低技术就绪度（TRL 1–9）", default=1, validators=[Optional()])
    trl_max = IntegerField("最高技术就绪度（TRL 1–9）", default=9, validators=[Optional()])
    ticket_min_wan = DecimalField("单笔投资下限（万元）", places=2, validators=[Optional()])
    ticket_max_wan = DecimalField("单笔投资上限（万元）", places=2, validators=[Optional()])
    regions = SelectMultipleField("投资地区", choices=[(r, r) for r in REGIONS], validate_choice=False)
    thesis = TextAreaField("投资方向", description="用于为成果和路演项目推荐投资机构")
    submit = SubmitField("保存画像")

    def fill(self, inv) -> None:
        self.name.data, self.fund_type.data = inv.name, inv.fund_type
        self.fields.data = "、".join(inv.fields or [])
        self.trl_min.data, self.trl_max.data = inv.trl_min, inv.trl_max
        self.ticket_min_wan.data, self.ticket_max_wan.data = inv.ticket_min_wan, inv.ticket_max_wan
        self.regions.data, self.thesis.data = list(inv.regions or []), inv.thesis

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "fund_type": self.fund_type.data,
            "fields": _names(self.fields.data),
            "trl_min": self.trl_min.data if self.trl_min.data is not None else 1,
            "trl_max": self.trl_max.data if self.trl_max.data is not None else 9,
            "ticket_min_wan": self.ticket_min_wan.data,
            "ticket_max_wan": self.ticket_max_wan.data,
            "regions": self.regions.data or [],
            "thesis": self.thesis.data,
        }


class InterestForm(FlaskForm):
    """登记投资意向 for a result (the investor's own page)."""

    result_id = IntegerField("科技成果编号", validators=[InputRequired("请填写科技成果编号")])
    note = StringField("备注", validators=[Optional()])
    submit = SubmitField("登记意向")


class InterestStageForm(FlaskForm):
    """推进投资意向: 约谈 → 尽调 → 投资 (金额、持股比例) / 放弃 (原因)."""

    to_stage = SelectField("推进到", choices=[(k, v) for k, v in INTEREST_STAGES.items() if k != "intent"])
    amount_wan = DecimalField("投资金额（万元）", places=2, validators=[Optional()])
    share_pct = DecimalField("持股比例（%）", places=3, validators=[Optional()])
    note = StringField("说明 / 放弃原因", validators=[Optional()])
    submit = SubmitField("推进")


class RightsForm(FlaskForm):
    """成果权属（赋权）, the page twin of PUT /api/v1/results/<id>/rights (checks in set_rights)."""

    ownership_mode = SelectField("权属方式", choices=list(OWNERSHIP_MODES.items()), default="unit")
    inventor_shares = TextAreaField(
        "完成人份额（赋权个人所有）", description="每行一位完成人：姓名 份额%，合计须为 100%，如：张三 60"
    )
    use_term_years = IntegerField("长期使用权期限（年）", validators=[Optional()])
    separately_managed = BooleanField("单列管理")
    carrier_company = StringField("产业化公司（科研机构 + 产业化公司）", validators=[Optional()])
    submit = SubmitField("保存权属")

    def fill(self, rights) -> None:
        self.ownership_mode.data = rights.ownership_mode
        self.inventor_shares.data = "\n".join(
            f"{s['name']} {s['share_pct']:g}" for s in rights.inventor_shares or []
        )
        self.use_term_years.data = rights.use_term_years
        self.separately_managed.data = rights.separately_managed
        self.carrier_company.data = rights.carrier_company

    def data_for_service(self) -> dict:
        shares = []
        for line in (self.inventor_shares.data or "").splitlines():
            line = line.strip()
            if not line:
                continue
            m = re.match(r"^(.*?)[\s:：,，]+([^\s:：,，]+?)\s*[%％]?$", line)
            name, share = (m.group(1), m.group(2)) if m else (line, None)
            shares.append({"name": name.strip(), "share_pct": share})
        return {
            "ownership_mode": self.ownership_mode.data,
            "inventor_shares": shares,
            "use_term_years": self.use_term_years.data,
            "separately_managed": self.separately_managed.data,
            "carrier_company": self.carrier_company.data,
        }
