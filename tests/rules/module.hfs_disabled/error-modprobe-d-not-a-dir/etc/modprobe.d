# Not needed on this host.
install hfs /bin/false
blacklist hfs
