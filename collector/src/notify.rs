//! systemd readiness (`Type=notify`): once both listeners are bound and the store is open,
//! `READY=1` is sent to the datagram socket named by `$NOTIFY_SOCKET` (a path, or `@name`
//! for the abstract namespace), as sd_notify(3) does. Without `$NOTIFY_SOCKET` (not under
//! systemd) nothing is sent; a send that fails is logged and the collector keeps serving.
//! Scripts that do not run under systemd poll `GET /healthz` on the read listener instead.

use std::os::unix::net::UnixDatagram;

/// Tell the service manager the collector is ready, when one asked (`$NOTIFY_SOCKET`).
pub fn ready() {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    if let Err(error) = send(&socket, b"READY=1\nSTATUS=Listening.\n") {
        tracing::warn!(%error, "Could not notify systemd of readiness.");
    }
}

fn send(socket: &std::ffi::OsStr, message: &[u8]) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = socket.as_bytes();
    let sock = UnixDatagram::unbound()?;
    let sent = if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        sock.send_to_addr(message, &addr)?
    } else if bytes.first() == Some(&b'/') {
        sock.send_to(message, socket)?
    } else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "NOTIFY_SOCKET is neither an absolute path nor @abstract",
        ));
    };
    if sent != message.len() {
        return Err(std::io::Error::other("short datagram write"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_ready_to_a_path_socket_and_refuses_a_relative_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let server = UnixDatagram::bind(&path).unwrap();
        send(path.as_os_str(), b"READY=1\n").unwrap();
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
        assert!(send(std::ffi::OsStr::new("relative"), b"READY=1\n").is_err());
    }
}
