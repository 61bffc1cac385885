"""Registration numbers: 豫成登〔年〕六位序号, from a counter row, unique under concurrency."""

from __future__ import annotations

import threading

from matchmaker.extensions import db as _db
from matchmaker.filings import services
from matchmaker.filings.models import FilingCounter


def test_numbers_follow_per_year(db):
    assert services.next_registration_no(db.session, 2026) == "豫成登〔2026〕000001"
    assert services.next_registration_no(db.session, 2026) == "豫成登〔2026〕000002"
    assert services.next_registration_no(db.session, 2027) == "豫成登〔2027〕000001"
    db.session.commit()
    assert db.session.get(FilingCounter, 2026).last == 2


def test_concurrent_allocations_never_collide(app, db):
    db.session.add(FilingCounter(year=2030, last=0))  # the insert race is covered by IntegrityError
    db.session.commit()
    got: list[str] = []
    errors: list[BaseException] = []

    def worker():
        try:
            with app.app_context():
                for _ in range(5):
                    got.append(services.next_registration_no(_db.session, 2030))
                    _db.session.commit()
                _db.session.remove()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(got) == [f"豫成登〔2030〕{n:06d}" for n in range(1, 16)]
