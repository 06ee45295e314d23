# Not needed on this host.
install squashfs /bin/false
blacklist squashfs
