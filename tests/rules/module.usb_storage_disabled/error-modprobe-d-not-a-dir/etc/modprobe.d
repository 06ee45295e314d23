# Not needed on this host.
install usb-storage /bin/false
blacklist usb-storage
