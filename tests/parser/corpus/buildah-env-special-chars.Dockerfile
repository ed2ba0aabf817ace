FROM docker.io/ubuntu
ENV LIB="$(PREFIX)/lib"

