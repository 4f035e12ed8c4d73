from pathlib import Path

import hypothesis
import pytest
from django.conf import settings
from django.core.management import call_command

SEED_DOCX = Path(settings.BASE_DIR) / "projects" / "fixtures" / "laoting-approval-bureau-targets.docx"

# `make test-fast` runs with --hypothesis-profile=fast: each property test tries a tenth of its examples (they are
# written as multiples of ``hypothesis.settings.default.max_examples``, 100 by default).
hypothesis.settings.register_profile("fast", max_examples=10)


@pytest.fixture(scope="session")
def _exports_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(autouse=True)
def _test_settings(settings, _exports_dir):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Export files (background jobs, the sheet list's Excel) go to the run's temporary directory, not var/exports.
    settings.EXPORTS_ROOT = _exports_dir
    # Every test Client builds its own middleware: WhiteNoise finds a static file when it is asked for, instead of
    # listing every app's static files up front for each Client (0.05–0.2 s a Client, most of a permission matrix).
    settings.WHITENOISE_AUTOREFRESH = True
    # Mail stays in memory unless a test starts the loopback SMTP server (tests/notifications/conftest.py).
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(scope="session", autouse=True)
def _tasks_run_in_process():
    """Delivery tasks run in-process unless a test starts a real worker (the ``broker`` fixture):
    nothing is left queued in Redis for a worker that never comes."""
    from config.celery import app

    saved = app.conf.CELERY_TASK_ALWAYS_EAGER  # the app reads Django's CELERY_* names
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = saved


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo once per run; each test rolls its own changes back."""
    with django_db_blocker.unblock():
        _seed_demo()


def _seed_demo():
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="finance").exists():
        with override_hashers():
            call_command("seed_demo", "--year", "2024", stdout=open("/dev/null", "w"))  # the seed's own year


def override_hashers():
    from django.test import override_settings

    return override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture
def seed_docx() -> Path:
    return SEED_DOCX


@pytest.fixture
def seeded(demo):
    """The seed document imported for 2024."""
    return demo


@pytest.fixture
def demo(db):
    """``seed_demo``: the seed plus sections and one user for every role (reloaded after a transactional test flushed it)."""
    _seed_demo()
