"""订阅 form. Domain rules live in services.validate_subscription."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional

from matchmaker.following.models import FREQUENCIES, KIND_LABELS


class SubscriptionForm(FlaskForm):
    name = StringField("订阅名称（可选）", validators=[Optional(), Length(max=100, message="不超过 100 字")])
    kinds = SelectMultipleField("订阅内容", choices=list(KIND_LABELS.items()), default=["need", "result"])
    field = SelectField("领域", choices=[], validators=[Optional()])
    region = SelectField("地区", choices=[], validators=[Optional()])
    keywords = StringField(
        "关键词",
        validators=[Optional(), Length(max=300)],
        description="多个关键词用逗号或顿号分隔，任一出现即提醒",
    )
    frequency = SelectField("提醒方式", choices=list(FREQUENCIES.items()), default="instant")
    high_matches = BooleanField("同时提醒新的高匹配撮合", default=True)
