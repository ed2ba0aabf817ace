#!/usr/bin/env bash
# RUN --mount sources are resolved inside their own tree (a stage's, the context's): a
# symlink planted there, absolute (hostroot -> /) or relative (up -> ../../..), never leads
# a bind to the host, and a writable bind never writes to the host. A host sentinel (a file
# outside the context, with a random line) must never show up in the build log and must
# stay unchanged. As root the parent clones each source into a detached mount; rootless
# (unshare -r) the sandbox child resolves it in its own mount namespace: both are run.
# The recipes are written with $T expanded, and their RUN lines are not shell for this file:
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

SECRET="host-sentinel-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$T/host" "$T/ctx"
printf '%s\n' "$SECRET" > "$T/host/sentinel"
SUM=$(sha256sum "$T/host/sentinel")
UP=../../../../../../../../../../../../../../../../../../..
ln -s / "$T/ctx/hostlink"
ln -s "$UP" "$T/ctx/up"
echo in-context > "$T/ctx/file"

# the stage with the planted links, as in the report on issue 9
cat > "$T/evil" <<EOF
FROM localhost/busybox:latest AS evil
RUN ln -s / /hostroot
RUN mkdir -p /a/b /etc/x && ln -s $UP /a/b/up && echo in-stage > /stagefile && echo stage-etc > /etc/marker
FROM localhost/busybox:latest
EOF

# recipe NAME LINE...: the evil stage, then these RUN lines
recipe() {
  local name=$1
  shift
  cp "$T/evil" "$T/$name"
  printf '%s\n' "$@" >> "$T/$name"
}

# host_unchanged: the sentinel is as it was and nothing was created beside it
host_unchanged() {
  [ "$(sha256sum "$T/host/sentinel")" = "$SUM" ]
  [ "$(ls "$T/host")" = sentinel ]
}

expect_success 'import the busybox base' 'import_busybox'

recipe abs "RUN --mount=type=bind,from=evil,source=hostroot,target=/h,rw cat /h/stagefile; cat /h$T/host/sentinel; echo pwned > /h$T/host/sentinel; touch /h$T/host/PWNED; true"
expect_success 'from=STAGE,source=LINK-to-/ (rw) binds the stage'"'"'s root, not the host'"'"'s' '
  strata build --no-cache -f "$T/abs" "$T/ctx" > abs.log 2>&1
  grep -q "| in-stage\$" abs.log
  not grep -q "$SECRET" abs.log
  host_unchanged
'

recipe rel "RUN --mount=type=bind,from=evil,source=a/b/up/etc,target=/u cat /u/marker"
expect_success 'from=STAGE,source=up/etc with up -> ../../.. stays in the stage' '
  strata build --no-cache -f "$T/rel" "$T/ctx" > rel.log 2>&1
  grep -q "| stage-etc\$" rel.log
'

recipe relhost "RUN --mount=type=bind,from=evil,source=a/b/up$T/host,target=/u cat /u/sentinel"
expect_success 'from=STAGE,source=up/<host path> finds nothing: the host file is not read' '
  not strata build --no-cache -f "$T/relhost" "$T/ctx" > relhost.log 2>&1
  grep -q "RUN --mount /u: source a/b/up$T/host: No such file or directory" relhost.log
  not grep -q "$SECRET" relhost.log
  host_unchanged
'

recipe ctxabs "RUN --mount=type=bind,source=hostlink,target=/c cat /c/file; cat /c$T/host/sentinel; true"
expect_success 'a context symlink to / binds the context'"'"'s root' '
  strata build --no-cache -f "$T/ctxabs" "$T/ctx" > ctxabs.log 2>&1
  grep -q "| in-context\$" ctxabs.log
  not grep -q "$SECRET" ctxabs.log
'

recipe ctxrw "RUN --mount=type=bind,source=hostlink,target=/c,rw cat /c/file; cat /c$T/host/sentinel; echo pwned > /c$T/host/sentinel; true"
expect_success 'a writable bind of a context symlink to / neither reads nor writes the host' '
  strata build --no-cache -f "$T/ctxrw" "$T/ctx" > ctxrw.log 2>&1
  grep -q "| in-context\$" ctxrw.log
  not grep -q "$SECRET" ctxrw.log
  host_unchanged
'

recipe ctxrel "RUN --mount=type=bind,source=up$T/host,target=/c cat /c/sentinel"
expect_success 'a context source through up -> ../../.. finds nothing on the host' '
  not strata build --no-cache -f "$T/ctxrel" "$T/ctx" > ctxrel.log 2>&1
  grep -q "build context $T/ctx: open up$T/host: No such file or directory" ctxrel.log
  not grep -q "$SECRET" ctxrel.log
'

# Rootless: the same recipes, each in a store of its own user namespace.
rootless() { # NAME: builds recipe NAME under unshare -r into rootless.NAME.log
  STRATA_ROOT=$T/rl unshare -r "$STRATA_BIN" build --no-cache -f "$T/$1" "$T/ctx" \
    > "rootless.$1.log" 2>&1
}

require userns
expect_success 'rootless: import the busybox base' '
  STRATA_ROOT=$T/rl unshare -r "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:latest
'

require userns
expect_success 'rootless: stage and context links stay in their trees' '
  rootless abs
  grep -q "| in-stage\$" rootless.abs.log
  rootless ctxrw
  grep -q "| in-context\$" rootless.ctxrw.log
  not rootless relhost
  grep -q "RUN --mount /u: source a/b/up$T/host: No such file or directory" rootless.relhost.log
  not grep -q "$SECRET" rootless.abs.log rootless.ctxrw.log rootless.relhost.log
  host_unchanged
'

e2e_done
