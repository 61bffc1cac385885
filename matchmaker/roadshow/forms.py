"""Roadshow forms (路演表单), with Chinese messages."""

from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from matchmaker.roadshow.models import SESSION_KINDS
from matchmaker.submissions.web import OnceForm

_WINDOW = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[-–~至]\s*(\d{1,2}:\d{2})$")


class RoadshowForm(OnceForm, FlaskForm):
    title = StringField(
        "届次名称",
        validators=[DataRequired("请填写名称"), Length(max=200)],
        description="如：第十二期龙子湖科创路演",
    )
    description = TextAreaField("说明", validators=[Optional(), Length(max=2000)])
    min_interest = FloatField(
        "需求阈值",
        default=0.2,
        validators=[NumberRange(0, 1, "应在 0 到 1 之间")],
        description="企业需求与成果的匹配分不低于此值才计入需求值",
    )
    max_per_organization = IntegerField(
        "每单位每专场上限", default=2, validators=[Optional(), NumberRange(1, 50, "应在 1 到 50 之间")]
    )
    conflict_weight = FloatField(
        "并行冲突权重 λ", default=0.3, validators=[NumberRange(0, 100, "应在 0 到 100 之间")]
    )
    displacement_weight = FloatField(
        "改动权重 μ",
        default=10.0,
        validators=[NumberRange(0, 1000, "应在 0 到 1000 之间")],
        description="重新排程时，每移动一个已发布项目扣除的分值",
    )
    submit = SubmitField("保存")


class SessionForm(FlaskForm):
    kind = SelectField("专场类型", choices=list(SESSION_KINDS.items()))
    title = StringField("专场名称", validators=[DataRequired("请填写专场名称"), Length(max=200)])
    field_id = SelectField("主题领域", coerce=int, description="走进地方专场可选“不限领域”")
    city = StringField("城市", validators=[DataRequired("请填写城市"), Length(max=20)], default="郑州")
    venue = StringField("地点", validators=[Optional(), Length(max=200)])
    date = DateField("日期", validators=[DataRequired("请填写日期（YYYY-MM-DD）")])
    start_time = TimeField("开始时间", validators=[DataRequired("请填写开始时间")])
    end_time = TimeField("结束时间", validators=[DataRequired("请填写结束时间")])
    slot_minutes = IntegerField(
        "时间格（分钟）", default=10, validators=[NumberRange(5, 60, "应在 5 到 60 之间")]
    )
    rooms = StringField(
        "会场及座位数",
        default="A厅:80, B厅:60",
        validators=[DataRequired("请至少填写一个会场")],
        description="格式：会场名:座位数，多个用逗号分隔",
    )
    submit = SubmitField("添加专场")

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError("结束时间必须晚于开始时间")

    def validate_date(self, field):
        if field.data and field.data < date(2000, 1, 1):
            raise ValidationError("日期无效")

    def validate_rooms(self, field):
        self.parsed_rooms = parse_rooms(field.data or "")


def parse_rooms(text: str) -> list[dict]:
    rooms, seen = [], set()
    for part in re.split(r"[,，;；\n]+", text):
        part = part.strip()
        if not part:
            continue
        parts = re.split(r"\s*[:：]\s*", part, maxsplit=1)
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) <= 0 or not parts[0]:
            raise ValidationError(f"会场“{part}”的格式应为 会场名:座位数，如 A厅:80")
        name, seats = parts
        if name in seen:
            raise ValidationError(f"会场“{name}”重复")
        seen.add(name)
        rooms.append({"id": name, "capacity": int(seats)})
    if not rooms:
        raise ValidationError("请至少填写一个会场")
    return rooms


def parse_windows(text: str) -> list[dict] | None:
    """'2026-12-07 09:00-12:00' per line → availability windows; empty → always available."""
    windows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        m = _WINDOW.match(line)
        if not m:
            raise ValidationError(f"无法识别“{line}”，格式：2026-12-07 09:00-12:00")
        day, start, end = m.groups()
        try:
            date.fromisoformat(day)
        except ValueError:
            raise ValidationError(f"日期“{day}”无效") from None
        if start.zfill(5) >= end.zfill(5):
            raise ValidationError(f"“{line}”的结束时间必须晚于开始时间")
        windows.append({"date": day, "start": start.zfill(5), "end": end.zfill(5)})
    return windows or None


class CandidateForm(FlaskForm):
    result_id = IntegerField(
        "成果编号", validators=[DataRequired("请填写成果编号")], description="科技成果页面地址中的数字"
    )
    presenter = StringField(
        "报告人", validators=[Optional(), Length(max=100)], description="留空则用成果联系人"
    )
    minutes = IntegerField(
        "报告时长（分钟）", default=20, validators=[NumberRange(5, 120, "应在 5 到 120 之间")]
    )
    availability = TextAreaField(
        "可用时间",
        validators=[Optional()],
        description="每行一个时段，如 2026-12-07 09:00-12:00；留空表示都可以",
    )
    cities = StringField(
        "可前往城市", validators=[Optional(), Length(max=300)], description="逗号分隔；留空表示不限"
    )
    submit = SubmitField("提名")

    def validate_availability(self, field):
        self.parsed_windows = parse_windows(field.data)

    @property
    def parsed_cities(self) -> list[str] | None:
        cities = [c.strip() for c in re.split(r"[,，、\s]+", self.cities.data or "") if c.strip()]
        return cities or None


class PlaceForm(FlaskForm):
    """Move or add a talk in a draft (手动调整)."""

    candidate_id = IntegerField("项目", validators=[DataRequired("请选择项目")])
    session_id = SelectField("专场", coerce=int)
    room = StringField("会场", validators=[DataRequired("请填写会场")])
    start = StringField("开始时间", validators=[DataRequired("请填写开始时间")], description="HH:MM")
    pinned = BooleanField("固定（重新求解时保持不动）")
    submit = SubmitField("保存")


class SolveForm(FlaskForm):
    time_limit = IntegerField(
        "求解时限（秒）", default=10, validators=[NumberRange(1, 120, "应在 1 到 120 秒之间")]
    )
    submit = SubmitField("开始排程")


class IntentForm(FlaskForm):
    candidate_id = SelectField("路演项目", coerce=int, validate_choice=False)
    need_id = SelectField(
        "企业技术需求",
        coerce=int,
        validate_choice=False,
        description="列出报名本专场或对本专场项目感兴趣的企业的开放需求",
    )
    note = TextAreaField("意向说明", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("登记意向")
