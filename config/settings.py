"""Outbound settings, read from the environment (django-environ).

Defaults run the zero-setup demo (SQLite, django-q2's ORM broker, console e-mail). Values that are
wrong fail loudly at start-up, naming the variable, rather than falling back to something unsafe
(booleans and numbers are read with the helpers in config.env). Every setting the code reads is
declared here, with its only default, and listed in docs/configuration.md (the README lists the essential ones).
"""

import ipaddress
import re
from email.utils import parseaddr
from pathlib import Path

import environ

from config.env import env_addresses, env_bool, env_float, env_int

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (written by `make demo`) supplies the demo's SECRET_KEY and credential keys. Real
# environment variables always win over it.
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else "insecure-demo-key-do-not-use-in-production")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set (or DEBUG=True for a local demo).")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "config.apps.OutboundAdminConfig",  # django.contrib.admin, its index an operator overview
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "audit",
    "stores",
    "outbox",
    "webhooks",
    "carriers",
    "orders",
    "shipments",
    "tracking",
    "labels",
    "packing",
    "hooks",
    "api",
    "portal",
    "ops",
]

MIDDLEWARE = [
    "config.request_id.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Two-factor sign-in (docs/two-factor.md): whether this session passed its second factor, then the rule
    # that sends who needs one (operators in the admin, a team that requires it) to enrol or to the code.
    "django_otp.middleware.OTPMiddleware",
    "portal.twofactor.middleware.TwoFactorMiddleware",
    # The request, for the audit trail's who and from where (docs/audit.md).
    "audit.context.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: locks out repeated bad passwords on the portal and the admin alike.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", default=0.25)
# Per (username, IP) at AXES_FAILURE_LIMIT, and per IP alone at LOGIN_IP_FAILURE_LIMIT (config/login_limit.py).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "config.login_limit.LoginLimitHandler"
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", default=30)
AXES_RESET_ON_SUCCESS = True
# Off: no "AXES: BEGIN …" banner from every process (four at demo start) and shorter lockout log lines.
AXES_VERBOSE = env_bool("AXES_VERBOSE", default=False)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Proxies in front of Outbound that append the client's address to X-Forwarded-For (config/client_ip.py):
# behind BEHIND_TLS_PROXY, REMOTE_ADDR is the proxy's and would lock every visitor out together.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise environ.ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# Password-reset e-mails: at most this many per address, and per client address, in an hour
# (portal.views.auth: the reset form).
PASSWORD_RESET_LIMIT_PER_EMAIL = env_int("PASSWORD_RESET_LIMIT_PER_EMAIL", default=3)
PASSWORD_RESET_LIMIT_PER_CLIENT = env_int("PASSWORD_RESET_LIMIT_PER_CLIENT", default=10)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "config.sqlite"
    # The ORM broker and the web server share one SQLite file in the demo: wait for locks instead of
    # failing at once, and let readers run beside the writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# One date and one date-and-time format per language on every page (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Outbound <no-reply@outbound.localhost>")
if "@" not in parseaddr(DEFAULT_FROM_EMAIL)[1]:  # buyer e-mails use its address with the store's name
    raise environ.ImproperlyConfigured(f"DEFAULT_FROM_EMAIL={DEFAULT_FROM_EMAIL!r} holds no e-mail address.")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Store credentials ----------------------------------------------------------------------------
# Fernet keys, newest first. Secrets are encrypted with the first and readable with any, so a key is
# rotated by putting a new one in front and keeping the old one until every store has been re-saved.
CREDENTIAL_KEYS = env.list("CREDENTIAL_KEYS", default=[])

# Store URLs are user input the server fetches: private and loopback hosts are refused unless the
# operator allows them (the demo and the tests do, for the sandbox store on 127.0.0.1).
ALLOW_PRIVATE_STORE_HOSTS = env_bool("ALLOW_PRIVATE_STORE_HOSTS", default=False)
# Seconds one store request may take in all (every attempt and every byte of the answer): a store that
# drips its answer is cut off then, so it holds no worker for long. Keep it well below Q_TIMEOUT.
STORE_REQUEST_DEADLINE = env_float("STORE_REQUEST_DEADLINE", default=120.0)
# Plain-http store URLs are refused in production unless the operator allows them.
ALLOW_HTTP_STORE_URLS = env_bool("ALLOW_HTTP_STORE_URLS", default=DEBUG)

# --- AmeriCommerce OAuth app (the REST road's one-click connect) --------------------------------------
# An agency that registered an app in AmeriCommerce's admin console (Tools › Apps & Addons › API Apps &
# Integrations) gives its id and secret here; the portal then offers "Connect with AmeriCommerce". Both
# empty (the default): no OAuth button, stores connect with an API token or the ShipStation add-on.
AMERICOMMERCE_OAUTH_CLIENT_ID = env.str("AMERICOMMERCE_OAUTH_CLIENT_ID", default="")
AMERICOMMERCE_OAUTH_SECRET = env.str("AMERICOMMERCE_OAUTH_SECRET", default="")
# The scopes asked for, space-separated (see the vendor's docs/scopes.md): orders and their shipments and
# statuses (orders supersedes read_orders), buyers' e-mail addresses, products (warehouse location,
# e-products), and the storefront list.
AMERICOMMERCE_OAUTH_SCOPES = env.str("AMERICOMMERCE_OAUTH_SCOPES", default="orders read_people read_catalog system")
# The address stores can reach Outbound at (e.g. https://outbound.example.com): a REST store's webhooks
# call {PUBLIC_BASE_URL}/hooks/americommerce/<token>/. Blank: no webhooks (real time off, the schedule imports).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
# Orders one store's webhooks may leave waiting for their targeted fetch. Beyond it an event is left to the
# schedule unless it names an order Outbound holds or a likely new one (hooks.services: a flood of forged
# ids on a leaked receiver URL costs the store's API budget nothing more).
HOOKS_MAX_PENDING_PER_STORE = env_int("HOOKS_MAX_PENDING_PER_STORE", default=200)

# --- django-q2: one cluster (queue) per kind of work -----------------------------------------------
# Four queues, each with its own workers, so one tenant's batch never stalls another's imports
# (docs/queues.md): `imports` (the schedule's ticks, import runs, real-time fetches, housekeeping), `outbox`
# (the relay sending store updates, e-mails, webhooks), `batches` (batches, CSV applies, printing) and
# `tracking` (carrier polls). core.queues routes every task and schedule to its queue. Run one
# `manage.py qcluster` per queue with Q_CLUSTER_NAME set to the queue's name, or `manage.py qclusters` for
# all four. Q_SITE names the installation: the imports queue carries it (the one a bare `qcluster` runs),
# the others are named after it unless named here; it also salts the queued payloads, so every process of
# one installation must share it.
# `retry` must exceed `timeout` or a long task is handed to a second worker while the first still
# runs; `max_attempts` must be finite or a poison task loops for ever. ops.checks enforces both, per queue.
REDIS_URL = env.str("REDIS_URL", default="")
Q_SITE = env.str("Q_SITE", default="outbound")
Q_QUEUES = {
    # orders/importing/schedule.py: why three import workers.
    "imports": {
        "name": Q_SITE,
        "workers": env_int("Q_WORKERS", default=3),
        "timeout": env_int("Q_TIMEOUT", default=900),
        "retry": env_int("Q_RETRY", default=1200),
    },
    # A relay task sends for at most OUTBOX_RELAY_BUDGET_SECONDS, then hands over to the next one.
    "outbox": {
        "name": env.str("Q_OUTBOX_NAME", default=f"{Q_SITE}-outbox"),
        "workers": env_int("Q_OUTBOX_WORKERS", default=2),
        "timeout": env_int("Q_OUTBOX_TIMEOUT", default=300),
        "retry": env_int("Q_OUTBOX_RETRY", default=420),
    },
    # A batch task applies BATCH_CHUNK_SIZE orders and queues its next chunk; printing renders here too.
    "batches": {
        "name": env.str("Q_BATCHES_NAME", default=f"{Q_SITE}-batches"),
        "workers": env_int("Q_BATCHES_WORKERS", default=2),
        "timeout": env_int("Q_BATCHES_TIMEOUT", default=900),
        "retry": env_int("Q_BATCHES_RETRY", default=1200),
    },
    # TRACKING_Q_CLUSTER: the name this queue had when it was optional (kept for existing deployments).
    "tracking": {
        "name": env.str("Q_TRACKING_NAME", default="")
        or env.str("TRACKING_Q_CLUSTER", default="")
        or f"{Q_SITE}-tracking",
        "workers": env_int("Q_TRACKING_WORKERS", default=1),
        "timeout": env_int("Q_TRACKING_TIMEOUT", default=900),
        "retry": env_int("Q_TRACKING_RETRY", default=1200),
    },
}
Q_CLUSTER = {
    "name": Q_SITE,
    "workers": Q_QUEUES["imports"]["workers"],
    "timeout": Q_QUEUES["imports"]["timeout"],
    "retry": Q_QUEUES["imports"]["retry"],
    "max_attempts": env_int("Q_MAX_ATTEMPTS", default=3),
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "poll": env_float("Q_POLL", default=0.2),
    "label": "Task queue",
    "sync": env_bool("Q_SYNC", default=False),
    # django-q2 reads the entry named by Q_CLUSTER_NAME (a qcluster's environment) over the values above.
    "ALT_CLUSTERS": {
        queue["name"]: {key: queue[key] for key in ("workers", "timeout", "retry")}
        for kind, queue in Q_QUEUES.items()
        if kind != "imports"
    },
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
# The queue a `manage.py qcluster` runs (django-q2 reads it; empty: the imports queue). One that names no
# queue would wait on a list nobody fills: refused here.
Q_CLUSTER_NAME = env.str("Q_CLUSTER_NAME", default="")
if Q_CLUSTER_NAME and Q_CLUSTER_NAME not in {q["name"] for q in Q_QUEUES.values()}:
    raise environ.ImproperlyConfigured(
        f"Q_CLUSTER_NAME={Q_CLUSTER_NAME!r} names no queue; the queues are "
        + ", ".join(sorted(q["name"] for q in Q_QUEUES.values()))
        + " (Q_SITE names the installation)."
    )

# Where each REST store's call budget lives (the vendor's calls per 10 s, shared by every process that
# talks to the store; docs/store-budget.md): in Redis when REDIS_URL is set, otherwise in the database (a
# row per store, changed by a conditional UPDATE). Never per process.
# stores/platforms/americommerce/budget.py refuses anything else.
STORE_CALL_BUDGET = "redis" if REDIS_URL else "database"

# --- Imports -------------------------------------------------------------------------------------
IMPORT_OVERLAP_SECONDS = env_int("IMPORT_OVERLAP_SECONDS", default=600)  # each window re-reads 10 minutes
IMPORT_LEASE_SECONDS = env_int("IMPORT_LEASE_SECONDS", default=300)  # a run silent this long is presumed dead
IMPORT_FIRST_DAYS = env_int("IMPORT_FIRST_DAYS", default=30)  # first import, when the user picks no date
# A first import holding more orders than this goes in spans, the watermark saved after each (about a
# third of Q_TIMEOUT at ~1,000 orders/s, so each span finishes well inside one task's time).
IMPORT_SPAN_MAX_ORDERS = env_int("IMPORT_SPAN_MAX_ORDERS", default=300_000)
# Retention of finished import runs (pruned hourly): runs that brought nothing, failed runs, and runs
# that created or updated orders. A scheduled check that finds nothing new writes no run at all.
IMPORT_RUNS_KEEP_IDLE_DAYS = env_int("IMPORT_RUNS_KEEP_IDLE_DAYS", default=2)
IMPORT_RUNS_KEEP_FAILED_DAYS = env_int("IMPORT_RUNS_KEEP_FAILED_DAYS", default=30)
IMPORT_RUNS_KEEP_PRODUCTIVE_DAYS = env_int("IMPORT_RUNS_KEEP_PRODUCTIVE_DAYS", default=90)

# --- Outbox (shipment notices to the store) --------------------------------------------------------
# A failed send is retried after OUTBOX_BASE_DELAY_SECONDS·2^(attempt-1) (±25 % jitter, at most
# OUTBOX_MAX_DELAY_SECONDS): 10 attempts span about a day. A relay's claim on a row lasts
# OUTBOX_LEASE_SECONDS, after which a relay that died mid-send is presumed dead and the row sent again.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_BASE_DELAY_SECONDS = env_int("OUTBOX_BASE_DELAY_SECONDS", default=170)
OUTBOX_MAX_DELAY_SECONDS = env_int("OUTBOX_MAX_DELAY_SECONDS", default=12 * 3600)
# The relay (the outbox queue's task, kicked when rows are written, at most one waiting) claims rounds of
# up to OUTBOX_RELAY_ROUND due rows, at most OUTBOX_RELAY_PER_LANE of one tenant's store (or kind) per
# round, lanes oldest-due first: a tenant with 500 waiting updates delays another's by one round at most.
# It sends for OUTBOX_RELAY_BUDGET_SECONDS (well inside the outbox queue's timeout), then queues its successor.
OUTBOX_RELAY_ROUND = env_int("OUTBOX_RELAY_ROUND", default=50)
OUTBOX_RELAY_PER_LANE = env_int("OUTBOX_RELAY_PER_LANE", default=10)
OUTBOX_RELAY_BUDGET_SECONDS = env_float("OUTBOX_RELAY_BUDGET_SECONDS", default=30.0)
if not (OUTBOX_RELAY_ROUND >= OUTBOX_RELAY_PER_LANE >= 1):
    raise environ.ImproperlyConfigured("OUTBOX_RELAY_ROUND must be at least OUTBOX_RELAY_PER_LANE, itself at least 1.")
if OUTBOX_RELAY_BUDGET_SECONDS >= Q_QUEUES["outbox"]["timeout"]:
    raise environ.ImproperlyConfigured("OUTBOX_RELAY_BUDGET_SECONDS must stay below the outbox queue's timeout.")

# --- Batches (ship, mark delivered, re-send, CSV imports), applied by a worker ------------------------
# A worker applying a batch renews its lease every quarter of BATCH_LEASE_SECONDS; a batch unfinished
# whose lease ran out (its worker died, its task was lost or raised) is handed to a worker again by the
# minute sweep, at most BATCH_MAX_ATTEMPTS times in all, after which it stops with its error shown.
BATCH_LEASE_SECONDS = env_int("BATCH_LEASE_SECONDS", default=120)
BATCH_MAX_ATTEMPTS = env_int("BATCH_MAX_ATTEMPTS", default=5)
# A batch task applies BATCH_CHUNK_SIZE orders, then queues its next chunk behind the other batches waiting,
# so tenants' batches interleave; at most BATCH_TENANT_CONCURRENCY batch tasks of one tenant run at once
# (a tenant's further batches wait their turn; other tenants' go ahead).
BATCH_CHUNK_SIZE = env_int("BATCH_CHUNK_SIZE", default=25)
BATCH_TENANT_CONCURRENCY = env_int("BATCH_TENANT_CONCURRENCY", default=1)
if BATCH_CHUNK_SIZE < 1 or BATCH_TENANT_CONCURRENCY < 1:
    raise environ.ImproperlyConfigured("BATCH_CHUNK_SIZE and BATCH_TENANT_CONCURRENCY must be at least 1.")

# --- Label batches (labels.batches, docs/labels.md#batches) --------------------------------------------
# A confirmed batch is bought by LABEL_BATCH_WORKERS tasks at once, each claiming LABEL_BATCH_CHUNK orders
# with a lease of LABEL_BATCH_LEASE_SECONDS (renewed before each purchase); items whose lease ran out (a
# killed worker) are taken by another. A preview asks the carriers for LABEL_RATE_CONCURRENCY orders at once.
LABEL_BATCH_WORKERS = env_int("LABEL_BATCH_WORKERS", default=2)
LABEL_BATCH_CHUNK = env_int("LABEL_BATCH_CHUNK", default=10)
LABEL_BATCH_LEASE_SECONDS = env_int("LABEL_BATCH_LEASE_SECONDS", default=120)
LABEL_RATE_CONCURRENCY = env_int("LABEL_RATE_CONCURRENCY", default=16)
# A worker buys its chunk LABEL_BATCH_THREADS labels at a time (a purchase mostly waits for the carrier).
LABEL_BATCH_THREADS = env_int("LABEL_BATCH_THREADS", default=4)
if (
    min(LABEL_BATCH_WORKERS, LABEL_BATCH_CHUNK, LABEL_BATCH_LEASE_SECONDS, LABEL_RATE_CONCURRENCY, LABEL_BATCH_THREADS)
    < 1
):
    raise environ.ImproperlyConfigured(
        "LABEL_BATCH_WORKERS, _CHUNK, _LEASE_SECONDS, _THREADS and LABEL_RATE_CONCURRENCY: 1 or more."
    )

# --- Printing (packing slips, pick lists) -------------------------------------------------------------
# A selection of at most PRINT_INLINE_MAX_ORDERS orders is rendered within the request (about 0.12 s of
# CPU a slip: far inside any web worker's timeout); a bigger one becomes a print job rendered by a worker
# (leased like a batch: BATCH_LEASE_SECONDS, BATCH_MAX_ATTEMPTS). A finished job's PDF is kept
# PRINT_JOBS_KEEP_HOURS, then the job is deleted by the minute sweep.
PRINT_INLINE_MAX_ORDERS = env_int("PRINT_INLINE_MAX_ORDERS", default=10)
PRINT_JOBS_KEEP_HOURS = env_int("PRINT_JOBS_KEEP_HOURS", default=24)
if PRINT_INLINE_MAX_ORDERS < 0 or PRINT_JOBS_KEEP_HOURS < 1:
    raise environ.ImproperlyConfigured(
        "PRINT_INLINE_MAX_ORDERS must be 0 or more and PRINT_JOBS_KEEP_HOURS at least 1."
    )

# --- Carrier tracking (the tracking app, karrio) -----------------------------------------------------
# A followed shipment is asked about every TRACKING_POLL_MINUTES in its first two days, 4× that until a
# week, 24× after, and no more after TRACKING_MAX_AGE_DAYS. One carrier request carries up to
# TRACKING_BATCH_SIZE tracking numbers of one account; a cycle hands out at most TRACKING_MAX_PER_CYCLE.
TRACKING_POLL_MINUTES = env_int("TRACKING_POLL_MINUTES", default=60)
TRACKING_MAX_AGE_DAYS = env_int("TRACKING_MAX_AGE_DAYS", default=30)
TRACKING_BATCH_SIZE = env_int("TRACKING_BATCH_SIZE", default=50)
TRACKING_MAX_PER_CYCLE = env_int("TRACKING_MAX_PER_CYCLE", default=20000)
# The buyers' public tracking page (docs/tracking-page.md#limits): after TRACKING_LOOKUP_FAILURE_LIMIT wrong
# lookups from one address within TRACKING_LOOKUP_WINDOW_MINUTES, its lookups are refused until the window ends.
TRACKING_LOOKUP_FAILURE_LIMIT = env_int("TRACKING_LOOKUP_FAILURE_LIMIT", default=30)
TRACKING_LOOKUP_WINDOW_MINUTES = env_int("TRACKING_LOOKUP_WINDOW_MINUTES", default=15)
# Seconds one carrier HTTP request may wait for an answer.
CARRIER_REQUEST_TIMEOUT = env_float("CARRIER_REQUEST_TIMEOUT", default=20.0)

# --- REST framework ------------------------------------------------------------------------------
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="1200/min")  # per API key: N/s, N/min, N/hour or N/day
if not re.fullmatch(r"\d+/[smhd][a-z]*", API_RATE_LIMIT):
    raise environ.ImproperlyConfigured(f"API_RATE_LIMIT={API_RATE_LIMIT!r} is not a rate such as 1200/min.")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ApiKeyAuthentication", "api.auth.TenantSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.TenantPermission"],
    "DEFAULT_PAGINATION_CLASS": "api.plumbing.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "api.plumbing.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.plumbing.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_RATE_LIMIT},
    "EXCEPTION_HANDLER": "api.base.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Outbound API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Stores, orders, shipments, imports and webhooks of one tenant. Authenticate with "
    '`Authorization: Bearer <API key>`. Errors are always `{"error": {"code", "message", "details"}}`.',
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ProductKindEnum": "orders.models.ProductKind",
        "WeightUnitEnum": "stores.models.WeightUnit",
        "PackageWeightUnitEnum": "carriers.models.MassUnit",
    },
    # Swagger UI's assets come from the drf-spectacular-sidecar package, not a CDN: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# A shared cache (API throttling counts per key across processes) when Redis is configured; a per-process
# memory cache otherwise, which is enough for the single-process demo.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Security: on by default when DEBUG is off ----------------------------------------------------
_secure = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=_secure)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=_secure)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=_secure)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31_536_000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_secure)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=_secure)
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Database sessions that refuse a cookie Django did not make (config/sessions.py).
SESSION_ENGINE = "config.sessions"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise environ.ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A webhook address's token is a credential: masked in every line that names its path (config/logmask.py).
    "filters": {"hook_tokens": {"()": "config.logmask.MaskHookTokens"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["hook_tokens"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # WeasyPrint narrates each rendering step at INFO; its warnings (a CSS rule it skips) still show.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "django.request": {"filters": ["hook_tokens"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["hook_tokens"],
        },
    },
}

# --- Operations: health, metrics, structured logs, alerts (docs/operations.md) --------------------------
# One JSON object per log line (with the request, task, tenant, store and run it belongs to) in production;
# plain text with DEBUG (the demo) and in the tests. The token mask stays in the chain either way.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json").lower()
if LOG_FORMAT not in {"json", "text"}:
    raise environ.ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not json or text.")
LOGGING["formatters"]["json"] = {"()": "config.logjson.JsonFormatter"}
LOGGING["formatters"]["text"] = {"()": "config.logjson.TextFormatter"}
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
if LOG_FORMAT == "json":
    LOGGING["handlers"]["django.server"]["formatter"] = "json"
# Who operator alerts (and Django's error mails) go to: `Ops <ops@example.com>,b@example.com`. Empty: nobody,
# which `check --deploy` refuses in production (ops.checks).
ADMINS = env_addresses("ADMINS")
MANAGERS = ADMINS
# /health/ready: a queue whose cluster has not been seen for this long is down; an outbox row due this long
# and not yet sent means the relay is stuck. Clusters write their heartbeat every HEALTH_HEARTBEAT_SECONDS.
HEALTH_CLUSTER_MAX_AGE_SECONDS = env_int("HEALTH_CLUSTER_MAX_AGE_SECONDS", default=300)
HEALTH_HEARTBEAT_SECONDS = env_int("HEALTH_HEARTBEAT_SECONDS", default=30)
# Load balancers probe over plain HTTP: /health/ is answered there, never redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
HEALTH_OUTBOX_MAX_DUE_MINUTES = env_int("HEALTH_OUTBOX_MAX_DUE_MINUTES", default=15)
if HEALTH_HEARTBEAT_SECONDS < 1 or HEALTH_HEARTBEAT_SECONDS * 2 > HEALTH_CLUSTER_MAX_AGE_SECONDS:
    raise environ.ImproperlyConfigured(
        "HEALTH_HEARTBEAT_SECONDS must be at least 1 and at most half of HEALTH_CLUSTER_MAX_AGE_SECONDS."
    )
# /metrics answers a request bearing METRICS_TOKEN (`Authorization: Bearer …`) or coming from one of
# METRICS_ALLOWED_NETWORKS (CIDRs, comma-separated); neither set: nobody.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise environ.ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS: {_network!r} is not a network such as 10.0.0.0/8 or 127.0.0.1."
        ) from None
