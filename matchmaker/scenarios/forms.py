"""Scenario forms (应用场景发布、申报、推进). Field names equal the service keys."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired

from matchmaker.constants import REGIONS
from matchmaker.scenarios.models import SCENARIO_OFFERS
from matchmaker.submissions.web import OnceForm


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ScenarioForm(OnceForm, FlaskForm):
    """发布应用场景."""

    title = StringField("场景名称", validators=[DataRequired("场景名称不能为空")])
    description = TextAreaField("场景描述", validators=[DataRequired("场景描述不能为空")])
    field = SelectField("领域", choices=[], validate_choice=False)
    keywords = StringField("关键词", description="多个用逗号或顿号分隔")
    place = StringField("场景地点")
    region = SelectField(
        "所在城市", choices=[("", "请选择")] + [(r, r) for r in REGIONS], validate_choice=False
    )
    budget_wan = StringField("预算（万元）", render_kw={"inputmode": "decimal"})
    period_start = StringField("开始日期", render_kw={"type": "date"})
    period_end = StringField("结束日期", render_kw={"type": "date"})
    offers = _Checkboxes("场景提供", choices=[(o, o) for o in SCENARIO_OFFERS], validate_choice=False)
    requirements = TextAreaField("技术要求")
    submit = SubmitField("发布")


class ApplyForm(OnceForm, FlaskForm):
    """申报: a proposal, optionally with one of the firm's results."""

    result = SelectField("申报成果", choices=[], validate_choice=False)
    proposal = TextAreaField(
        "申报方案",
        validators=[DataRequired("申报方案不能为空")],
        description="不少于 20 字：方案、试点计划、已有应用",
    )
    submit = SubmitField("提交申报")


class AdvanceForm(FlaskForm):
    note = TextAreaField("说明", description="未入选与示范产品须写明理由")
