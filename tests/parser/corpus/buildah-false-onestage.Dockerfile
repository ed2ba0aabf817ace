FROM alpine
ENV FOO=bar
ENV BAR=foo
RUN /bin/false
