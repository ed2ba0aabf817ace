#!/usr/bin/env bash
# An image strata built (RUN and COPY layers, deletions, CMD) runs under podman from each
# archive format and from a registry, with the expected output and file tree.
. "$(dirname "$0")/lib.sh"
require_all root
. "$TOP/tests/helpers/podman.sh"
. "$TOP/tests/helpers/registry.sh"
H=$TOP/tests/helpers
podman_env "$T/podman"
mkdir -p "$T/ctx/app"
echo "payload one" > "$T/ctx/app/one.txt"
echo "payload two" > "$T/ctx/app/two.txt"
cat > "$T/ctx/Dockerfile" <<'R'
FROM localhost/busybox:latest
COPY app/ /app/
RUN mkdir -p /data/old && echo stale > /data/old/f && echo gone > /app/two.txt.bak
RUN rm -rf /data/old && mkdir /data/old && echo fresh > /data/old/g && rm /app/two.txt.bak /bin/vi
COPY app/two.txt /app/copied-again.txt
CMD ["/bin/sh", "-c", "cat /app/one.txt /data/old/g; ls /app | tr '\n' ' '"]
R
expect_success 'build the image' '
  import_busybox
  strata build -q -t app:1 "$T/ctx"
  strata export app:1 --format docker-archive -o "$T/app.docker.tar"
  strata export app:1 --format oci-archive -o "$T/app.oci.tar"
  rm -rf "$T/flat"
  python3 "$H/flatten.py" "$STRATA_ROOT" app:1 "$T/flat"
  python3 "$H/treelist.py" "$T/flat" --no-mtime > "$T/strata.all"
  grep -v "^\(dev\|proc\|sys\)\( \|/\)" "$T/strata.all" > "$T/strata.list"'
want="payload one
fresh
copied-again.txt one.txt two.txt "

# runs IMAGE's CMD under podman, then compares the container's tree with strata's
run_and_compare() {
  [ "$(pm run --rm "$1")" = "$want" ]
  cid=$(pm create "$1")
  pm export "$cid" > "$T/c.tar"
  pm rm "$cid" >/dev/null
  rm -rf "$T/c"
  mkdir "$T/c"
  tar -C "$T/c" -xf "$T/c.tar"
  python3 "$H/treelist.py" "$T/c" --no-mtime > "$T/podman.all"
  grep -v "^\(dev\|proc\|sys\|etc/hosts\|etc/resolv.conf\|etc/hostname\|run\)\( \|/\|$\)" "$T/podman.all" > "$T/podman.list"
  grep -v "^\(etc/hosts\|etc/resolv.conf\|etc/hostname\|run\)\( \|/\|$\)" "$T/strata.list" > "$T/strata.cmp"
  diff -u "$T/strata.cmp" "$T/podman.list"
}

why=$(podman_why)
skip_next_if "$why"
expect_success 'podman runs the docker-archive: expected output and file tree' '
  pm load -q -i "$T/app.docker.tar" >/dev/null
  run_and_compare localhost/app:1
  pm rmi -f localhost/app:1 >/dev/null'

skip_next_if "$why"
expect_success 'podman runs the oci-archive (zstd layers): expected output and file tree' '
  id=$(pm load -q -i "$T/app.oci.tar" | sed -n "s/^Loaded image[^:]*: *//p" | tail -1)
  [ -n "$id" ]
  run_and_compare "$id"
  pm rmi -f "$id" >/dev/null'

rwhy=$(registry_why)
if [ -z "$rwhy$why" ]; then
  if ! registry_start "$T/reg"; then rwhy="docker-registry did not start"; fi
fi
skip_next_if "$why$rwhy"
expect_success 'podman pulls what strata pushed to a registry and runs it' '
  strata push -q app:1 "$REG/apps/app:1"
  pm pull -q --tls-verify=false "$REG/apps/app:1" >/dev/null
  run_and_compare "$REG/apps/app:1"'

e2e_done
