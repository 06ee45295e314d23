# Not needed on this host.
install dccp /bin/false
blacklist dccp
