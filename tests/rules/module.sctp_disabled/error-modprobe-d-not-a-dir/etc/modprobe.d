# Not needed on this host.
install sctp /bin/false
blacklist sctp
