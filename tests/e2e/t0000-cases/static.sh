. "$(dirname "$0")/lib.sh"
expect_success 'a hidden failure' '
  echo x > f
  [ -s f ] && ! grep -q y f'
hidden() {
  X=$1 expect_fail 2 'pattern' 'title' '
    ls "$X" | grep -q nothing'
}
expect_success 'a status read after its command' '
  ls no-such-file; rc=$?
  [ "$rc" -eq 2 ]
  if ls no-such-file; then exit 1; else rc=$?; fi'
e2e_done
