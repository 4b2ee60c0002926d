"""Settings for `make bench`: production-like (DEBUG off), plus one bare comparison page."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# The bare comparison page exists only here, so only here is it public.
ANONYMOUS_ALLOWED_URL_NAMES = ANONYMOUS_ALLOWED_URL_NAMES | {"bench_bare", "bench_bare_api"}  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
