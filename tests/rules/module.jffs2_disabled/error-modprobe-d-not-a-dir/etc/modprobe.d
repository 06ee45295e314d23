# Not needed on this host.
install jffs2 /bin/false
blacklist jffs2
