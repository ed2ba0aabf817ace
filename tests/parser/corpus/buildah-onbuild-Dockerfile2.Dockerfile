FROM alpine

ONBUILD RUN touch /onbuild1
ONBUILD RUN touch /onbuild2
RUN touch /firstfile
RUN touch /secondfile
