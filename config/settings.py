"""Settings, all read from the environment.

Defaults give the zero-set-up demo: SQLite under ``var/``, Celery eager, local-memory cache.
Production sets ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from accounts.sso import config as sso

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# pytest (8.2+) sets PYTEST_VERSION for the duration of a run.
TESTING = "PYTEST_VERSION" in os.environ

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-only-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "core",
    "accounts",
    "portfolio",
    "feedback",
    "roadmaps",
    "insights",
    "demo",
]

MIDDLEWARE = [
    "accounts.middleware.DatabaseFailClosedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectControlCharactersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.LoginRequiredByDefaultMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.AdminMfaRequiredMiddleware",
]

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
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections are worth ~3x on DB-backed pages (DESIGN.md measurements).
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Connect as another role of the same server and database than DATABASE_URL's user: the
    # service runs as the app role, migrations and backups as the owner (`manage.py db_roles`,
    # accounts/rls.py). Handy when one URL serves all three, as in `make run` on PostgreSQL.
    if os.environ.get("DATABASE_USER"):
        DATABASES["default"]["USER"] = os.environ["DATABASE_USER"]
        DATABASES["default"]["PASSWORD"] = os.environ.get("DATABASE_PASSWORD", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache -------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Give the cache its own Redis database (e.g. /1) so clearing it never empties the task queue.
CACHE_URL = os.environ.get("CACHE_URL", REDIS_URL)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Sessions live in the database only (Django's default), not cached_db: a cached copy that outlives
# a logout while Redis is away would sign the person in again when Redis returns.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request must never hang on a broker that is down (refuses connections) or frozen (accepts
# them and never answers): one retry, and two seconds for a connection or an answer.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_max": 0.5,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    # A worker consuming `-Q notifications,celery` always takes a waiting notification first.
    "queue_order_strategy": "priority",
}
CELERY_TIMEZONE = "Europe/London"
# Notifications have a queue of their own, so a safety concern never waits behind summary work.
# Workers consume both, notifications first: `celery -A config worker -Q notifications,celery`.
CELERY_TASK_ROUTES = {
    "feedback.tasks.safety_concern_notify_task": {"queue": "notifications"},
    "feedback.tasks.status_change_notify_task": {"queue": "notifications"},
    "feedback.tasks.contact_confirmation_send_task": {"queue": "notifications"},
    "accounts.tasks.invitation_send_task": {"queue": "notifications"},
}
CELERY_BEAT_SCHEDULE = {
    # Sends background work whose first send failed or whose worker never finished it.
    "outbox-relay": {"task": "core.tasks.outbox_relay_task", "schedule": 30.0},
    # Sends notifications whose enqueue failed while Redis was down.
    "feedback-notification-sweep": {
        "task": "feedback.tasks.notifications_sweep_task",
        "schedule": 60.0,
    },
    # Re-sends summary refreshes whose task was lost or failed (insights.SummaryRefresh).
    "summary-refresh-sweep": {
        "task": "insights.tasks.summaries_refresh_sweep_task",
        "schedule": 60.0,
    },
    # Requeues usage imports whose worker died (no progress for 10 minutes); deletes finished files.
    "usage-import-requeue-stuck": {
        "task": "portfolio.tasks.usage_imports_requeue_stuck_task",
        "schedule": 120.0,
    },
    "nightly-summary-recompute": {
        "task": "insights.tasks.summaries_recompute_all_task",
        "schedule": crontab(hour=2, minute=15),
    },
    # Deletes expired sessions (Django's clearsessions): sessions live in the database.
    "nightly-sessions-clear": {
        "task": "accounts.tasks.sessions_clear_task",
        "schedule": crontab(hour=3, minute=0),
    },
    "daily-renewal-reminders": {
        "task": "insights.tasks.renewal_reminders_send_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # Reloads ICBs and trusts from the ODS extracts named below: closures, mergers, new codes.
    "monthly-ods-refresh": {
        "task": "accounts.tasks.ods_refresh_task",
        "schedule": crontab(day_of_month=2, hour=4, minute=30),
    },
}

# --- ODS (organisation reference data) ------------------------------------------------------
# Where the monthly refresh reads the ODS extracts (a path the worker can read; put the month's
# files there). Unset: the refresh does nothing and logs that. `manage.py import_ods` is the same
# load by hand.
ODS_ICBS_FILE = os.environ.get("ODS_ICBS_FILE", "")  # eccg.csv
ODS_TRUSTS_FILE = os.environ.get("ODS_TRUSTS_FILE", "")  # etr.csv
ODS_SUCCESSORS_FILE = os.environ.get("ODS_SUCCESSORS_FILE", "")  # succ.csv, optional

# --- Webhooks (accounts.webhooks) -----------------------------------------------------------
# Delays before each retry of a failed delivery, in seconds: the first attempt is immediate, then
# 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (Standard Webhooks' example schedule, cut to about a
# day), each with up to 10 % random jitter. After the last the delivery has failed.
WEBHOOK_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)
# The receiver has this long to answer (Standard Webhooks suggests 15 to 30 s; ours are small).
WEBHOOK_TIMEOUT_SECONDS = int(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# An endpoint is turned off, and the trust's admins e-mailed, once this many attempts in a row
# have failed over at least this many hours (one delivery failing all its retries does both).
WEBHOOK_DISABLE_AFTER_FAILURES = 8
WEBHOOK_DISABLE_AFTER_HOURS = 24
# After a secret is replaced the old one keeps signing alongside the new for this long.
WEBHOOK_SECRET_OVERLAP_HOURS = 24
# Hosts that may be sent webhooks over plain http and on private addresses: for development and
# tests only (e.g. "127.0.0.1,localhost"). Every other endpoint must be https on the internet.
WEBHOOK_ALLOW_INSECURE_HOSTS = frozenset(
    host.strip().lower()
    for host in os.environ.get(
        "WEBHOOK_ALLOW_INSECURE_HOSTS", "127.0.0.1,localhost" if TESTING else ""
    ).split(",")
    if host.strip()
)
# Optional egress proxy for every delivery (e.g. Stripe's smokescreen, which refuses internal
# addresses at connection time). Without it deliveries ignore the *_PROXY environment variables.
WEBHOOK_PROXY_URL = os.environ.get("WEBHOOK_PROXY_URL", "")
# The service's own address, to put absolute links in payloads (https://portfolio.example.nhs.uk).
# Without it links are paths from the site's root.
WEBHOOK_LINK_BASE_URL = os.environ.get("WEBHOOK_LINK_BASE_URL", "").rstrip("/")
# Sends deliveries that are due: retries, and first attempts whose task was lost (Redis down).
CELERY_BEAT_SCHEDULE["webhook-delivery-sweep"] = {
    "task": "accounts.tasks.webhook_deliveries_sweep_task",
    "schedule": 15.0,
}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# Single sign-on through NHSmail (Entra ID) and NHS CIS2 (accounts/sso, README "Single sign-on"):
# each provider is on when its variables are set (accounts/sso/config.py).
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "provider_class": "accounts.sso.provider.NhsOidcProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": sso.providers(),
    }
}
SOCIALACCOUNT_AUTO_SIGNUP = True  # the provider's verified address is the account's address
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # only verified addresses get this far (adapters)
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_STORE_TOKENS = False  # the app never calls the provider's APIs afterwards
SOCIALACCOUNT_LOGIN_ON_GET = False  # a sign-in starts from a form (POST, CSRF), never a link
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_FORMS = {
    key: f"accounts.forms.{name}"
    for key, name in {
        "login": "LoginForm",
        "signup": "SignupForm",
        "add_email": "AddEmailForm",
        "change_password": "ChangePasswordForm",
        "set_password": "SetPasswordForm",
        "reset_password": "ResetPasswordForm",
        "reset_password_from_key": "ResetPasswordKeyForm",
        "reauthenticate": "ReauthenticateForm",
    }.items()
}
MFA_FORMS = {
    "authenticate": "accounts.forms.MfaAuthenticateForm",
    "reauthenticate": "accounts.forms.MfaReauthenticateForm",
    "activate_totp": "accounts.forms.ActivateTOTPForm",
    "deactivate_totp": "accounts.forms.DeactivateTOTPForm",
    "generate_recovery_codes": "accounts.forms.GenerateRecoveryCodesForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "NHS Product Portfolio"
# Org admins (managing members, trust security settings) and superusers (Django admin) must set
# up two-factor authentication first. Turn off only for a local demo.
ADMIN_MFA_REQUIRED = env_bool("ADMIN_MFA_REQUIRED", True)
# A session ends after this long without a request, and this long after sign-in whatever the
# activity (accounts.middleware.SessionTimeoutMiddleware); the cookie lasts no longer.
SESSION_IDLE_TIMEOUT_SECONDS = int(os.environ.get("SESSION_IDLE_TIMEOUT_SECONDS", "1800"))
SESSION_ABSOLUTE_TIMEOUT_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "43200"))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
INVITATION_VALIDITY_HOURS = int(os.environ.get("INVITATION_VALIDITY_HOURS", "72"))

# --- Email --------------------------------------------------------------------------------
_EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND}}
if _EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "file_path": os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
    }
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS"),
        "timeout": 10,
    }
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "NHS Product Portfolio <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"  # never served publicly: uploads are read by the app and its workers only
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Where uploads (usage CSVs) are kept. "database" (the default): in PostgreSQL (SQLite for
# `make run`), streamed in 1 MiB chunks, so web and worker share them on any machine and a
# database backup holds them. "filesystem": under MEDIA_ROOT, which web and worker must share.
UPLOAD_STORAGE = os.environ.get("UPLOAD_STORAGE", "database")
UPLOAD_STORAGE_BACKENDS = {
    "database": "core.storage.DatabaseStorage",
    "filesystem": "django.core.files.storage.FileSystemStorage",
}
if UPLOAD_STORAGE not in UPLOAD_STORAGE_BACKENDS:
    raise ImproperlyConfigured(
        f"UPLOAD_STORAGE must be one of {', '.join(UPLOAD_STORAGE_BACKENDS)}, not {UPLOAD_STORAGE!r}."
    )
STORAGES = {
    "default": {"BACKEND": UPLOAD_STORAGE_BACKENDS[UPLOAD_STORAGE]},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Security -----------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "https://assets.nhs.uk"],
    # The single sign-on button posts here and is redirected to the provider's sign-in page.
    "form-action": [CSP.SELF, *sso.origins(SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"])],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
# Reverse proxies in front of the app, each appending its caller's address to X-Forwarded-For:
# the client address (core.client_ip: sign-in throttle, feedback form limits) is read that many
# entries from the right. 0 (the default) ignores the header and uses REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
# The public feedback form: (saved posts, seconds) per browser and link, and per client address
# and link, which a whole ward behind one address shares.
FEEDBACK_RATE_LIMIT_PER_BROWSER = (10, 600)
FEEDBACK_RATE_LIMIT_PER_ADDRESS = (300, 600)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_TLS_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.problem_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_RATE", "1200/minute")},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NHS Product Portfolio API",
    "DESCRIPTION": (
        "One trust's portfolio: products, contracts, usage, feedback, roadmaps and the monthly "
        "summaries. Authenticate with `Authorization: Bearer <token>`; an organisation admin "
        "makes tokens in the app (Members > API tokens). Errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its page are for signed-in people and token holders, like the API itself.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_AUTHENTICATION": [
        "accounts.api.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "FeedbackStatusEnum": "feedback.models.Status",
        "RoadmapItemStatusEnum": "roadmaps.models.ItemStatus",
        "UsageImportStatusEnum": "portfolio.models.ImportStatus",
        "ContractRenewalStatusEnum": "portfolio.models.RenewalStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

SERVICE_NAME = "NHS Product Portfolio"
# Where people write for help the trust's own service desk cannot give (contact page, privacy
# notice, accessibility statement). A public address, not a secret.
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "support@example.org")
# URL names (namespace:name or name) an anonymous user may open; everything else needs login.
# Reviewed list: adding a name here makes a page public, so keep it short.
ANONYMOUS_ALLOWED_URL_NAMES = frozenset(
    {
        "accounts:health",
        # The service's public pages (core.views): what every NHS service must publish, readable
        # before signing in, and the service status in words.
        "core:accessibility",
        "core:privacy",
        "core:cookies",
        "core:contact",
        "core:status",
        "accounts:invitation_accept",
        "feedback:public_form",  # the QR-code feedback form: the only tenant page open without sign-in
        "feedback:public_thanks",
        "feedback:contact_confirm",  # the signed, expiring link that confirms a contact address
        "roadmaps:item_public",  # a roadmap item its trust chose to publish (secret link)
        "account_login",
        "account_logout",
        "account_signup",
        "account_confirm_email",
        "account_email_verification_sent",
        "account_inactive",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "mfa_authenticate",
        # Single sign-on (accounts.sso): the button's target, the provider's return, the app's
        # public signing keys, and allauth's pages for a cancelled or failed sign-on.
        "openid_connect_login",
        "openid_connect_callback",
        "accounts:sso_jwks",
        "socialaccount_login_cancelled",
        "socialaccount_login_error",
        "socialaccount_signup",
    }
)
