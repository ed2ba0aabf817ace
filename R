FROM localhost/busybox:latest
RUN
RUN --mount=type=tmpfs,target=/t 
RUN \
# only a comment
RUN << EOF
echo heredoc-ran > /h1
