#!/bin/sh
# what git does not carry: symlinks made here, an owner and odd modes that COPY must not keep
mkdir -p links/sub
ln -s conf link-to-conf
ln -s ../conf/app.conf links/app.conf
ln -s sub links/dir-link
ln -s /nonexistent/target links/dangling
echo inner > links/sub/file
echo owned > owned.txt && chown 1234:4321 owned.txt
echo mode > mode.txt && chmod 0604 mode.txt
chmod 0700 data
chmod 0711 site/js
chmod 4755 bin/suid-tool
chmod 0400 bin/empty
ln site/index.html site/index-hard.html
