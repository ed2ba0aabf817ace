#!/usr/bin/env bash
# docker (Debian's dockerd 20.10) loads and runs strata's docker-archive (plain
# and gzip layer.tar), and `docker save` output imports into strata.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/dockerd.sh"
H=$TOP/tests/helpers
why=$(dockerd_why)
if [ -z "$why" ]; then
  if ! dockerd_start "$T/d"; then why="dockerd did not start"; fi
fi
skip_all_if "$why"

python3 "$H/mkarchive.py" "$T/src.tar" --rootfs "$(busybox_tar)" --tag x:1 \
  --extra app.txt="hello from strata in docker" --cmd '["/bin/cat","/app.txt"]'
strata import "$T/src.tar" localhost/dhello:1 >/dev/null

expect_success 'docker load + docker run of the docker-archive prints its CMD' '
  strata export localhost/dhello:1 --format docker-archive -o "$T/img.tar"
  dk load -i "$T/img.tar" > load.out
  grep -q "localhost/dhello:1" load.out
  [ "$(dk run --rm --network none localhost/dhello:1)" = "hello from strata in docker" ]
'

expect_success 'docker loads gzip layer.tar too, under another name' '
  strata export localhost/dhello:1 --format docker-archive --compression gzip --name gz/hello:2 -o "$T/gz.tar"
  dk load -i "$T/gz.tar" > load.out
  grep -q "gz/hello:2" load.out
  [ "$(dk run --rm --network none gz/hello:2 /bin/sh -c "echo \$((6*7))")" = 42 ]
'

expect_success 'docker save output imports into strata with the same config' '
  dk save -o "$T/saved.tar" localhost/dhello:1
  strata import "$T/saved.tar" localhost/fromdocker:1 >/dev/null
  c1=$(strata inspect --manifest localhost/dhello:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"config\"][\"digest\"])")
  c2=$(strata inspect --manifest localhost/fromdocker:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"config\"][\"digest\"])")
  [ "$c1" = "$c2" ]
  strata fsck >/dev/null
'

e2e_done
