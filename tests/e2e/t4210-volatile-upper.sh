#!/usr/bin/env bash
# A RUN step's overlay is mounted "volatile": fsync and sync inside the step do not write the
# step's files out (the capture that follows syncs the snapshot it keeps), with the new mount
# API and with mount(2) alike. What the step wrote is in its layer all the same.
. "$(dirname "$0")/lib.sh"
require_all root

mkdir -p "$T/ctx"
cat > "$T/recipe" <<'EOF'
FROM localhost/busybox:latest
RUN grep " / " /proc/mounts > /root-mount && \
    dd if=/dev/urandom of=/synced bs=4k count=16 conv=fsync 2>/dev/null && sync && \
    cd / && sha256sum synced > synced.sum
RUN cd / && sha256sum -c synced.sum
EOF

expect_success 'import the busybox base' 'import_busybox'

# the root mount's options as the step saw them: "volatile", or "fsync=volatile" (Linux 6.x)
root_opts() {
  python3 "$TOP/tests/helpers/flatten.py" "$STRATA_ROOT" "$1" "$T/flat-$1"
  cut -d" " -f4 "$T/flat-$1/root-mount" | tr , "\n" > "$T/opts-$1"
}

expect_success 'the step'"'"'s overlay is volatile (new mount API)' '
  strata build -q -f "$T/recipe" -t vol:1 "$T/ctx"
  root_opts vol:1
  grep -Eqx "(fsync=)?volatile" "$T/opts-vol:1"'

expect_success 'the step'"'"'s overlay is volatile (mount(2))' '
  STRATA_OVERLAY_LEGACY=1 strata build -q --no-cache -f "$T/recipe" -t vol:2 "$T/ctx"
  root_opts vol:2
  grep -Eqx "(fsync=)?volatile" "$T/opts-vol:2"'

expect_success 'what the step wrote and fsynced is in its layer, and the store checks out' '
  test "$(stat -c %s "$T/flat-vol:1/synced")" = 65536
  test "$(sha256sum < "$T/flat-vol:1/synced")" = "$(cut -d" " -f1 "$T/flat-vol:1/synced.sum")  -"
  strata fsck --snapshots'

e2e_done
