#!/usr/bin/env bash
# Back up the database named by DATABASE_URL, and the uploaded files, into timestamped files:
#   $BACKUP_DIR/portfolio-<UTC stamp>.dump     pg_dump custom format (restore with scripts/restore.sh)
#   $BACKUP_DIR/media-<UTC stamp>.tar.gz       MEDIA_ROOT, only when it holds files
# then keep the newest BACKUP_KEEP dumps (default 14) and the media archives that go with them.
#
#   DATABASE_URL=postgres://user@host:5432/portfolio scripts/backup.sh     (or: make backup)
#
# BACKUP_DIR defaults to backups/ in the repository (git-ignored), MEDIA_ROOT to var/media as in
# config/settings.py. pg_dump's major version must be at least the server's; PG_DUMP replaces the
# command, e.g. PG_DUMP="docker compose exec -T db pg_dump" to use the database container's own
# (see docs/operations.md).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
backup_dir="${BACKUP_DIR:-$root/backups}"
media_root="${MEDIA_ROOT:-$root/var/media}"
keep="${BACKUP_KEEP:-14}"

die() {
  echo "backup: $*" >&2
  exit 2
}

[ -n "${DATABASE_URL:-}" ] || die "set DATABASE_URL to the PostgreSQL database to back up"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) die "DATABASE_URL is not PostgreSQL (postgres://...); only PostgreSQL is backed up" ;;
esac
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a whole number of at least 1, not '$keep'"
read -r -a pg_dump <<<"${PG_DUMP:-pg_dump}"
command -v "${pg_dump[0]}" >/dev/null || die "${pg_dump[0]} not found (Debian: apt-get install postgresql-client)"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dump="$backup_dir/portfolio-$stamp.dump"
media="$backup_dir/media-$stamp.tar.gz"
mkdir -p "$backup_dir"
umask 077 # the dump holds every trust's data
[ ! -e "$dump" ] || die "$dump already exists (two backups in one second?)"

# Written under a temporary name and renamed when complete: a failed or interrupted run never
# leaves a file that looks like a good backup (nor counts towards retention).
trap 'rm -f "$dump.partial" "$media.partial"' EXIT
"${pg_dump[@]}" --format=custom --no-password --dbname="$DATABASE_URL" >"$dump.partial"
mv "$dump.partial" "$dump"
echo "backup: database -> $dump ($(du -h "$dump" | cut -f1))"

if [ -d "$media_root" ] && [ -n "$(find "$media_root" -type f -print -quit)" ]; then
  tar -C "$media_root" -czf "$media.partial" .
  mv "$media.partial" "$media"
  echo "backup: media $media_root -> $media ($(du -h "$media" | cut -f1))"
else
  echo "backup: no files under $media_root; no media archive"
fi

# Retention: the newest $keep dumps (names sort by time), and only their media archives.
mapfile -t dumps < <(find "$backup_dir" -maxdepth 1 -type f -name 'portfolio-*.dump' -printf '%f\n' | sort -r)
kept_stamps=" "
for i in "${!dumps[@]}"; do
  name="${dumps[$i]}"
  stamp_of="${name#portfolio-}"
  stamp_of="${stamp_of%.dump}"
  if [ "$i" -lt "$keep" ]; then
    kept_stamps+="$stamp_of "
  else
    rm -f -- "$backup_dir/$name"
    echo "backup: removed old $name"
  fi
done
while IFS= read -r name; do
  stamp_of="${name#media-}"
  stamp_of="${stamp_of%.tar.gz}"
  if [[ "$kept_stamps" != *" $stamp_of "* ]]; then
    rm -f -- "$backup_dir/$name"
    echo "backup: removed old $name"
  fi
done < <(find "$backup_dir" -maxdepth 1 -type f -name 'media-*.tar.gz' -printf '%f\n')
echo "backup: done; keeping the newest $keep (BACKUP_KEEP) in $backup_dir"
