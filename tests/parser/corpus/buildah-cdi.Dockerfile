FROM busybox
RUN mkdir /etc/cdi
RUN cp /dev/containers-cdi.yaml /etc/cdi/containers-cdi.yaml
