"""Posting forms (发布表单). Field names equal the service keys, so a DomainError's
`field` lands beside the right input. Numbers and dates are text fields validated by the
services, which gives the same Chinese messages as the API and the import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired

from matchmaker.constants import (
    MATURITIES,
    NEED_STATUSES,
    REGIONS,
    RESULT_STATUSES,
    TRANSFER_MODES,
    TRL_LEVELS,
)
from matchmaker.submissions.web import OnceForm

LIST_HINT = "多个用逗号或顿号分隔，例如：热误差、数控机床"


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (合作方式 etc.)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _select(label, choices, placeholder=None, **kw):
    options = ([("", placeholder)] if placeholder else []) + choices
    return SelectField(label, choices=options, validate_choice=False, **kw)


ON_BEHALF_HINT = "技术经纪人、管理员代为发布时填写；机构不存在时自动创建"


class _PostingForm(OnceForm, FlaskForm):
    """Create and edit; the one-time token (防重复提交) only matters on create."""

    organization = StringField("发布机构", description=ON_BEHALF_HINT)
    title = StringField("标题", validators=[DataRequired("标题不能为空")])
    description = TextAreaField("描述", validators=[DataRequired("描述不能为空")])
    field = _select("领域", [], "请选择领域", validators=[DataRequired("请选择领域")])
    keywords = StringField("关键词", description=LIST_HINT)
    region = _select("所在地区", [(r, r) for r in REGIONS], "请选择地区")
    contact_name = StringField("联系人")
    contact_phone = StringField("联系电话")
    contact_email = StringField("联系邮箱", description="联系方式仅向本机构、技术经纪人和管理员显示")

    def set_field_choices(self, fields) -> None:
        self.field.choices = [("", "请选择领域")] + [(f.name, f.name) for f in fields]

    def posting_data(self) -> dict:
        """The submitted values as service input (no CSRF token, no button)."""
        return {
            k: v
            for k, v in self.data.items()
            if k not in ("csrf_token", "submit", "organization", "submit_token")
        }


class ResultForm(_PostingForm):
    """科技成果."""

    maturity = _select(
        "成熟度", [(m, m) for m in MATURITIES], "请选择成熟度", validators=[DataRequired("请选择成熟度")]
    )
    trl = _select(
        "技术就绪度（TRL）",
        [(str(k), f"{k} 级：{v}") for k, v in TRL_LEVELS.items()],
        "按成熟度默认",
        description="GB/T 22900 九级；留空时按成熟度取默认级别",
    )
    trl_evidence = TextAreaField("就绪度依据", description="如检测报告编号、中试记录、用户证明")
    transfer_modes = MultiCheckboxField(
        "合作方式", choices=[(m, m) for m in TRANSFER_MODES], validate_choice=False
    )
    price_wan = StringField(
        "转让价格（万元）", description="留空表示面议", render_kw={"inputmode": "decimal"}
    )
    patent_numbers = StringField("专利号", description="多个用逗号或顿号分隔")
    team = TextAreaField("团队介绍")
    status = _select("状态", list(RESULT_STATUSES.items()))
    submit = SubmitField("保存")


class NeedForm(_PostingForm):
    """技术需求."""

    budget_wan = StringField("预算（万元）", description="留空表示面议", render_kw={"inputmode": "decimal"})
    deadline = StringField("截止日期", description="格式 YYYY-MM-DD，可留空", render_kw={"type": "date"})
    status = _select("状态", list(NEED_STATUSES.items()))
    submit = SubmitField("保存")


class ExpertForm(OnceForm, FlaskForm):
    """专家人才."""

    organization = StringField("所在机构", description=ON_BEHALF_HINT)
    name = StringField("姓名", validators=[DataRequired("姓名不能为空")])
    title = StringField("职称", description="如 教授、研究员、高级工程师")
    field = _select("主要领域", [], "请选择领域")
    research_areas = StringField("研究方向", description=LIST_HINT)
    bio = TextAreaField("简介")
    region = _select("所在地区", [(r, r) for r in REGIONS], "请选择地区")
    contact_phone = StringField("联系电话")
    contact_email = StringField("联系邮箱", description="联系方式仅向本机构、技术经纪人和管理员显示")
    results = MultiCheckboxField("代表成果", choices=[], validate_choice=False, coerce=int)
    submit = SubmitField("保存")

    set_field_choices = _PostingForm.set_field_choices
    posting_data = _PostingForm.posting_data


FORMS = {"result": ResultForm, "need": NeedForm, "expert": ExpertForm}


class ImportForm(FlaskForm):
    """网页导入: an Excel (.xlsx) or JSON Lines file."""

    file = FileField(
        "文件",
        validators=[FileRequired("请选择要导入的文件")],
        description="Excel (.xlsx) 或 JSON Lines (.jsonl)，不超过 10 MB",
    )
    submit = SubmitField("上传并预览")
