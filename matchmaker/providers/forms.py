"""Service request forms (服务申请). Field names equal the service keys."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from matchmaker.constants import TRL_LEVELS
from matchmaker.submissions.web import OnceForm


class RequestForm(OnceForm, FlaskForm):
    """申请服务."""

    message = TextAreaField(
        "申请说明",
        validators=[DataRequired("申请说明不能为空")],
        description="写明希望完成的验证或试制内容、时间要求与预算",
    )
    submit = SubmitField("提交申请")


class DecideForm(FlaskForm):
    """受理 / 退回 / 完成 with a note."""

    reply = TextAreaField("办理意见", description="退回时必须说明原因")


class RaiseTrlForm(FlaskForm):
    """服务完成后提升技术就绪度."""

    trl = SelectField("新的技术就绪度", choices=[(str(k), f"{k} 级：{v}") for k, v in TRL_LEVELS.items()])
    trl_evidence = StringField(
        "依据", validators=[DataRequired("请填写依据")], description="如验证报告编号、中试总结"
    )
    submit = SubmitField("提升就绪度")
