#!/bin/sh
# an archive with an entry under var/run2/ (a symlink to /run in the image),
# and a unix socket in sockdir/ (git carries neither)
mkdir -p a/var/run2 && echo 42 > a/var/run2/app.pid
(cd a && tar --sort=name --mtime=@1700000000 --owner=0 --group=0 -cf ../runlink.tar var/run2/app.pid)
rm -rf a
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sockdir/app.sock")'
