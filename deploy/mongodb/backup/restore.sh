#!/bin/bash
# Restores the replica set to a point in time from the off-site store (run by a Job made from the
# CronJob mongo-restore, docs/operations.md "Restore to a point in time"):
#   RESTORE_UNTIL  the moment to restore to, UTC, e.g. 2026-12-07T05:30:00Z (empty: the latest)
# It takes the newest full dump taken before that moment, replays its own oplog, then every oplog
# slice after it up to that moment (mongorestore --oplogLimit). It decrypts with the age identity in
# $IDENTITY: a Secret operations create for the restore only, and delete after it.
set -euo pipefail
remote="offsite:${OFFSITE_PATH}"
uri="mongodb://${ROOT_USERNAME}:${ROOT_PASSWORD}@${MONGO_HOSTS}/?replicaSet=rs0&authSource=admin&w=majority&journal=true${MONGO_TLS_OPTIONS:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${RESTORE_UNTIL:-}" ]; then
  until_s=$(date -u -d "$RESTORE_UNTIL" +%s)
else
  until_s=$(date -u +%s)
fi
stamp_of() { date -u -d "$(echo "$1" | sed -E 's/^(....)(..)(..)T(..)(..)(..)Z$/\1-\2-\3T\4:\5:\6Z/')" +%s; }

full=""
for name in $(rclone lsf --include 'ptfc-*.age' "$remote/full/" | sort); do
  taken=${name#ptfc-}; taken=${taken%%.*}
  [ "$(stamp_of "$taken")" -lt "$until_s" ] && full=$name
done
[ -n "$full" ] || { echo "no full dump before $RESTORE_UNTIL" >&2; exit 1; }
echo "full dump: $full"
rclone cat "$remote/full/$full" | age --decrypt --identity "$IDENTITY" |
  mongorestore --uri "$uri" --gzip --archive --drop --oplogReplay --oplogLimit "$until_s:0"

# The slices that end after the dump was taken and start before the moment, oldest first; replaying
# an entry the dump already holds changes nothing (oplog entries are idempotent).
dumped_s=$(stamp_of "$(echo "${full#ptfc-}" | cut -d. -f1)")
mkdir "$work/empty"
for name in $(rclone lsf --include 'ptfc-oplog-*.age' "$remote/oplog/" | sort -t- -k3,3n); do
  range=${name#ptfc-oplog-}; range=${range%%.bson.gz.age}
  since_s=${range%%.*}; end=${range#*-}; end_s=${end%%.*}
  if [ "$end_s" -lt "$dumped_s" ] || [ "$since_s" -ge "$until_s" ]; then continue; fi
  echo "oplog slice: $name"
  rclone cat "$remote/oplog/$name" | age --decrypt --identity "$IDENTITY" | gunzip > "$work/oplog.bson"
  mongorestore --uri "$uri" --oplogReplay --oplogFile "$work/oplog.bson" --oplogLimit "$until_s:0" "$work/empty"
done
echo "restored to $(date -u -d "@$until_s" +%Y-%m-%dT%H:%M:%SZ)"
