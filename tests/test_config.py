"""Settings come from FEDERATION_* variables, typed, over the class defaults."""

from __future__ import annotations

from pathlib import Path

from federation import create_app


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("FEDERATION_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("FEDERATION_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("FEDERATION_DEFAULT_REGION", "HK")
    app = create_app(instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'x.db'}"
    assert app.config["MAX_CONTENT_LENGTH"] == 4096
    assert app.config["DEFAULT_REGION"] == "HK"


def test_embedded_database_lives_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("FEDERATION_DATABASE_URL", raising=False)
    app = create_app(instance_path=str(tmp_path / "inst"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{Path(tmp_path / 'inst' / 'federation.db')}"
    assert (tmp_path / "inst").is_dir()


def test_sql_parameters_never_reach_an_exception_text_or_the_log(db, caplog):
    """Exceptions are logged with their text: the engine hides statement parameters (both backends)."""
    import pytest
    import sqlalchemy as sa

    canary = "13800138000-appellant@example.cn"
    with caplog.at_level("INFO", logger="sqlalchemy.engine"), pytest.raises(sa.exc.DBAPIError) as failed:
        db.session.execute(sa.text("SELECT 1 FROM no_such_table WHERE x = :value"), {"value": canary})
    db.session.rollback()
    assert canary not in str(failed.value) and "parameters hidden" in str(failed.value)
    assert canary not in caplog.text
    assert db.engine.echo is False
