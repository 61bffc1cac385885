"""Forms for topics, questions, challenges, answers, reviews and acceptance (表单)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from matchmaker.challenges.models import CHALLENGE_TYPES, RUBRIC, TOPIC_STATUSES
from matchmaker.challenges.suggest import GRANULARITY
from matchmaker.constants import REGIONS
from matchmaker.submissions.web import OnceForm

REQUIRED = "此项必填"
REGION_CHOICES = [("", "（不限）")] + [(r, r) for r in REGIONS]


def lines(text: str | None) -> list[str]:
    """A textarea's non-empty lines."""
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


class TopicForm(OnceForm, FlaskForm):
    title = StringField(
        "题目名称",
        validators=[DataRequired(REQUIRED), Length(max=200)],
        description="例如：大尺寸金刚石单晶制备",
    )
    industry_chain = StringField(
        "所属产业链", validators=[DataRequired(REQUIRED), Length(max=100)], description="例如：超硬材料产业链"
    )
    field_id = SelectField("领域", coerce=int, validators=[InputRequired(REQUIRED)])
    lead_department = StringField("牵头部门", validators=[Optional(), Length(max=100)])
    region = SelectField("地区", choices=REGION_CHOICES, validators=[Optional()])
    status = SelectField("状态", choices=list(TOPIC_STATUSES.items()), default="published")
    description = TextAreaField("题目说明", validators=[Optional()])
    submit = SubmitField("保存")


class SuggestForm(FlaskForm):
    """The filter of the topic-suggestion page (GET)."""

    class Meta:
        csrf = False

    field_id = SelectField("领域", coerce=int, validators=[Optional()])
    region = SelectField("地区", choices=REGION_CHOICES, validators=[Optional()])
    granularity = SelectField(
        "聚类粒度", default="medium", choices=[(k, label) for k, (label, _s) in GRANULARITY.items()]
    )


class QuestionForm(OnceForm, FlaskForm):
    """企业出题: a minimal need form (the postings area owns the full one)."""

    title = StringField("问题标题", validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(
        "问题描述", validators=[DataRequired(REQUIRED), Length(min=10, message="请至少写 10 个字")]
    )
    field_id = SelectField("领域", coerce=int, validators=[InputRequired(REQUIRED)])
    topic_id = SelectField("所属题目", coerce=int, validators=[Optional()])
    keywords = StringField("关键词", validators=[Optional()], description="以逗号或空格分隔")
    region = SelectField("地区", choices=REGION_CHOICES, validators=[Optional()])
    budget_wan = DecimalField(
        "预算（万元）", places=2, validators=[Optional(), NumberRange(min=0, message="不能为负数")]
    )
    deadline = DateField("截止日期", validators=[Optional()])
    submit = SubmitField("发布问题")


class ChallengeForm(OnceForm, FlaskForm):
    """出题 → 榜单."""

    title = StringField("榜单名称", validators=[DataRequired(REQUIRED), Length(max=200)])
    type = SelectField("榜单类型", choices=list(CHALLENGE_TYPES.items()))
    targets = TextAreaField(
        "技术指标", validators=[DataRequired(REQUIRED)], description="每行一项指标，例如：单晶尺寸 ≥ 10 mm"
    )
    reward_wan = DecimalField(
        "榜单金额（万元）", places=2, validators=[Optional(), NumberRange(min=0, message="不能为负数")]
    )
    deadline = DateField("揭榜截止日期", validators=[Optional()])
    min_units = IntegerField(
        "揭榜单位数下限",
        validators=[Optional(), NumberRange(min=1, max=20, message="须在 1 到 20 之间")],
        description="行业共性技术须为不少于 3 家单位的联合体；留空按类型默认",
    )
    eligibility = TextAreaField("其他揭榜条件", validators=[Optional()])
    submit = SubmitField("提交榜单")


class TransitionForm(FlaskForm):
    to_status = SelectField("变更为", validators=[DataRequired(REQUIRED)])
    reason = StringField("原因/说明", validators=[Optional(), Length(max=500)])
    submit = SubmitField("变更状态")


class AnswerForm(OnceForm, FlaskForm):
    """人才答题: 揭榜方案."""

    title = StringField("方案名称", validators=[DataRequired(REQUIRED), Length(max=200)])
    approach = TextAreaField("技术路线", validators=[DataRequired(REQUIRED)])
    team_members = TextAreaField(
        "团队成员", validators=[Optional()], description="每行一人，例如：李明 教授 负责总体方案"
    )
    expert_id = SelectField("方案负责人（专家）", coerce=int, validators=[Optional()])
    result_ids = SelectMultipleField("关联科技成果", coerce=int, validators=[Optional()])
    milestones = TextAreaField(
        "里程碑",
        validators=[DataRequired(REQUIRED)],
        description="每行一个：日期 内容，例如：2027-06-30 完成中试",
    )
    budget_wan = DecimalField(
        "预算（万元）", places=2, validators=[Optional(), NumberRange(min=0, message="不能为负数")]
    )
    consortium = TextAreaField(
        "联合体成员单位",
        validators=[Optional()],
        description="以联合体揭榜时填写，每行一个已注册机构的全称（不含牵头单位）",
    )
    consortium_name = StringField("联合体名称", validators=[Optional(), Length(max=200)])
    submit = SubmitField("提交揭榜方案")


class AssignForm(FlaskForm):
    per_answer = IntegerField(
        "每份方案评审专家数",
        default=3,
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=15, message="须在 1 到 15 之间")],
    )
    max_load = IntegerField(
        "每位专家评审上限",
        default=5,
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=50, message="须在 1 到 50 之间")],
    )
    submit = SubmitField("自动分配评审专家")


def _score_field(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=100, message="须在 0 到 100 之间")],
        description="0–100 分",
        render_kw={"min": 0, "max": 100, "inputmode": "numeric"},
    )


class ReviewForm(FlaskForm):
    comment = TextAreaField("评审意见", validators=[Optional()])
    submit = SubmitField("提交评分")


for _key, _label, _weight in RUBRIC:
    setattr(ReviewForm, _key, _score_field(f"{_label}（权重 {int(_weight * 100)}%）"))


class AwardForm(FlaskForm):
    answer_id = SelectField("中标方案", coerce=int, validators=[InputRequired(REQUIRED)])
    funding_wan = DecimalField(
        "立项经费（万元）", places=2, validators=[Optional(), NumberRange(min=0, message="不能为负数")]
    )
    note = StringField("立项说明", validators=[Optional(), Length(max=500)])
    submit = SubmitField("确定中标并立项")


class MilestoneForm(FlaskForm):
    passed = BooleanField("验收通过", default=True)
    note = StringField("验收意见", validators=[DataRequired(REQUIRED), Length(max=500)])
    submit = SubmitField("记录验收")
