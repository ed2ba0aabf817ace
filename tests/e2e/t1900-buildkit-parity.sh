#!/usr/bin/env bash
# BuildKit parity: every recipe under tests/parity/<case>/ is built by Docker
# BuildKit (the one inside Debian's dockerd 20.10, DOCKER_BUILDKIT=1) and by
# strata, from the same busybox base; both images are saved as docker-archives,
# flattened by one independent helper (tests/helpers/parity_flatten.py, OCI
# whiteouts) and compared: the file tree (path, type, mode, owner, size,
# content, link target; not mtimes) and the config fields users see (Env, Cmd,
# Entrypoint, WorkingDir, User, ExposedPorts, Labels, Volumes, StopSignal,
# Healthcheck, Shell, OnBuild; absent = null = empty).
#
# A case directory holds the Dockerfile and its context; two optional files are
# not part of the context: `flags` (extra build flags for both builders, one
# per line) and `setup.sh` (run in the copied context to make what git cannot
# carry: owners, odd modes, archives). The copy's modes are normalised first
# (dirs 0755, files 0644, or 0755 when executable in the checkout).
#
# Where strata differs from BuildKit, the test still asserts BuildKit's result
# but through expect_known_difference (lib.sh): "not ok N - ... # TODO known
# difference: ...", which tests/run.sh counts apart from passes, failures and
# skips; once strata matches, run.sh fails it so that the wrapper goes.
# Run time: about 35 s on 2 cores (dockerd start, 23 builds with each builder).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/dockerd.sh"
H=$TOP/tests/helpers
P=$TOP/tests/parity

# Debian's docker client (20.10) builds with BuildKit itself; a newer client
# elsewhere on PATH would want the buildx plugin for DOCKER_BUILDKIT=1.
DOCKER_CLI=docker
if [ -x /usr/bin/docker ]; then DOCKER_CLI=/usr/bin/docker; fi
dk() { "$DOCKER_CLI" -H "unix://$DK_DIR/docker.sock" "$@"; }

skip_all_if "$(_e2e_missing hostroot)" # dockerd is root's
why=$(dockerd_why)
if [ -z "$why" ]; then
  if ! dockerd_start "$T/d"; then why="dockerd did not start"; fi
fi
if [ -z "$why" ]; then
  if ! "$DOCKER_CLI" --version >/dev/null 2>&1; then why="no docker client"; fi
fi
skip_all_if "$why"

# The same base in both builders: strata imports the busybox rootfs, exports it
# as a docker-archive, docker loads that under the same name, so FROM
# localhost/busybox:latest resolves locally in both (BuildKit 20.10 with the
# classic image store uses local images and does not pull).
expect_success 'the busybox base is the same image in strata and docker' '
  import_busybox
  strata export localhost/busybox:latest --format docker-archive -o "$T/base.tar"
  dk load -i "$T/base.tar" > load.out
  grep -q "localhost/busybox:latest" load.out
  [ "$(dk image inspect -f "{{.Id}}" localhost/busybox:latest)" = \
    "$(strata inspect --manifest localhost/busybox:latest | python3 -c "import json,sys; print(json.load(sys.stdin)[\"config\"][\"digest\"])")" ]
'

# parity_build CASE: builds tests/parity/CASE with both, leaves $T/w/CASE/{bk,st}.{list,cfg}.
# A builder that fails is noted (no $T/w/CASE/{bk,st}.built), and the assertions on
# the case report it; making the listings of a built image must work.
parity_build() {
  local c=$1 w=$T/w/$1 ctx=$T/w/$1/ctx
  local -a flags=()
  rm -rf "$w"
  mkdir -p "$w"
  cp -a "$P/$c" "$ctx"
  rm -f "$ctx/flags" "$ctx/setup.sh"
  if [ -f "$P/$c/flags" ]; then mapfile -t flags < <(grep -v -e '^#' -e '^$' "$P/$c/flags"); fi
  find "$ctx" -type d -exec chmod 0755 {} +
  find "$ctx" -type f -perm /111 -exec chmod 0755 {} +
  find "$ctx" -type f ! -perm /111 -exec chmod 0644 {} +
  if [ -f "$P/$c/setup.sh" ]; then (cd "$ctx"; sh "$P/$c/setup.sh"); fi
  if bk_build "$w/bk.log" -t "parity/$c" "${flags[@]}" -f "$ctx/Dockerfile" "$ctx"; then
    dk save -o "$w/bk.tar" "parity/$c"
    parity_lists "$w" bk
  fi
  if strata build --network none -t "parity/$c" "${flags[@]}" \
    -f "$ctx/Dockerfile" "$ctx" > "$w/st.log" 2>&1; then
    strata export "parity/$c" --format docker-archive -o "$w/st.tar"
    parity_lists "$w" st
  fi
}

# bk_build LOG ARGS...: docker build with BuildKit, --network=none. BuildKit 20.10
# now and then fails to hash a stage it has just built for a COPY --from ("failed to
# compute cache key: readlink .../buildkit-mountNNN/...: no such file or directory",
# a race of its own); only that failure is tried again, twice at most.
bk_build() {
  local log=$1 try
  shift
  for try in 1 2 3; do
    if DOCKER_BUILDKIT=1 dk build --network=none "$@" > "$log" 2>&1; then return 0; fi
    if ! grep -q "failed to compute cache key: readlink .*buildkit-mount" "$log"; then return 1; fi
    echo "# BuildKit's cache-key race (try $try): building again"
  done
  return 1
}

# parity_lists DIR bk|st: flattens DIR/bk.tar, lists its tree, config and hard links
parity_lists() {
  python3 "$H/parity_flatten.py" "$1/$2.tar" "$1/$2" "$1/$2.json"
  python3 "$H/treelist.py" "$1/$2" --no-mtime > "$1/$2.list"
  python3 "$H/parity_config.py" "$1/$2.json" > "$1/$2.cfg"
  python3 "$H/parity_links.py" "$1/$2" > "$1/$2.links"
  rm -f "$1/$2.tar"
  touch "$1/$2.built"
}

# built CASE: both builders built it (prints the build logs' tails otherwise)
built() {
  local w=$T/w/$1 ok=0
  if [ ! -e "$w/bk.built" ]; then
    echo "BuildKit failed:"
    tail -n 15 "$w/bk.log"
    ok=1
  fi
  if [ ! -e "$w/st.built" ]; then
    echo "strata failed:"
    tail -n 15 "$w/st.log"
    ok=1
  fi
  return $ok
}

# same_tree CASE [EXCLUDE_ERE]: the listings agree (lines matching EXCLUDE_ERE
# left out); the diff is "<" BuildKit, ">" strata
same_tree() {
  local w=$T/w/$1 ex=${2:-'^$'}
  built "$1"
  lines_without "$ex" "$w/bk.list" > "$w/bk.list.x"
  lines_without "$ex" "$w/st.list" > "$w/st.list.x"
  diff "$w/bk.list.x" "$w/st.list.x"
}

# same_links CASE [EXCLUDE_ERE]: the same hard-link groups (paths that are one file)
same_links() {
  local w=$T/w/$1 ex=${2:-'^$'}
  built "$1"
  lines_without "$ex" "$w/bk.links" > "$w/bk.links.x"
  lines_without "$ex" "$w/st.links" > "$w/st.links.x"
  diff "$w/bk.links.x" "$w/st.links.x"
}

# same_tree_only CASE ERE: the listings agree on the lines matching ERE
same_tree_only() {
  local w=$T/w/$1
  built "$1"
  lines_with "$2" "$w/bk.list" > "$w/bk.only"
  lines_with "$2" "$w/st.list" > "$w/st.only"
  diff "$w/bk.only" "$w/st.only"
}

# same_config CASE [FIELD...]: those config fields (default all) agree
same_config() {
  local c=$1 w=$T/w/$1
  shift
  built "$c"
  if [ $# -eq 0 ]; then
    diff "$w/bk.cfg" "$w/st.cfg"
  else
    python3 "$H/parity_config.py" "$w/bk.json" "$@" > "$w/bk.cfg.x"
    python3 "$H/parity_config.py" "$w/st.json" "$@" > "$w/st.cfg.x"
    diff "$w/bk.cfg.x" "$w/st.cfg.x"
  fi
}

# same_config_except CASE FIELD...: every compared field but those agrees
same_config_except() {
  local c=$1 w=$T/w/$1 re
  shift
  built "$c"
  re="^($(IFS='|'; echo "$*")) "
  lines_without "$re" "$w/bk.cfg" > "$w/bk.cfg.x"
  lines_without "$re" "$w/st.cfg" > "$w/st.cfg.x"
  diff "$w/bk.cfg.x" "$w/st.cfg.x"
}

# same_file CASE PATH... : those files of the two trees have the same content
same_file() {
  local c=$1 f rc=0
  shift
  built "$c"
  for f in "$@"; do
    if ! diff -u --label "BuildKit $f" --label "strata $f" "$T/w/$c/bk/$f" "$T/w/$c/st/$f"; then
      rc=1
    fi
  done
  return $rc
}

# same_lines CASE ERE PATH... : same_file on the lines matching ERE only
same_lines() {
  local c=$1 re=$2 f rc=0
  shift 2
  built "$c"
  for f in "$@"; do
    lines_with "$re" "$T/w/$c/bk/$f" > "$T/w/$c/bk.lines"
    lines_with "$re" "$T/w/$c/st/$f" > "$T/w/$c/st.lines"
    if ! diff -u --label "BuildKit $f" --label "strata $f" "$T/w/$c/bk.lines" "$T/w/$c/st.lines"; then
      rc=1
    fi
  done
  return $rc
}

# lines_with ERE FILE, lines_without ERE FILE: the lines of FILE that match ERE
# (or do not); unlike grep, finding none is no failure (a missing FILE is)
lines_with() { _lines "" "$@"; }
lines_without() { _lines -v "$@"; }
_lines() {
  local rc
  [ -r "$3" ]
  if grep -E $1 -- "$2" "$3"; then return 0; else rc=$?; fi
  [ "$rc" -eq 1 ]
}

# Known difference (every case with a RUN): BuildKit's runc leaves the mount
# points of /dev, /proc and /sys in the layer of the first RUN on a base that
# lacks them ("dev d 0755 0:0", "proc d 0755 0:0", "sys d 0755 0:0" in the
# tree); strata's sandbox leaves nothing. Left out of the tree comparisons and
# asserted once below. BuildKit also creates empty stubs for the /etc/hosts and
# /etc/resolv.conf it mounts, and removes them after the step; on this busy
# machine the removal sometimes loses a race and an empty 0755 stub stays in
# the layer (seen in about one full run in four). Those exact stubs are left
# out too; any other etc/hosts or etc/resolv.conf is still compared.
DEVPOINTS='^(dev|proc|sys) d '
MOUNTPOINTS='^((dev|proc|sys) d |etc/(hosts|resolv\.conf) f 0755 0:0 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855$)'

# ---- compile: build stage -> test stage -> slim final stage, USER, COPY --from --chown
parity_build compile
expect_success 'compile: same file tree' "same_tree compile '$MOUNTPOINTS'"
expect_success 'compile: same config' 'same_config compile'
expect_success 'compile: /dev, /proc and /sys as BuildKit leaves them' "same_tree_only compile '$DEVPOINTS'"

# ---- workdir: relative WORKDIRs, WORKDIR through ENV, WORKDIR created after USER
parity_build workdir
expect_success 'workdir: same file tree (directories, owners, RUN and COPY in them)' \
  "same_tree workdir '$MOUNTPOINTS'"
expect_success 'workdir: same config' 'same_config workdir'

# ---- envarg: global ARG in FROM, redeclared ARGs, --build-arg, ENV from ARG, ${:-} ${:+}
parity_build envarg
expect_success 'envarg: same file tree (ARG values seen by RUN and COPY)' "same_tree envarg '$MOUNTPOINTS'"
expect_success 'envarg: same config (Env, Labels)' 'same_config envarg'

# ---- runenv: what RUN processes see
parity_build runenv
PROBES='^probe/(env\.|id\.|hostname|status\.)'
expect_success 'runenv: same file tree apart from the probes below' \
  "same_tree runenv '$MOUNTPOINTS|$PROBES'"
expect_success 'runenv: RUN starts in / with umask 0022' \
  'same_file runenv probe/pwd.root probe/umask.root'
expect_success 'runenv: RUN has the same capabilities as root and as a user' \
  "same_lines runenv '^Cap' probe/status.root probe/status.app"
# BuildKit: HOME=/root for root, HOME=/home/app (from /etc/passwd) for USER app,
# HOME=/ for USER 2000:3000 (no passwd entry); strata sets no HOME at all.
expect_success 'runenv: RUN environment (env | sort) as root, as app, as 2000:3000' \
  'same_file runenv probe/env.root probe/env.app probe/env.2000'
# BuildKit 20.10: `id` = "uid=0(root) gid=0(root)" (no groups), app: "groups=1500(extra)"
# (only the /etc/group memberships), 2000:3000 and app:extra: no groups. Current
# BuildKit (0.11.4 on, the CVE-2023-25173 fix; its testUserAdditionalGids) and strata
# put the primary gid first in the supplementary groups: "groups=0(root)",
# "groups=1000(app),1500(extra)", "groups=3000", "groups=1500(extra)".
expect_known_difference 'supplementary groups in RUN: BuildKit 20.10 leaves out the primary gid, current BuildKit and strata list it first (CVE-2023-25173)' \
  'runenv: id as root, app, 2000:3000, app:extra, 4321' \
  'same_file runenv probe/id.root probe/id.app probe/id.2000 probe/id.app-extra probe/id.4321'
expect_success 'runenv: id as BuildKit 20.10 gives it, with the primary gid added to the groups' '
  built runenv
  w=$T/w/runenv
  [ "$(cat "$w/bk/probe/id.root")" = "uid=0(root) gid=0(root)" ]
  [ "$(cat "$w/st/probe/id.root")" = "uid=0(root) gid=0(root) groups=0(root)" ]
  [ "$(cat "$w/bk/probe/id.app")" = "uid=1000(app) gid=1000(app) groups=1500(extra)" ]
  [ "$(cat "$w/st/probe/id.app")" = "uid=1000(app) gid=1000(app) groups=1000(app),1500(extra)" ]
  [ "$(cat "$w/bk/probe/id.2000")" = "uid=2000 gid=3000" ]
  [ "$(cat "$w/st/probe/id.2000")" = "uid=2000 gid=3000 groups=3000" ]
  [ "$(cat "$w/bk/probe/id.app-extra")" = "uid=1000(app) gid=1500(extra)" ]
  [ "$(cat "$w/st/probe/id.app-extra")" = "uid=1000(app) gid=1500(extra) groups=1500(extra)" ]
  [ "$(cat "$w/bk/probe/id.4321")" = "uid=4321 gid=0(root)" ]
  [ "$(cat "$w/st/probe/id.4321")" = "uid=4321 gid=0(root) groups=0(root)" ]'
expect_known_difference 'hostname in RUN: BuildKit "buildkitsandbox", strata "strata"' \
  'runenv: hostname' 'same_file runenv probe/hostname'
expect_success 'runenv: RUN runs under a seccomp filter (Docker'"'"'s default profile) as in BuildKit' \
  "same_lines runenv '^Seccomp' probe/status.root"
expect_known_difference 'no_new_privs in RUN: BuildKit 0, strata 1 (no setuid program gains privileges in a step)' \
  'runenv: no_new_privs of RUN' \
  "same_lines runenv '^NoNewPrivs' probe/status.root probe/status.app"
expect_success 'runenv: same config' 'same_config runenv'

# ---- copy: COPY variants
# Known difference (issue 10): the directories COPY --chmod creates (the missing
# parents of the destination, and a directory destination itself) get the
# --chmod mode in current BuildKit (its testCopyChmod: /parent 0777, /parent/sub
# 0770) and in strata; BuildKit 20.10 still made them 0755.
CHMODDIRS='^(etc/app-private|usr|usr/local|usr/local/bin) d '
parity_build copy
expect_success 'copy: same file tree (contents, globs, owners, --chmod, symlinks, existing dirs)' \
  "same_tree copy '$MOUNTPOINTS|$CHMODDIRS'"
expect_known_difference 'directories COPY --chmod creates: 0755 in BuildKit 20.10, the --chmod mode in current BuildKit and strata' \
  'copy: directories created by COPY --chmod' "same_tree_only copy '$CHMODDIRS'"
# The context has site/index-hard.html as a hard link to site/index.html.
# BuildKit keeps the pair linked in var/www/html, var/www/copy2 and (through
# the assets stage) var/www/from-stage; strata writes separate files.
expect_success 'copy: same hard links (a linked pair in the context)' 'same_links copy'
expect_success 'copy: same config' 'same_config copy'

# ---- addtar: ADD of local archives
# BuildKit: `ADD release.tar.gz /opt/as-file.tgz`, `ADD --chown=1300:1300 vendor.tar
# /opt/vendor-owned` and (WORKDIR /opt) `ADD release.tar.gz rel2` unpack into a
# new directory named by the destination (opt/as-file.tgz/app-1.2/...,
# opt/vendor-owned d 0755 1300:1300 with lib/ and shared.txt keeping the
# archive's owners, opt/rel2/app-1.2/...); strata unpacks into the parent
# (opt/app-1.2/..., opt/lib/deep/lib.so, opt/shared.txt) and makes no such directory.
ADDX='^opt/(as-file\.tgz|rel2|vendor-owned|app-1\.2|lib|shared\.txt)( |/)'
parity_build addtar
expect_success 'addtar: same file tree for ADD of archives to DIR/ (merge, owners, modes, links)' \
  "same_tree addtar '$MOUNTPOINTS|$ADDX'"
# Known difference (issue 10): ADD --chown=1300:1300 of an archive keeps the
# archive's owners in BuildKit 20.10; current BuildKit and strata give the
# unpacked files the --chown owner.
CHOWNX='^opt/vendor-owned/'
expect_success 'addtar: ADD x.tar.gz /new/path (no trailing slash, absolute and relative)' \
  "same_tree_only addtar '^opt/(as-file\\.tgz|rel2|app-1\\.2|lib|shared\\.txt)( |/)|^opt/vendor-owned '"
expect_known_difference 'ADD --chown of an archive: the archive'"'"'s owners in BuildKit 20.10, the --chown owner in current BuildKit and strata' \
  'addtar: ADD --chown of an archive' "same_tree_only addtar '$CHOWNX'"
expect_success 'addtar: ADD of DIR/ keeps the hard links of the archive' \
  "same_links addtar '^opt/(as-file\\.tgz|rel2|app-1\\.2)/'"
expect_success 'addtar: same config' 'same_config addtar'

# ---- whiteout: deletions, opaque directories, type changes, renames
parity_build whiteout
expect_success 'whiteout: same file tree after deletions and rm -rf + mkdir' \
  "same_tree whiteout '$MOUNTPOINTS'"
expect_success 'whiteout: same hard links (ln in RUN)' 'same_links whiteout'
expect_success 'whiteout: same config' 'same_config whiteout'

# ---- meta: EXPOSE/VOLUME/LABEL/STOPSIGNAL/HEALTHCHECK/ENTRYPOINT over an inherited CMD
parity_build meta
expect_success 'meta: same file tree' "same_tree meta '$MOUNTPOINTS'"
expect_success 'meta: same config but ExposedPorts (Cmd reset by ENTRYPOINT, labels, volumes, healthcheck, stop signal)' \
  'same_config_except meta ExposedPorts'
# BuildKit: EXPOSE 7000-7002 -> "7000/tcp","7001/tcp","7002/tcp"; strata: "7000-7002/tcp"
expect_success 'meta: ExposedPorts with a port range' 'same_config meta ExposedPorts'

parity_build meta2
expect_success 'meta2: same file tree' "same_tree meta2 '$MOUNTPOINTS'"
expect_success 'meta2: same config (HEALTHCHECK NONE, CMD [], inherited ENTRYPOINT, overrides)' \
  'same_config meta2'

# ---- shell: SHELL for RUN, CMD and ENTRYPOINT shell forms
parity_build shell
expect_success 'shell: same file tree (RUN through each SHELL)' "same_tree shell '$MOUNTPOINTS'"
expect_success 'shell: same config (Cmd, Entrypoint, Shell)' 'same_config shell'

# ---- mounts: RUN --mount=type=cache|bind|tmpfs
# BuildKit 20.10 leaves an empty directory (0755 0:0) at every mount target that
# was missing, and its missing parents: ctx, deps, mnt, mnt/src, root/.cache,
# root/.cache/go, scratch, src, var, var/cache, var/cache/pkg; strata leaves
# none. (Later BuildKit releases clean such mount stubs up.)
STUBS='^(ctx|deps|mnt|mnt/src|root/\.cache|root/\.cache/go|scratch|src|var|var/cache|var/cache/pkg) d '
parity_build mounts
expect_success 'mounts: same file tree apart from the mount targets (nothing of the mounts kept)' \
  "same_tree mounts '$MOUNTPOINTS|$STUBS'"
expect_success 'mounts: mount target directories as BuildKit leaves them' "same_tree_only mounts '$STUBS'"
expect_success 'mounts: same config' 'same_config mounts'

# ---- secrets: RUN --mount=type=secret, the file's place, mode and owner
parity_build secrets
expect_success 'secrets: same file tree (mode, owner, place of the secret file)' \
  "same_tree secrets '$MOUNTPOINTS'"
expect_success 'secrets: the secret itself is in neither image' '
  built secrets
  not grep -rqF s3cret-token-for-parity "$T/w/secrets/bk" "$T/w/secrets/st"
  [ "$(cat "$T/w/secrets/st/probe/sum")" = "$(sha256sum < "$P/secrets/token.txt" | cut -d" " -f1)" ]'
expect_success 'secrets: same config' 'same_config secrets'

# ---- mounts2: cache source=, from=, uid/gid/mode, ro; binds of a file and rw
parity_build mounts2
expect_success 'mounts2: same file tree' "same_tree mounts2 '$MOUNTPOINTS'"
expect_success 'mounts2: same config' 'same_config mounts2'

# ---- target: --target dev skips a broken stage and the stages after it
parity_build target
expect_success 'target: --target dev builds only what dev needs, same tree' "same_tree target '$MOUNTPOINTS'"
expect_success 'target: same config' 'same_config target'
expect_success 'target: --target prod (needs the broken stage) fails in both' '
  DOCKER_BUILDKIT=1 not dk build --network=none --target prod -f "$T/w/target/ctx/Dockerfile" "$T/w/target/ctx" > bk-prod.log 2>&1
  grep -q "must not run" bk-prod.log
  fails_with 1 strata build --network none --target prod -f "$T/w/target/ctx/Dockerfile" "$T/w/target/ctx" > st-prod.log 2>&1
  grep -q "must not run" st-prod.log
'

# ---- dockerignore
# .dockerignore "docs/" then "!docs/README.md": BuildKit sends docs/README.md
# (app/docs d 0755, app/docs/README.md f 0644); strata drops all of docs/ (also
# with "docs" instead of "docs/"; "docs/*" or "docs/**" with the exception work).
IGNX='^(app/docs( |/)|files\.txt )'
parity_build dockerignore
expect_success 'dockerignore: same file tree apart from the re-included file' \
  "same_tree dockerignore '$MOUNTPOINTS|$IGNX'"
expect_success 'dockerignore: an exception inside an excluded directory' "same_tree_only dockerignore '$IGNX'"
expect_success 'dockerignore: same config' 'same_config dockerignore'

# ---- scratch: FROM scratch final stage (distroless pattern)
# `COPY --from=build /rootfs/ /` where the stage made /rootfs/data 65532:65532:
# BuildKit "data d 0755 65532:65532", strata "data d 0755 0:0" (see copyfrom).
parity_build scratch
expect_success 'scratch: same file tree apart from a stage-owned dir' "same_tree scratch '^data d '"
expect_success 'scratch: /data keeps its owner from the build stage' "same_tree_only scratch '^data d '"
expect_success 'scratch: same config' 'same_config scratch'

# ---- layout: symlinked directories in COPY/WORKDIR destinations, VOLUME then RUN
parity_build layout
expect_success 'layout: same file tree' "same_tree layout '$MOUNTPOINTS'"
expect_success 'layout: same config' 'same_config layout'

# ---- variant: ARG-selected base stage, ARG in --chown and USER, ENV escapes, ONBUILD
parity_build variant
expect_success 'variant: same file tree' "same_tree variant '$MOUNTPOINTS'"
expect_success 'variant: same config' 'same_config variant'

# ---- copyfrom: COPY --from keeps the owners files had in the stage
# Recipe: the stage runs `chown -R 1234:2345 /s`, then COPY --from=build /s/f /o1/,
# /s/d /o2, /s/d/ /o3/, /s /o4. BuildKit: every copied file and directory is
# 1234:2345 (o1/f, o2/g, o2/sub, o2/sub/h, o3/..., o4/d 0750, o4/f, ...), the
# destination directories it creates (o1 o2 o3 o4) 0755 0:0; strata: all 0:0.
# With --chown=7:7 (o5) both give 7:7.
OWNX='^(o1/|o2/|o3/|o4/)'
parity_build copyfrom
expect_success 'copyfrom: same file tree apart from the owners kept from the stage (and --chown)' \
  "same_tree copyfrom '$MOUNTPOINTS|$OWNX'"
expect_success 'copyfrom: owners of files copied from a stage' "same_tree_only copyfrom '$OWNX'"
# The stage also has /s/d/g-hard, a hard link to /s/d/g. BuildKit keeps the pair
# linked in every copy (o2/g o2/g-hard, o3/..., o4/d/..., o5/d/...); strata
# writes two separate files each time.
expect_success 'copyfrom: hard links kept by COPY --from' 'same_links copyfrom'
expect_success 'copyfrom: same config' 'same_config copyfrom'

# ---- chownarg: --chown=${UID}:${GID} from build args
# BuildKit expands ARGs in --chown (home/user/file.txt f 0644 4242:1000,
# home/user/by-uid.txt 4242:4242, home and home/user dirs 4242:1000); strata
# fails: "--chown=${UID}:${GID}: unable to find user ${UID}: no matching entries
# in passwd file".
parity_build chownarg
expect_success 'chownarg: strata builds it, same file tree' "same_tree chownarg '$MOUNTPOINTS'"
expect_success 'chownarg: same config' 'same_config chownarg'

# same_history CASE [EXCLUDE_ERE]: the same history (created_by texts, which
# entries add a layer; lines matching EXCLUDE_ERE left out) and the same number
# of layers
same_history() {
  local w=$T/w/$1 ex=${2:-'^$'}
  built "$1" || return 1
  diff <(python3 "$H/parity_history.py" "$w/bk.json" | grep -Ev -- "$ex") \
       <(python3 "$H/parity_history.py" "$w/st.json" | grep -Ev -- "$ex")
}

# ---- copywild: wildcards, symlinked destinations, archives through image links, sockets (issue 10)
parity_build copywild
expect_success 'copywild: same file tree' "same_tree copywild '$MOUNTPOINTS'"
expect_success 'copywild: same config' 'same_config copywild'

# ---- argsbk: proxy args, a given ARG with a default, unset ARG, EXPOSE $PORTS
parity_build argsbk
expect_success 'argsbk: same file tree (what RUN sees)' "same_tree argsbk '$MOUNTPOINTS'"
expect_success 'argsbk: same config (no proxy in Env, the ports of EXPOSE $PORTS)' 'same_config argsbk'
# (ARG and EXPOSE texts: the known difference shown by the history case below)
expect_success 'argsbk: same history (no proxy in it, RUN |3 X=given ...)' \
  "same_history argsbk '^(ARG |EXPOSE )'"

# ---- history: created_by texts and layers as BuildKit writes them
parity_build history
expect_success 'history: same file tree' "same_tree history '$MOUNTPOINTS'"
# Known differences (issue 10 asks for current BuildKit's texts): for an ARG
# given by --build-arg, current BuildKit writes the value in effect ("ARG
# bar=123"), 20.10 the declaration ("ARG bar"); EXPOSE is "EXPOSE [53/udp
# 80/tcp 8080/tcp]" in current BuildKit (a sorted list), "EXPOSE map[...]" in 20.10.
HISTX='^(ARG bar|EXPOSE )'
expect_success 'history: same history texts and layers' "same_history history '$HISTX'"
expect_known_difference 'ARG and EXPOSE history texts changed after BuildKit 20.10' \
  'history: ARG with a --build-arg value, EXPOSE' \
  "diff <(python3 '$H/parity_history.py' '$T/w/history/bk.json' | grep -E '$HISTX') <(python3 '$H/parity_history.py' '$T/w/history/st.json' | grep -E '$HISTX')"
expect_success 'history: same config' 'same_config history'

e2e_done
