# Not needed on this host.
install tipc /bin/false
blacklist tipc
