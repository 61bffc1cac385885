"""Login and registration forms (登录、注册)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, ValidationError

from matchmaker.accounts.services import password_problem
from matchmaker.constants import ORG_TYPES, REGIONS


class LoginForm(FlaskForm):
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    submit = SubmitField("登录")


class RegisterForm(FlaskForm):
    role = SelectField(
        "注册身份",
        choices=[("enterprise", "企业（发布技术需求）"), ("researcher", "高校/科研院所（发布科技成果）")],
    )
    org_name = StringField(
        "机构名称",
        validators=[DataRequired("请输入机构名称"), Length(2, 200, "机构名称长度须在 2–200 字之间")],
    )
    org_type = SelectField(
        "机构类型", choices=[(t, t) for t in ORG_TYPES if t in ("企业", "高校", "科研院所")], default="企业"
    )
    region = SelectField("所在地区", choices=[(r, r) for r in REGIONS])
    name = StringField("联系人姓名", validators=[DataRequired("请输入姓名"), Length(1, 100)])
    phone = StringField("手机号", validators=[Optional(), Length(5, 40, "手机号格式不正确")])
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱"), Email("邮箱格式不正确")])
    credit_code = StringField(
        "统一社会信用代码",
        validators=[Optional(), Length(18, 18, "统一社会信用代码须为 18 位")],
        description="认领已在平台上的机构时必填；新机构填写后由管理员认证，认证前发布的信息仅本机构可见。",
    )
    document = FileField(
        "营业执照或单位授权函", description="PDF、JPG 或 PNG，不超过 5 MB；认领已有机构时必填。"
    )
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    password2 = PasswordField(
        "确认密码", validators=[DataRequired("请再次输入密码"), EqualTo("password", "两次输入的密码不一致")]
    )
    submit = SubmitField("注册")

    def validate_password(self, field):
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_org_type(self, field):
        if self.role.data == "enterprise" and field.data != "企业":
            raise ValidationError("企业用户的机构类型须为“企业”")
        if self.role.data == "researcher" and field.data not in ("高校", "科研院所"):
            raise ValidationError("科研人员的机构类型须为“高校”或“科研院所”")


class SettingsForm(FlaskForm):
    phone = StringField("手机号", validators=[Optional(), Length(5, 40, "手机号格式不正确")])
    digest = SelectField("消息提醒方式", choices=[("instant", "即时邮件"), ("weekly", "每周汇总")])
    submit = SubmitField("保存")


class ClaimDecisionForm(FlaskForm):
    """认领审核: approve or reject with a reason."""

    claim_id = HiddenField()
    decision = SelectField("审核结论", choices=[("approve", "通过"), ("reject", "驳回")])
    reason = TextAreaField("原因（驳回必填）", validators=[Optional(), Length(max=500)])
    submit = SubmitField("提交")


class TokenForm(FlaskForm):
    """个人访问令牌: for programs calling the API."""

    name = StringField("令牌名称", validators=[DataRequired("请填写令牌名称"), Length(1, 100)])
    scopes = SelectField("权限", choices=[("read", "只读"), ("read write", "读写")])
    days = IntegerField(
        "有效期（天）",
        default=90,
        validators=[DataRequired("请填写有效期"), NumberRange(1, 365, "有效期须为 1–365 天")],
    )
    submit = SubmitField("创建令牌")
