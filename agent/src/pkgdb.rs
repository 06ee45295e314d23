//! Installed-package databases (dpkg status, RPM sqlite) and version ordering: not implemented yet.
