"""Form for a new listing or auction; the checks themselves live in services.AuctionInput."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, DecimalField, IntegerField, SelectField, SubmitField
from wtforms.validators import InputRequired, Optional

from matchmaker.submissions.web import OnceForm
from matchmaker.trading.models import CONTRACT_TYPES, MODES


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
