# Not needed on this host.
install udf /bin/false
blacklist udf
