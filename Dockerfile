FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.lock .
RUN pip install -r requirements.lock && useradd --create-home --uid 1000 app
COPY . .
# collectstatic needs a key to import settings; this build-time value is never used at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
# The only paths the app writes at run time: beat's schedule, and uploads only if
# UPLOAD_STORAGE=filesystem (MEDIA_ROOT; by default they are kept in PostgreSQL). Owned by `app`
# here, so a new named volume mounted on either is created owned by `app` too.
RUN mkdir -p /app/var/media /app/var/beat && chown -R app:app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--access-logfile", "-"]
