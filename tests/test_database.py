"""SQLite savepoints on pysqlite: releasing one never commits the transaction around it."""

from __future__ import annotations

import sqlalchemy as sa

from federation.database import init_engine


def test_a_savepoint_before_any_write_does_not_commit_on_release(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'savepoints.db'}")
    init_engine(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE item (name TEXT)")
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT count(*) FROM item").scalar_one()  # a read first, as services do
        with connection.begin_nested():
            connection.exec_driver_sql("INSERT INTO item VALUES ('first')")
        connection.rollback()  # e.g. the second item of a batch failed
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM item").scalar_one() == 0
    engine.dispose()
