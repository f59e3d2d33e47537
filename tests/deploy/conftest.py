import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "deploy: starts the production configuration on loopback (PostgreSQL, Redis, an S3 "
        "server, gunicorn, the task consumer); runs in the normal suite and in CI, skips when "
        "redis-server or PostgreSQL is missing unless DADKHAH_REQUIRE_ALL=1",
    )
