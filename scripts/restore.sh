#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the database you name. Never guesses the target:
# DATABASE_URL is ignored on purpose, so a restore cannot land on whatever the shell points at.
#
#   scripts/restore.sh --target postgres://user@host:5432/dbname backups/portfolio-<stamp>.dump \
#       [--media-root DIR]
#   make restore DUMP=backups/portfolio-<stamp>.dump TARGET=postgres://user@host:5432/dbname \
#       [MEDIA_TARGET=DIR]
#
# The target database must exist (createdb). Every object in the dump is dropped first if present
# and re-created (--clean --if-exists), in one transaction: a restore that fails changes nothing.
# Ownership and grants are not restored (--no-owner --no-privileges): objects belong to the
# connecting user. With --media-root, the media archive of the same stamp is unpacked into DIR
# (existing files of the same name are overwritten, others are left). PG_RESTORE replaces the
# pg_restore command (its major version must be at least that of the pg_dump that wrote the file),
# e.g. PG_RESTORE="docker compose exec -T db pg_restore"; the dump is read from standard input.
set -euo pipefail

usage() {
  sed -n '5,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "restore: $*" >&2
  exit 2
}

target=""
dump=""
media_root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) [ $# -ge 2 ] || usage; target="$2"; shift 2 ;;
    --target=*) target="${1#--target=}"; shift ;;
    --media-root) [ $# -ge 2 ] || usage; media_root="$2"; shift 2 ;;
    --media-root=*) media_root="${1#--media-root=}"; shift ;;
    -h | --help) usage ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$dump" ] || die "one dump file only"; dump="$1"; shift ;;
  esac
done

[ -n "$target" ] || die "refusing to run without an explicit --target postgres://.../dbname (DATABASE_URL is not used)"
case "$target" in
  postgres://* | postgresql://*) ;;
  *) die "--target is not a PostgreSQL URL (postgres://...)" ;;
esac
[ -n "$dump" ] || die "name the dump file to restore (backups/portfolio-<stamp>.dump)"
[ -f "$dump" ] || die "no such file: $dump"
read -r -a pg_restore <<<"${PG_RESTORE:-pg_restore}"
command -v "${pg_restore[0]}" >/dev/null || die "${pg_restore[0]} not found (Debian: apt-get install postgresql-client)"

# Read the archive's table of contents before touching the target: a truncated or foreign file
# stops here.
"${pg_restore[@]}" --list <"$dump" >/dev/null || die "$dump is not a readable pg_dump custom-format archive"

shown="$(printf '%s' "$target" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')"
echo "restore: $dump -> $shown"
"${pg_restore[@]}" --clean --if-exists --no-owner --no-privileges --single-transaction \
  --exit-on-error --no-password --dbname="$target" <"$dump"
echo "restore: database restored"

if [ -n "$media_root" ]; then
  name="$(basename "$dump")"
  stamp="${name#portfolio-}"
  stamp="${stamp%.dump}"
  media="$(dirname "$dump")/media-$stamp.tar.gz"
  if [ -f "$media" ]; then
    mkdir -p "$media_root"
    tar -C "$media_root" -xzf "$media"
    echo "restore: media $media -> $media_root"
  else
    echo "restore: no media archive $media (there were no uploaded files at backup time)"
  fi
fi
