. "$(dirname "$0")/lib.sh"
expect_success 'a hidden failure' '
  echo x > f
  [ -s f ] && ! grep -q y f'
hidden() {
  X=$1 expect_fail 2 'pattern' 'title' '
    ls "$X" | grep -q nothing'
}
e2e_done
