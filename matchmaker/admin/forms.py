"""Admin forms (平台管理表单)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length

from matchmaker.constants import ORG_TYPES, REGIONS
from matchmaker.postings.forms import MultiCheckboxField


class CreateUserForm(FlaskForm):
    """Staff accounts: brokers (技术经纪人) and admins (管理员)."""

    role = SelectField("角色", choices=[("broker", "技术经纪人"), ("admin", "管理员")])
    name = StringField("姓名", validators=[DataRequired("请输入姓名"), Length(1, 100)])
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱"), Email("邮箱格式不正确")])
    org_name = StringField(
        "所属机构",
        validators=[DataRequired("请输入所属机构")],
        description="已有机构名称则加入该机构，否则新建",
    )
    org_type = SelectField(
        "机构类型（新建机构时）", choices=[(t, t) for t in ORG_TYPES if t in ("技术转移机构", "政府部门")]
    )
    region = SelectField("地区", choices=[(r, r) for r in REGIONS])
    password = PasswordField(
        "初始密码",
        validators=[DataRequired("请输入初始密码")],
        description="至少 10 位，须同时包含字母和数字；请告知本人登录后修改",
    )
    submit = SubmitField("创建账号")


class BrokerScopeForm(FlaskForm):
    """A broker's owned fields and regions; none ticked means all."""

    broker_fields = MultiCheckboxField("负责领域", choices=[], validate_choice=False)
    broker_regions = MultiCheckboxField("负责地区", choices=[(r, r) for r in REGIONS], validate_choice=False)
    submit = SubmitField("保存")


class FieldForm(FlaskForm):
    """领域分类."""

    name = StringField(
        "领域名称", validators=[DataRequired("请输入领域名称"), Length(1, 50, "领域名称不能超过 50 字")]
    )
    description = TextAreaField("说明")
    related = MultiCheckboxField("相关领域", choices=[], validate_choice=False)
    active = BooleanField("启用", default=True)
    submit = SubmitField("保存")
