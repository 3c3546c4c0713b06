#!/bin/bash
# Backs the replica set up for restore to a point in time, straight to the off-site store: nothing
# is kept in the cluster, and nothing leaves it unencrypted.
#   backup.sh full    a consistent dump of every database (mongodump --oplog), nightly
#   backup.sh oplog   the oplog since the previous run (every 15 minutes): replayed after a full
#                     dump, it brings a restore to any moment up to the last run
# Each file is encrypted with age to the public keys in $RECIPIENTS (their private halves are kept
# by operations outside the cluster) and streamed to the rclone remote `offsite` ($RCLONE_CONFIG)
# under $OFFSITE_PATH. Reads as the user `backup` (role backup), from a secondary when there is one.
set -euo pipefail
mode=${1:?full or oplog}
uri="mongodb://backup:${BACKUP_PASSWORD}@${MONGO_HOSTS}/?replicaSet=rs0&authSource=admin&readPreference=secondaryPreferred${MONGO_TLS_OPTIONS:-}"
remote="offsite:${OFFSITE_PATH}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

# A dump that fails half way must not look like a backup: it is sent as NAME.partial and named
# NAME only once the whole pipeline has succeeded (pipefail); a restore reads only *.age.
seal_and_send() {  # stdin → age → the object store, as $1.partial
  age --encrypt --recipients-file "$RECIPIENTS" | rclone rcat "$remote/$1.partial"
}
done_as() {
  rclone moveto "$remote/$1.partial" "$remote/$1"
  echo "sent $remote/$1 ($(rclone size --json "$remote/$1"))"
}

case "$mode" in
  full)
    name="full/ptfc-$stamp.archive.gz.age"
    mongodump --uri "$uri" --oplog --gzip --archive | seal_and_send "$name"
    done_as "$name"
    ;;
  oplog)
    # The newest entry now is this slice's end; the previous slice's end (oplog/LAST) its start.
    until_ts=$(mongosh "$uri" --quiet --eval \
      'const t = db.getSiblingDB("local").oplog.rs.find().sort({$natural: -1}).limit(1).next().ts; print(`${t.t}:${t.i}`)')
    # (just before the oldest entry the oplog still holds: its window)
    held_ts=$(mongosh "$uri" --quiet --eval \
      'const t = db.getSiblingDB("local").oplog.rs.find().sort({$natural: 1}).limit(1).next().ts; print(`${t.t - 1}:${t.i}`)')
    since_ts=$(rclone cat "$remote/oplog/LAST" 2>/dev/null || true)
    if [ -z "$since_ts" ]; then
      since_ts=$held_ts  # the first run: what the oplog still holds stands in for what came before
    elif [ "${held_ts%%:*}" -ge "${since_ts%%:*}" ]; then
      # the oplog has rolled past the last slice (the CronJob failed for longer than its window):
      # a restore cannot cross that gap. Fail loudly; a full dump now starts a new chain.
      echo "oplog gap: the last slice ended at $since_ts, the oplog now starts after $held_ts; take a full dump now" >&2
      exit 3
    fi
    query="{\"ts\": {\"\$gt\": {\"\$timestamp\": {\"t\": ${since_ts%%:*}, \"i\": ${since_ts##*:}}}, \"\$lte\": {\"\$timestamp\": {\"t\": ${until_ts%%:*}, \"i\": ${until_ts##*:}}}}}"
    name="oplog/ptfc-oplog-${since_ts/:/.}-${until_ts/:/.}.bson.gz.age"
    mongodump --uri "$uri" --db local --collection oplog.rs --query "$query" --out - | gzip | seal_and_send "$name"
    done_as "$name"
    # only once the slice is stored: a failed run is covered by the next one
    printf '%s' "$until_ts" | rclone rcat "$remote/oplog/LAST"
    ;;
  *)
    echo "backup.sh: full or oplog, not $mode" >&2
    exit 2
    ;;
esac
