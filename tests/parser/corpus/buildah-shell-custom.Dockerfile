FROM ubuntu
SHELL [ "/bin/bash", "-c" ]
RUN echo "SHELL=$0"
