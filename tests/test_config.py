from dadkhah import config


def test_settings_come_from_the_environment(tmp_path):
    cfg = config.load(
        {"DADKHAH_HOME": str(tmp_path / "home"), "DATABASE_URL": "postgres://x@127.0.0.1/y"}
    )
    assert cfg.home == (tmp_path / "home").resolve()
    assert cfg.database_url == "postgres://x@127.0.0.1/y"
    assert not cfg.debug
    # The secret key is a file under DADKHAH_HOME/keys, created once, readable by its owner only.
    key = cfg.home / "keys" / "django-secret"
    assert key.read_text().strip() == cfg.secret_key
    assert key.stat().st_mode & 0o077 == 0
    assert config.load({"DADKHAH_HOME": str(tmp_path / "home")}).secret_key == cfg.secret_key


def test_defaults_are_declared_once():
    names = [s.env for s in config.SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.help for s in config.SETTINGS)
