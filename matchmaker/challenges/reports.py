"""Topic pages, traceability (全链条追溯), its Excel export and the department's statistics."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from io import BytesIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.challenges.models import (
    CHALLENGE_STATUSES,
    Challenge,
    ChallengeTransition,
    Topic,
)
from matchmaker.postings.models import Need

# Statuses that count as "this challenge has reached a project".
DONE = ("approved", "accepted")


@dataclass
class Matched:
    """A result or expert matched to some of the topic's questions (best score kept)."""

    kind: str
    item: object
    score: float
    need: Need | None  # None: matched on the topic's own text
    summary: str


def topic_matches(session: Session, topic: Topic, per_need: int = 5, top: int = 10) -> tuple[list, list]:
    """Results and experts best matching the topic's open questions, through the ranker.

    The topic's own text is searched too, so a new topic with no questions yet already
    shows who could solve it.
    """
    from matchmaker.matching.ranker import rank_experts_for_need, rank_results_for_need, search

    best: dict[tuple[str, int], Matched] = {}
    text = f"{topic.title}\n{topic.description or ''}"
    for kind in ("result", "expert"):
        for item in search(session, text, kind, per_need):
            best[(kind, item.id)] = Matched(kind, item.item, item.score, None, "与题目说明相近")
    for need in topic.needs:
        if need.status != "open":
            continue
        for kind, ranked in (
            ("result", rank_results_for_need(session, need, per_need)),
            ("expert", rank_experts_for_need(session, need, per_need)),
        ):
            for item in ranked:
                key = (kind, item.id)
                if key not in best or item.score > best[key].score:
                    best[key] = Matched(kind, item.item, item.score, need, item.explanation.summary)
    ordered = sorted(best.values(), key=lambda m: -m.score)
    return (
        [m for m in ordered if m.kind == "result"][:top],
        [m for m in ordered if m.kind == "expert"][:top],
    )


def topic_challenges(session: Session, topic: Topic) -> list[Challenge]:
    need_ids = [n.id for n in topic.needs]
    q = select(Challenge).where((Challenge.topic_id == topic.id) | Challenge.need_id.in_(need_ids or [-1]))
    return list(session.scalars(q.order_by(Challenge.id)))


def topic_progress(session: Session, topic: Topic) -> dict:
    """Counts by step, for the progress bar: questions → challenges → published → projects → accepted."""
    challenges = topic_challenges(session, topic)
    by_status = defaultdict(int)
    for c in challenges:
        by_status[c.status] += 1
    published = sum(by_status[s] for s in ("published", "bidding", "reviewing", "approved", "accepted"))
    return {
        "questions": len(topic.needs),
        "challenges": len(challenges),
        "published": published,
        "projects": sum(by_status[s] for s in DONE),
        "accepted": by_status["accepted"],
        "by_status": {CHALLENGE_STATUSES[s]: by_status[s] for s in CHALLENGE_STATUSES if by_status[s]},
        "percent": round(100 * sum(by_status[s] for s in DONE) / len(challenges)) if challenges else 0,
    }


def trace(session: Session, topic: Topic) -> dict:
    """The whole chain: topic → questions → challenges → answers → winners → projects → milestones."""
    challenges = topic_challenges(session, topic)
    by_need = defaultdict(list)
    for c in challenges:
        by_need[c.need_id].append(c)
    answers = [a for c in challenges for a in c.answers]
    projects = [c.project for c in challenges if c.project]
    milestones = [m for p in projects for m in p.milestones]
    counts = {
        "questions": len(topic.needs),
        "challenges": len(challenges),
        "answers": len(answers),
        "winners": sum(1 for a in answers if a.status == "winner"),
        "projects": len(projects),
        "milestones": len(milestones),
        "milestones_passed": sum(1 for m in milestones if m.status == "passed"),
    }
    return {
        "topic": topic,
        "questions": [(n, by_need.get(n.id, [])) for n in topic.needs],
        "orphans": [c for c in challenges if c.need_id not in {n.id for n in topic.needs}],
        "counts": counts,
    }


TRACE_HEADER = [
    "产业链",
    "题目",
    "问题（技术需求）",
    "出题单位",
    "榜单",
    "榜单类型",
    "榜单状态",
    "榜单金额（万元）",
    "揭榜方案",
    "揭榜单位",
    "评审数",
    "方案状态",
    "立项项目",
    "立项经费（万元）",
    "里程碑",
    "到期日",
    "验收状态",
    "验收意见",
]


def trace_rows(data: dict) -> list[list]:
    """One row per deepest element of the chain, parents repeated so the sheet filters well."""
    topic = data["topic"]
    rows = []
    pairs = list(data["questions"]) + [(c.need, [c]) for c in data["orphans"]]
    for need, challenges in pairs:
        base = [topic.industry_chain, topic.title, need.title, need.organization.name]
        if not challenges:
            rows.append(base + [""] * 14)
        for c in challenges:
            cbase = base + [c.title, c.type_label, c.status_label, c.reward_wan]
            if not c.answers:
                rows.append(cbase + [""] * 10)
            for a in c.answers:
                orgs = "、".join(o.name for o in a.organizations)
                abase = cbase + [a.title, orgs, sum(1 for r in a.reviews if r.submitted_at), a.status_label]
                project = c.project if c.project and c.project.answer_id == a.id else None
                if project is None:
                    rows.append(abase + [""] * 6)
                    continue
                for m in project.milestones or [None]:
                    rows.append(
                        abase
                        + [project.title, project.funding_wan]
                        + (
                            [m.title, m.due_date.isoformat(), m.status_label, m.acceptance_note]
                            if m
                            else [""] * 4
                        )
                    )
    return rows


def trace_workbook(data: dict) -> bytes:
    """The trace as an .xlsx: a 汇总 sheet with counts and a 追溯 sheet with the chain."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from matchmaker.exports import safe_row

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    topic = data["topic"]
    ws.append(safe_row(["产业链", topic.industry_chain]))
    ws.append(safe_row(["题目", topic.title]))
    ws.append(safe_row(["牵头部门", topic.lead_department or ""]))
    labels = {
        "questions": "问题数",
        "challenges": "榜单数",
        "answers": "揭榜方案数",
        "winners": "中标方案数",
        "projects": "立项项目数",
        "milestones": "里程碑数",
        "milestones_passed": "已验收里程碑",
    }
    for key, label in labels.items():
        ws.append(safe_row([label, data["counts"][key]]))
    sheet = wb.create_sheet("追溯")
    sheet.append(safe_row(TRACE_HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in trace_rows(data):
        sheet.append(safe_row(row))
    sheet.freeze_panes = "A2"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def statistics(session: Session) -> dict:
    """统计: per field and city, open questions, challenges, answers, days 张榜→立项 and funding."""
    needs = session.scalars(select(Need).where(Need.status == "open")).all()
    challenges = session.scalars(select(Challenge).order_by(Challenge.id)).all()
    by_field: dict[str, dict] = defaultdict(
        lambda: {"questions": 0, "challenges": 0, "answers": 0, "funding": 0.0, "projects": 0}
    )
    by_city: dict[str, dict] = defaultdict(
        lambda: {"questions": 0, "challenges": 0, "answers": 0, "funding": 0.0, "projects": 0}
    )
    for n in needs:
        by_field[n.field.name]["questions"] += 1
        by_city[n.region or "未填写"]["questions"] += 1
    published_at = dict(
        session.execute(
            select(ChallengeTransition.challenge_id, ChallengeTransition.at).where(
                ChallengeTransition.to_status == "published"
            )
        ).all()
    )
    per_challenge, durations = [], []
    for c in challenges:
        n_answers = sum(1 for a in c.answers if a.status != "withdrawn")
        funding = (c.project.funding_wan if c.project else None) or 0.0
        for bucket in (by_field[c.need.field.name], by_city[c.need.region or "未填写"]):
            bucket["challenges"] += 1
            bucket["answers"] += n_answers
            bucket["funding"] += funding
            bucket["projects"] += 1 if c.project else 0
        days = None
        start = published_at.get(c.id) or c.published_at
        if c.approved_at and start:
            days = round((c.approved_at - start).total_seconds() / 86400, 1)
            durations.append(days)
        per_challenge.append({"challenge": c, "answers": n_answers, "days": days, "funding": funding})
    total_answers = sum(p["answers"] for p in per_challenge)
    return {
        "by_field": dict(sorted(by_field.items(), key=lambda kv: -kv[1]["questions"])),
        "by_city": dict(sorted(by_city.items(), key=lambda kv: -kv[1]["questions"])),
        "per_challenge": per_challenge,
        "totals": {
            "questions": len(needs),
            "challenges": len(challenges),
            "answers": total_answers,
            "answers_per_challenge": round(total_answers / len(challenges), 2) if challenges else 0,
            "projects": sum(1 for c in challenges if c.project),
            "avg_days_to_project": round(sum(durations) / len(durations), 1) if durations else None,
            "funding": round(sum(p["funding"] for p in per_challenge), 2),
            "reward": round(sum(c.reward_wan or 0 for c in challenges), 2),
        },
    }


def chart_data(stats: dict) -> dict:
    """What the Chart.js bar chart reads from a data attribute."""
    labels = list(stats["by_field"].keys())
    return {
        "labels": labels,
        "datasets": [
            {"label": "征集中的问题", "data": [stats["by_field"][k]["questions"] for k in labels]},
            {"label": "榜单", "data": [stats["by_field"][k]["challenges"] for k in labels]},
            {"label": "揭榜方案", "data": [stats["by_field"][k]["answers"] for k in labels]},
        ],
    }
