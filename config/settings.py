"""targetflow settings: everything that differs between machines comes from the environment.

Without any environment the project runs on the embedded default: SQLite in
var/db.sqlite3, an in-process cache, and Celery tasks run in-process (no Redis).
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
# The fallback key only serves the embedded demo; production sets SECRET_KEY.
DEMO_SECRET_KEY = "insecure-targetflow-demo-key-set-SECRET_KEY-in-production"
SECRET_KEY = env("SECRET_KEY", default=DEMO_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "guardian",
    "config.login_protection.LoginProtectionConfig",  # django-axes, named 登录保护
    "csp",
    "django_celery_beat",
    # not "viewflow": the approval engine uses viewflow.fsm, a library that needs no app; the app would only add two
    # middlewares for viewflow's own sites and Turbo forms (neither used here) and, when ready, import django.test
    "projects",
    "people",
    "workdays",
    "workflow",
    "sheets",
    "spending",
    "monitoring",
    "evaluations",
    "adjustments",  # before notifications: an approved adjustment is applied before the move's messages are written
    "notifications",
    "exports",
    "library",
    "wecom",
]

MIDDLEWARE = [
    # first of all: every connection a request opens waits on locks and statements only so long (core/busy.py)
    "core.busy.WebDatabaseTimeoutsMiddleware",
    # then: /healthz answers before the host check and the HTTPS redirect (container health probes)
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.unstorable.UnstorableTextMiddleware",  # refuses NUL and lone surrogates in the path, query and form (400)
    "core.handlers.AppErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["people.templatetags.people_tags"],  # {{ user|person }}: 姓名 in Chinese order, everywhere
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.nav_badges",
                "people.context_processors.people_admin",
                "monitoring.context_processors.monitoring_nav",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
# Each web and worker process keeps its connection between requests (checked before reuse): a new one per request
# costs a PostgreSQL backend start and its cold catalog caches, 6–13 ms of every request on the benchmark machine.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# PostgreSQL's JIT compiles a plan whose estimated cost is high (a province's queues and lists estimate millions) for
# 100–600 ms, on queries that then run in 1–130 ms: off for every connection (the benchmark's 待办 of finance: 2.6 s → ms)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = (options.get("options", "") + " -c jit=off").strip()
    # Prepared statements (parsed and planned once per connection, not on every run). "selected" (the default): the
    # statements run through ``core.db.prepared_cursor`` — those every page or move repeats with other values (the nav
    # badges, 待办's read, the role summary, one grant's lookup) — prepared on their first run; Django's own cursors
    # bind on the client and are never prepared. "all": every statement's parameters bound by PostgreSQL and a
    # statement run twice prepared (one approve in process 7.2 → 5.5 ms; but a statement may then run on a plan made
    # for other values, e.g. a search's LIKE pattern). "off": none, behind a pooler that cannot keep a connection's
    # prepared statements (pgbouncer in transaction mode before 1.21).
    # Under "selected" PostgreSQL plans a prepared statement once, for any values (plan_cache_mode=force_generic_plan,
    # which touches prepared statements only): by default it plans the first five runs of each on every connection, and
    # a connection lives DB_CONN_MAX_AGE seconds, so a page visited now and then never got past them. Hence the rule for
    # what runs through ``prepared_cursor``: a statement whose best plan does not depend on the values bound.
    prepared = env("DB_PREPARED_STATEMENTS", default="selected")
    if prepared not in ("selected", "all", "off"):
        raise ImproperlyConfigured(f"DB_PREPARED_STATEMENTS 只能是 selected、all 或 off，而不是“{prepared}”。")
    if prepared == "all":
        options["server_side_binding"] = True
        options["prepare_threshold"] = 2
    elif prepared == "off":
        options.setdefault("prepare_threshold", None)
    else:
        options.setdefault("prepare_threshold", 0)
        options["options"] += " -c plan_cache_mode=force_generic_plan"
# Except under the development server (`make run`, manage.py runserver): it serves each request in a thread of its own,
# so a kept connection is never used again and they pile up until PostgreSQL refuses new ones ("too many clients").
if sys.argv[1:2] == ["runserver"]:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A web request waits at most this many seconds for a lock, and runs a statement at most this long (PostgreSQL's
# lock_timeout and statement_timeout; 0: no limit), then answers 503 稍后再试 (core/busy.py). Workers, beat and
# management commands keep PostgreSQL's defaults.
DB_WEB_LOCK_TIMEOUT = env.float("DB_WEB_LOCK_TIMEOUT", default=5.0)
DB_WEB_STATEMENT_TIMEOUT = env.float("DB_WEB_STATEMENT_TIMEOUT", default=30.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins before the password is checked
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object; the public pages need none

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
WHITENOISE_USE_FINDERS = True  # serve app and project static files without collectstatic (make run)
STATICFILES_DIRS = [BASE_DIR / "static"]

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # CACHE_KEY_PREFIX keeps processes sharing one Redis apart: each pytest-xdist worker of `make test-fast` (its
    # PYTEST_XDIST_WORKER, set before settings load) has its own test database and so its own cache keys.
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=os.environ.get("PYTEST_XDIST_WORKER", "")),
    }}
    # every signed-in request reads its session: from Redis, the database only when Redis has lost it
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no Redis (the embedded default) tasks run in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Enqueueing happens after a user's action commits: give up quickly when Redis is down (the outbox sweep delivers later).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600, "socket_connect_timeout": 3, "socket_timeout": 10}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "daily-reminders": {
        "task": "notifications.tasks.run_daily_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "sweep-outbox": {
        "task": "notifications.tasks.sweep_outbox",
        "schedule": float(env.int("NOTIFY_SWEEP_SECONDS", default=300)),
    },
    "nudge-reviewers": {
        "task": "notifications.tasks.nudge_reviewers",
        "schedule": crontab(hour=9, minute=30),
    },
    "calendar-check": {
        "task": "notifications.tasks.warn_missing_calendar",
        "schedule": crontab(hour=8, minute=30),
    },
    "expire-exports": {
        "task": "exports.tasks.expire_export_jobs",
        "schedule": crontab(minute=15),
    },
    "sweep-exports": {
        "task": "exports.tasks.sweep_export_jobs",
        "schedule": float(env.int("EXPORT_SWEEP_SECONDS", default=300)),
    },
    "worker-heartbeat": {
        "task": "config.celery.heartbeat",
        "schedule": float(env.int("HEALTH_HEARTBEAT_SECONDS", default=30)),
    },
}
# Beat keeps the schedule and each task's last run in the database (django-celery-beat), not in a
# file of the container: a restarted beat neither forgets nor repeats a run. On start it writes the
# entries above into the database (admin: 周期性任务); entries added in the admin are kept too.
# Any number of beats may run (one per machine): only the one holding the lease BEAT_LOCK_KEY in Redis sends, the
# others stand by and take over within BEAT_LOCK_SECONDS when it stops (config/beat.py).
CELERY_BEAT_SCHEDULER = "config.beat:LeaderDatabaseScheduler"
BEAT_LOCK_KEY = env("BEAT_LOCK_KEY", default="targetflow:beat:leader")
BEAT_LOCK_SECONDS = env.int("BEAT_LOCK_SECONDS", default=30)
DJANGO_CELERY_BEAT_TZ_AWARE = True

# /healthz (config/health.py): the worker's heartbeat key in Redis must be younger than this.
HEALTH_HEARTBEAT_SECONDS = env.int("HEALTH_HEARTBEAT_SECONDS", default=30)
HEALTH_WORKER_MAX_AGE_SECONDS = env.int("HEALTH_WORKER_MAX_AGE_SECONDS", default=120)
HEALTH_REDIS_KEY = env("HEALTH_REDIS_KEY", default="targetflow:health:worker")

# Without an SMTP host (the embedded demo) mail is printed to the console instead of sent.
EMAIL_HOST = env("EMAIL_HOST", default="")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="targetflow <noreply@targetflow.local>")

WECOM_BASE_URL = env("WECOM_BASE_URL", default="https://qyapi.weixin.qq.com").rstrip("/")
WECOM_CORP_ID = env("WECOM_CORP_ID", default="")
WECOM_SECRET = env("WECOM_SECRET", default="")
WECOM_AGENT_ID = env.int("WECOM_AGENT_ID", default=0)
WECOM_TIMEOUT = env.float("WECOM_TIMEOUT", default=5.0)
# A delivery batch's plain messages go out this many at a time (each send mostly waits for WeCom's answer)
WECOM_SEND_THREADS = env.int("WECOM_SEND_THREADS", default=4)
# Access tokens and rate-limit counters live in Redis (REDIS_URL) under this prefix.
WECOM_REDIS_PREFIX = env("WECOM_REDIS_PREFIX", default="targetflow:wecom:")
# Signing in from WeCom (OAuth2 snsapi_base, docs/wecom.md): the authorize page's base (政务微信 and
# private deployments have their own host) and our site's base as registered as the application's
# 可信域名 (scheme, host and port: redirect_uri must be on it). Callbacks: Token and EncodingAESKey
# of the application's 接收消息 settings; callbacks older or newer than the window are refused.
WECOM_AUTHORIZE_URL = env("WECOM_AUTHORIZE_URL", default="https://open.weixin.qq.com/connect/oauth2/authorize")
WECOM_TRUSTED_BASE_URL = env("WECOM_TRUSTED_BASE_URL", default=SITE_URL).rstrip("/")
WECOM_CALLBACK_TOKEN = env("WECOM_CALLBACK_TOKEN", default="")
WECOM_ENCODING_AES_KEY = env("WECOM_ENCODING_AES_KEY", default="")
WECOM_CALLBACK_WINDOW_SECONDS = env.int("WECOM_CALLBACK_WINDOW_SECONDS", default=300)

# Notification outbox: delivery queue, retries with exponential backoff, the sweep.
NOTIFY_QUEUE = env("NOTIFY_QUEUE", default="celery")
# Exports (exports app): from this many sheets a Word package or Excel summary is built by a Celery task on
# EXPORT_QUEUE and kept EXPORT_KEEP_HOURS for its owner to download.
EXPORT_QUEUE = env("EXPORT_QUEUE", default="celery")
EXPORT_BACKGROUND_FROM = env.int("EXPORT_BACKGROUND_FROM", default=1000)
EXPORT_KEEP_HOURS = env.int("EXPORT_KEEP_HOURS", default=24)
# The files of background exports (a province's Excel summary is over 100 MB): a directory the web app and every
# worker share (docker-compose: the exports-data volume), made when first needed; streamed to their owner from here.
EXPORTS_ROOT = Path(env("EXPORTS_ROOT", default=str(BASE_DIR / "var" / "exports")))
# At most this many queued or running exports per person. The sweep (every EXPORT_SWEEP_SECONDS) queues again a job
# not started EXPORT_REQUEUE_MINUTES after it was queued (its task was lost) or running without progress for
# EXPORT_STALE_MINUTES (its worker stopped), and fails it with a reason once it was queued EXPORT_MAX_ATTEMPTS times.
EXPORT_MAX_ACTIVE_PER_USER = env.int("EXPORT_MAX_ACTIVE_PER_USER", default=3)
EXPORT_SWEEP_SECONDS = env.int("EXPORT_SWEEP_SECONDS", default=300)
EXPORT_REQUEUE_MINUTES = env.int("EXPORT_REQUEUE_MINUTES", default=10)
EXPORT_STALE_MINUTES = env.int("EXPORT_STALE_MINUTES", default=15)
EXPORT_MAX_ATTEMPTS = env.int("EXPORT_MAX_ATTEMPTS", default=3)
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=30.0)
NOTIFY_RETRY_MAX_SECONDS = env.float("NOTIFY_RETRY_MAX_SECONDS", default=3600.0)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=12)
NOTIFY_SWEEP_GRACE_SECONDS = env.int("NOTIFY_SWEEP_GRACE_SECONDS", default=60)
NOTIFY_SWEEP_BATCH = env.int("NOTIFY_SWEEP_BATCH", default=500)
NOTIFY_SWEEP_REQUEUE_SECONDS = env.int("NOTIFY_SWEEP_REQUEUE_SECONDS", default=600)
NOTIFY_SENDING_TIMEOUT_SECONDS = env.int("NOTIFY_SENDING_TIMEOUT_SECONDS", default=900)
# The worker (and the sweep) writing a move's notifications waits at most this many seconds for a lock on the outbox,
# then lets go and tries again later (notifications.pickup).
NOTIFY_FAN_OUT_LOCK_TIMEOUT = env.float("NOTIFY_FAN_OUT_LOCK_TIMEOUT", default=10.0)
# Each worker listens for moves whose notifications are pending (PostgreSQL NOTIFY: picked up at once) and also looks
# every this many seconds without being told (a notification missed while it reconnected; SQLite, which has none).
NOTIFY_PICKUP_POLL_SECONDS = env.float("NOTIFY_PICKUP_POLL_SECONDS", default=10.0)
# false: this worker does not listen (another does); the sweep still writes what is left.
NOTIFY_PICKUP_LISTEN = env.bool("NOTIFY_PICKUP_LISTEN", default=True)
NOTIFY_EMAIL_SUBJECT_PREFIX = env("NOTIFY_EMAIL_SUBJECT_PREFIX", default="【预算绩效】")
# Automatic revival of failed rows (notifications.sweep.outbox_sweep): at most this many per row, and while
# a channel stays silent one probe row per channel every NOTIFY_REVIVE_PROBE_SECONDS.
NOTIFY_MAX_REVIVALS = env.int("NOTIFY_MAX_REVIVALS", default=3)
NOTIFY_REVIVE_PROBE_SECONDS = env.int("NOTIFY_REVIVE_PROBE_SECONDS", default=3600)

NUDGE_AFTER_WORKDAYS = env.int("NUDGE_AFTER_WORKDAYS", default=2)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.handlers.api_exception_handler",
}
SPECTACULAR_SETTINGS = {"TITLE": "targetflow API", "VERSION": "1.0.0"}

# Word uploads: the importer enforces its own caps; Django keeps uploads up to this in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# ---------------------------------------------------------------------------------------------
# Deployment security (issue 10). HTTPS-only settings are off by default so that `make run`
# works on http://127.0.0.1:8000; production turns them on from the environment (.env.example),
# and scripts/check-deploy.sh runs `manage.py check --deploy` with those values.
# ---------------------------------------------------------------------------------------------

# Refuse to serve real users with a published key (the demo key, or the .env.example placeholder
# left unchanged): only the demo (`make run`) and the tests set TARGETFLOW_DEMO=1.
_published_key = SECRET_KEY == DEMO_SECRET_KEY or SECRET_KEY.startswith("CHANGE-ME")
if not DEBUG and _published_key and not env.bool("TARGETFLOW_DEMO", default=False):
    raise ImproperlyConfigured(
        "拒绝启动：生产模式（DEBUG=false）下不能使用演示密钥或 .env.example 中的示例 SECRET_KEY。"
        "请通过环境变量 SECRET_KEY 设置一段足够长的随机字符串（至少 50 个字符）；"
        "仅在本机运行演示时才可设置 TARGETFLOW_DEMO=1（make run 会设置；在演示数据库上运行命令时请写成 "
        "TARGETFLOW_DEMO=1 .venv/bin/python manage.py …）。"
    )

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (only if
# the proxy always sets or strips that header; otherwise clients could claim HTTPS).
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER 应为“请求头,取值”，例如 HTTP_X_FORWARDED_PROTO,https")
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header)
SECURE_CONTENT_TYPE_NOSNIFF = env.bool("SECURE_CONTENT_TYPE_NOSNIFF", default=True)
X_FRAME_OPTIONS = env("X_FRAME_OPTIONS", default="DENY")
SECURE_REFERRER_POLICY = env("SECURE_REFERRER_POLICY", default="same-origin")

# Content-Security-Policy (django-csp 4): our own origin only. The few inline blocks that the
# templates still carry are allowed by their exact hash (tests/test_security_settings.py fails
# when one changes); new inline <script> needs nonce="{{ request.csp_nonce }}".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [
            SELF,
            NONCE,
            UNSAFE_HASHES,
        ],
        "style-src": [
            SELF,
            UNSAFE_HASHES,
            "'sha256-6tHtB5v6413eJcRAHVnFhG9BMg1IiHVHnYaxIc+e7P8='",  # style= of the <body> of 500.html
        ],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Login throttling (django-axes): 5 failures for one username from one address lock that
# combination for 15 minutes; the login page then answers 429 with the lockout message.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/login.html"  # shows 登录失败次数过多… when `failure_limit` is set
AXES_HTTP_RESPONSE_CODE = 429
# Behind N reverse proxies that append to X-Forwarded-For, throttle by the address the outermost one saw
# (config/client_ip.py); 0 (default): REMOTE_ADDR, and the header is not believed.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# Request limits (issue 10, "Bad input and limits"). The editor posts 8 fields per indicator row
# (200 rows at most, projects.validation.MAX_INDICATOR_ROWS) plus the sheet, plan and formset fields.
# The API's JSON bodies are limited by core.parsers.LimitedJSONParser (413 beyond API_MAX_BODY_BYTES,
# 400 beyond API_MAX_JSON_DEPTH levels of nesting): DRF's own parser ignores DATA_UPLOAD_MAX_MEMORY_SIZE.
# ---------------------------------------------------------------------------------------------
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
API_MAX_JSON_DEPTH = 32
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "core.parsers.LimitedJSONParser",
    "core.parsers.LimitedFormParser",
    "core.parsers.LimitedMultiPartParser",
]
# ---------------------------------------------------------------------------------------------
