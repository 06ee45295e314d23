# Not needed on this host.
install hfsplus /bin/false
blacklist hfsplus
