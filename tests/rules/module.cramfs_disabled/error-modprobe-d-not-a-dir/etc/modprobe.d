# Not needed on this host.
install cramfs /bin/false
blacklist cramfs
