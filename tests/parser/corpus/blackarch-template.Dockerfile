FROM scratch
ADD TEMPLATE_ROOTFS_FILE /
ENV LANG=en_US.UTF-8
# Ensure keys are up to date
RUN pacman-key --init && \
    pacman -Syu --noconfirm archlinux-keyring
CMD ["/usr/bin/bash"]
