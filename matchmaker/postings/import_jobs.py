"""Import in the web UI (网页导入): upload → preview with line-numbered errors → import.

The job and its progress live in the database (ImportJob), not in a process's memory.
The import itself is the worker task `postings.import` (see TASKS in create_app) and is
atomic: its rows and the job's "done" commit together, or nothing does.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.postings.importer import check_records, read_records, write_rows
from matchmaker.postings.models import ImportJob

log = logging.getLogger(__name__)
MAX_BYTES = 10 * 1024 * 1024
PROGRESS_EVERY = 20


def create_job(session: Session, user, filename: str, data: bytes) -> ImportJob:
    """Read and check the file (raises DomainError when it cannot be read at all)."""
    records = read_records(data, filename)
    report, rows = check_records(session, records)
    new = sum(1 for r in rows if r.existing is None)
    job = ImportJob(
        user_id=user.id,
        filename=(filename or "上传文件")[:200],
        records=[[n, r] for n, r in records],
        total=len(records),
        errors=[str(e) for e in report.errors],
        summary=f"共 {len(records)} 行：将新增 {new} 条，更新或核对 {len(rows) - new} 条"
        + (f"，{len(report.errors)} 行有错误" if report.errors else ""),
    )
    session.add(job)
    session.flush()
    return job


def start(session: Session, job: ImportJob) -> None:
    """Mark a previewed, error-free job as running (the caller commits, then submits the task)."""
    if job.status != "preview" or job.errors:
        raise DomainError("该文件有错误或已导入，不能再次导入", status=409)
    job.status = "running"
    job.checked = 0
    session.flush()


def run_job(session: Session, job_id: int) -> None:
    """The worker task: check again (the database may have changed since the preview), then
    write everything in one transaction together with the job's result."""
    bind = session.get_bind()
    job = session.get(ImportJob, job_id)
    records = [(n, r) for n, r in job.records]
    total = len(records)

    def progress(items):
        for i, item in enumerate(items, 1):
            yield item
            if i % PROGRESS_EVERY == 0 or i == total:
                # Its own short transaction, so pages see it while the import runs.
                with bind.begin() as conn:
                    conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(checked=i))

    try:
        report, rows = check_records(session, records, progress=progress)
        if report.errors:
            session.rollback()
            job = session.get(ImportJob, job_id)
            job.status, job.errors = "failed", [str(e) for e in report.errors]
            job.summary = "数据在预览后发生变化，导入前复核发现错误，未导入任何数据"
        else:
            write_rows(session, rows, report)
            job = session.get(ImportJob, job_id)
            job.status, job.summary = "done", "导入完成：" + report.summary()
            job.checked = total
        job.finished_at = utcnow()
        session.commit()
    except Exception:  # the page must not wait forever on a job that died
        session.rollback()
        log.exception("导入任务 %s 失败", job_id)
        job = session.get(ImportJob, job_id)
        job.status, job.summary, job.finished_at = (
            "failed",
            "导入出错，未导入任何数据，请联系管理员",
            utcnow(),
        )
        session.commit()
