#!/bin/sh
# Prints the greeting from the image's environment and the files it carries.
echo "$GREETING (running as $(id -u):$(id -g) in $(pwd))"
for f in "$APP_HOME"/data/*.txt; do
  echo "  $(basename "$f"): $(head -n 1 "$f")"
done
