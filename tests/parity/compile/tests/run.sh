set -e
out=$(sh out/hello x)
echo "$out" | grep -q "hello x"
echo "PASS: $out"
