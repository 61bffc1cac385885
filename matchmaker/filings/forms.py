"""成果登记 forms. Field names equal the service keys, so a DomainError lands on its field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField, TextAreaField

from matchmaker.constants import TRL_LEVELS
from matchmaker.filings.models import CATEGORIES, PROGRAMMES, TRANSFER_INTENTIONS

_blank = [("", "请选择")]


class FilingForm(FlaskForm):
    """成果登记表. Required items are checked on 提交 (not on 保存草稿) by the service."""

    title = StringField("成果名称")
    summary = TextAreaField("成果简介", description="成果的主要内容、技术指标与应用前景，至少 10 字")
    keywords = StringField("关键词", description="以、或逗号分隔")
    programme = SelectField(
        "科技计划类别", choices=_blank + [(p, p) for p in PROGRAMMES], validate_choice=False
    )
    project_no = StringField("项目编号")
    project_name = StringField("项目名称")
    completers = StringField("完成人", description="以、分隔，按贡献排序")
    category = SelectField("成果类别", choices=_blank + [(c, c) for c in CATEGORIES], validate_choice=False)
    field = SelectField("所属领域", choices=[], validate_choice=False)
    trl = SelectField(
        "技术就绪度",
        choices=_blank + [(str(k), f"{k} 级：{v}") for k, v in TRL_LEVELS.items()],
        validate_choice=False,
    )
    patents = TextAreaField(
        "知识产权（专利）", description="每行一项：专利号:状态（申请中、已授权、已转让、已失效）；没有可不填"
    )
    transfer_intention = SelectField(
        "转化意向", choices=_blank + [(t, t) for t in TRANSFER_INTENTIONS], validate_choice=False
    )
    acceptance_date = StringField("项目验收日期", description="YYYY-MM-DD", render_kw={"type": "date"})
    result = SelectField(
        "关联已发布的成果",
        choices=[],
        description="不选则登记通过后自动发布为新的科技成果",
        validate_choice=False,
    )
    save = SubmitField("保存草稿")
    submit = SubmitField("提交登记")


class DecisionForm(FlaskForm):
    """管理员审核: 通过 or 退回 (reason required)."""

    reason = TextAreaField("退回理由", description="退回时必须写明理由，将通知登记人")


class ImportForm(FlaskForm):
    file = FileField("Excel 文件（.xlsx）")
    submit = SubmitField("导入并提交")
