"""Provider forms (科技服务机构登记) and service request forms (服务申请). Field names equal the
service keys."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from matchmaker.constants import REGIONS, TRL_LEVELS
from matchmaker.postings.forms import LIST_HINT
from matchmaker.providers.models import PROVIDER_STATUSES, PROVIDER_TYPES
from matchmaker.submissions.web import OnceForm

TRL_CHOICES = [(str(k), f"{k} 级：{v}") for k, v in TRL_LEVELS.items()]


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


def _choices(items, placeholder=None):
    return ([("", placeholder)] if placeholder else []) + [(v, v) for v in items]


class ProviderForm(OnceForm, FlaskForm):
    """登记 / 编辑科技服务机构. Field names equal the keys of `services.clean_provider`, so a
    DomainError lands beside its input; numbers are text validated by the service."""

    organization = StringField(
        "所属机构", description="技术经纪人、管理员代为登记时填写；机构不存在时自动创建"
    )
    name = StringField("机构名称", validators=[DataRequired("机构名称不能为空")])
    type = SelectField("机构类型", choices=_choices(PROVIDER_TYPES, "请选择类型"), validate_choice=False)
    description = TextAreaField("服务介绍", validators=[DataRequired("服务介绍不能为空")])
    field = SelectField("主要服务领域", choices=[], validate_choice=False)
    other_fields = StringField("其他服务领域", description=LIST_HINT)
    stage_from = SelectField("服务起始级别", choices=TRL_CHOICES, validate_choice=False)
    stage_to = SelectField("服务结束级别", choices=TRL_CHOICES, validate_choice=False)
    capabilities = TextAreaField("服务能力", description=LIST_HINT)
    equipment = TextAreaField("仪器设备", description=LIST_HINT)
    region = SelectField("所在城市", choices=_choices(REGIONS, "未填写"), validate_choice=False)
    capacity_per_year = StringField("年服务能力（项）", render_kw={"inputmode": "numeric"})
    lead_time_days = StringField("服务周期（天）", render_kw={"inputmode": "numeric"})
    fee_min_wan = StringField("最低收费（万元）", render_kw={"inputmode": "decimal"})
    fee_max_wan = StringField("最高收费（万元）", render_kw={"inputmode": "decimal"})
    status = SelectField(
        "状态", choices=[(k, v) for k, v in PROVIDER_STATUSES.items()], validate_choice=False
    )
    contact_name = StringField("联系人")
    contact_phone = StringField("联系电话")
    contact_email = StringField("联系邮箱")
    submit = SubmitField("保存")

    def provider_data(self) -> dict:
        """The submitted values as service input (no CSRF token, token, organisation or button)."""
        skip = ("csrf_token", "submit", "organization", "submit_token")
        return {k: v for k, v in self.data.items() if k not in skip}
