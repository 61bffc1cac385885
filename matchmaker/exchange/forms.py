"""Forms of the exchange pages (交换伙伴管理、联系对接)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class PartnerForm(FlaskForm):
    code = StringField(
        "伙伴代码", validators=[DataRequired("请输入伙伴代码"), Length(1, 20)], description="如 山东、B"
    )
    name = StringField("伙伴名称", validators=[Length(0, 100)])
    base_url = StringField("对方平台地址", validators=[DataRequired("请输入对方平台地址")])
    key = StringField("对方签发的密钥", validators=[DataRequired("请输入密钥")])
    submit = SubmitField("添加伙伴")


class IssueKeyForm(FlaskForm):
    code = StringField("伙伴代码", validators=[DataRequired("请输入伙伴代码"), Length(1, 20)])
    name = StringField("伙伴名称", validators=[Length(0, 100)])
    submit = SubmitField("签发密钥")


class PartnerActionForm(FlaskForm):
    code = HiddenField(validators=[DataRequired()])


class ContactForm(FlaskForm):
    message = TextAreaField("对接说明", validators=[DataRequired("请填写对接说明"), Length(5, 1000)])
    consent = BooleanField("我同意把我的姓名、机构、电话和邮箱提供给来源省份平台，以便对方联系我")
    submit = SubmitField("发送对接请求")
