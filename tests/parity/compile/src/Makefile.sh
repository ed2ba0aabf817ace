# a tiny "make": builds out/hello from hello.in with gen.awk, and out/VERSION
set -e
mkdir -p out
if [ "${1:-}" = all ]; then
  awk -f gen.awk hello.in > out/hello
  chmod 0755 out/hello
  sed -n 's/^version=//p' version.in > out/VERSION
  awk '{ print toupper($0) }' hello.in > out/hello.1
  rm -f out/*.o
else
  for f in *.in; do cp "$f" "out/${f%.in}.o"; done
fi
