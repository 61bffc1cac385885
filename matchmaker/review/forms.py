"""Broker workspace forms (审核、确认、阶段推进、回访). Domain rules live in services."""

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from matchmaker.review.models import CONTRACT_TYPES, REASONS, STAGES

REASON_CHOICES = [("", "（选择理由）")] + list(REASONS.items())


class DecisionForm(FlaskForm):
    """经纪人审核: accept or reject one match, or several (ids)."""

    decision = SelectField("结论", choices=[("accept", "通过"), ("reject", "不通过")])
    reason = SelectField("理由", choices=REASON_CHOICES, validators=[Optional()])
    note = StringField("说明", validators=[Optional(), Length(max=500, message="说明不超过 500 字")])
    ids = HiddenField()


class ManualMatchForm(FlaskForm):
    """手工添加撮合: by external id (SN…/SR…) or database id."""

    need = StringField(
        "技术需求",
        validators=[DataRequired("请选择需求")],
        render_kw={"autocomplete": "off", "placeholder": "输入标题中的词搜索，或填写编号"},
    )
    result = StringField(
        "科技成果",
        validators=[DataRequired("请选择成果")],
        render_kw={"autocomplete": "off", "placeholder": "输入标题中的词搜索，或填写编号"},
    )
    note = TextAreaField("为什么推荐", validators=[Optional(), Length(max=1000)])


class StageForm(FlaskForm):
    to_stage = SelectField("推进到", choices=[(k, v) for k, v in STAGES.items() if k != "proposed"])
    reason = StringField("原因/说明", validators=[Optional(), Length(max=500)])
    contract_type = SelectField(
        "合同类型", choices=[("", "（签约时选择）")] + list(CONTRACT_TYPES.items()), validators=[Optional()]
    )
    amount_wan = DecimalField(
        "合同金额（万元）", validators=[Optional(), NumberRange(min=0.01, message="金额须大于 0")]
    )
    signed_on = DateField("签约日期", validators=[Optional()])
    buyer = StringField("买方（受让/委托方）", validators=[Optional(), Length(max=200)])
    seller = StringField("卖方（让与/受托方）", validators=[Optional(), Length(max=200)])
    registration_no = StringField("认定登记号", validators=[Optional(), Length(max=64)])


class RespondForm(FlaskForm):
    """双方确认: confirm interest, or decline with a reason the other side sees."""

    answer = SelectField("答复", choices=[("confirm", "确认对接"), ("decline", "婉拒")])
    reason = StringField("婉拒原因", validators=[Optional(), Length(max=500)])


class FollowUpForm(FlaskForm):
    note = TextAreaField("回访记录", validators=[DataRequired("请填写回访记录"), Length(max=2000)])
