#!/bin/sh
# two archives made here with GNU tar: owners, modes, a symlink, a hard link,
# a file whose parent directory has no entry of its own
mkdir -p r/app-1.2/bin r/app-1.2/share/doc
printf '#!/bin/sh\necho app\n' > r/app-1.2/bin/app && chmod 0755 r/app-1.2/bin/app
echo docs > r/app-1.2/share/doc/README && chmod 0640 r/app-1.2/share/doc/README
ln -s bin/app r/app-1.2/app
ln r/app-1.2/bin/app r/app-1.2/bin/app-hard
chmod 0750 r/app-1.2/share
chown -R 1000:1000 r/app-1.2/share
(cd r && tar --sort=name --mtime=@1700000000 -czf ../release.tar.gz app-1.2)
mkdir -p v/lib/deep && echo lib > v/lib/deep/lib.so && echo new > v/shared.txt
chmod 0700 v/lib/deep && chown 0:50 v/lib/deep/lib.so
(cd v && tar --sort=name --mtime=@1700000000 --no-recursion -cf ../vendor.tar lib/deep/lib.so shared.txt lib/deep lib)
rm -rf r v
