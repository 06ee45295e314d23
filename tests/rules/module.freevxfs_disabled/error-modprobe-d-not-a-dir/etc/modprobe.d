# Not needed on this host.
install freevxfs /bin/false
blacklist freevxfs
