# Not needed on this host.
install rds /bin/false
blacklist rds
