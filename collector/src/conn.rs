//! Connection limits: a cap per client address, and the idle timeout.
//!
//! Every accepted connection holds one of `limits.max_connections` slots of its listener,
//! so a connection that does nothing must not keep its slot: a connection is closed when
//! it has had no request in progress for `limits.idle_timeout` (default 5 s). That covers
//! a TCP connection that never sends a byte, a TLS connection that completes its handshake
//! and stops, an HTTP/2 connection (h2c prior knowledge or h2 over TLS) that opens no
//! stream — its SETTINGS and PING frames do not count as progress — and an HTTP/1
//! keep-alive connection between requests. An HTTP/1 request whose header has started to
//! arrive keeps hyper's 30 s header read timeout (a slow but live client is not cut at
//! 5 s). A request is in progress from its header until its response body has been sent.
//!
//! [`PerIp`] caps the connections of one client address (an IPv4 address, or an IPv6 /64,
//! since one host owns a whole /64) at `limits.max_connections_per_ip` per listener, so that
//! one address cannot take every slot while the idle timeout runs.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How long an HTTP/1 request header may take once it has started (hyper's default).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Open connections per client address, capped.
#[derive(Debug)]
pub struct PerIp {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// A connection's place in [`PerIp`]; released on drop.
#[derive(Debug)]
pub struct IpSlot {
    owner: Arc<PerIp>,
    key: IpAddr,
}

impl PerIp {
    /// A limiter allowing `max` connections per address.
    pub fn new(max: usize) -> Arc<PerIp> {
        Arc::new(PerIp {
            max,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// The key an address counts under: the address itself, or its /64 for IPv6 (an
    /// IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn key(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
        }
    }

    /// Take a slot for `ip`, or `None` when it already has `max` connections.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        let key = Self::key(ip);
        let mut open = match self.open.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            owner: self.clone(),
            key,
        })
    }

    /// Open connections of `ip`'s key (for tests and logs).
    pub fn count(&self, ip: IpAddr) -> usize {
        let open = match self.open.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        open.get(&Self::key(ip)).copied().unwrap_or(0)
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = match self.owner.open.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// What a connection has been doing, shared by its I/O wrapper, its requests and its
/// watchdog.
#[derive(Debug)]
pub struct Activity {
    epoch: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds since `epoch` when the connection last became idle (accept, or the end
    /// of its last request).
    idle_since_ms: AtomicU64,
    /// Bytes arrived since it became idle (an HTTP/1 request header has started).
    read_since_idle: AtomicBool,
    /// The connection speaks HTTP/2 (its first bytes are the h2 preface): frames that are
    /// not requests never count as progress.
    h2: AtomicBool,
    /// The first bytes read, up to 3, to recognise the preface ("PRI").
    prefix: Mutex<Vec<u8>>,
}

impl Activity {
    /// A connection accepted now.
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(0),
            read_since_idle: AtomicBool::new(false),
            h2: AtomicBool::new(false),
            prefix: Mutex::new(Vec::with_capacity(3)),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn saw_bytes(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        {
            let mut p = match self.prefix.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if p.len() < 3 {
                let take = (3 - p.len()).min(bytes.len());
                p.extend_from_slice(&bytes[..take]);
                if p.as_slice() == b"PRI" {
                    self.h2.store(true, Ordering::Relaxed);
                }
            }
        }
        self.read_since_idle.store(true, Ordering::Relaxed);
    }

    /// A request starts; the returned guard ends it (drop it when its response body is sent).
    pub fn request(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        RequestGuard(self.clone())
    }

    /// How long until the connection may be closed as idle: `None` while a request is in
    /// progress, `Some(ZERO)` when it is due now.
    pub fn idle_deadline(&self, idle: Duration) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = Duration::from_millis(self.idle_since_ms.load(Ordering::Acquire));
        let allowed =
            if self.read_since_idle.load(Ordering::Relaxed) && !self.h2.load(Ordering::Relaxed) {
                idle.max(HEADER_READ_TIMEOUT)
            } else {
                idle
            };
        let elapsed = self.epoch.elapsed();
        Some((since + allowed).saturating_sub(elapsed))
    }
}

/// One request in progress on a connection.
#[derive(Debug)]
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let a = &self.0;
        if a.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            a.idle_since_ms.store(a.now_ms(), Ordering::Release);
            a.read_since_idle.store(false, Ordering::Relaxed);
        }
    }
}

/// An I/O stream that records, in its [`Activity`], that bytes arrived.
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    /// Wrap `inner`.
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            let new = &buf.filled()[before..];
            self.activity.saw_bytes(new);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn per_ip_caps_each_address_and_ipv6_by_slash_64() {
        let l = PerIp::new(2);
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let s1 = l.try_acquire(a).unwrap();
        let _s2 = l.try_acquire(a).unwrap();
        assert!(l.try_acquire(a).is_none());
        assert!(l.try_acquire(b).is_some());
        drop(s1);
        assert!(l.try_acquire(a).is_some());
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let _x = l.try_acquire(v6a).unwrap();
        let _y = l.try_acquire(v6b).unwrap();
        assert!(l.try_acquire(v6a).is_none(), "same /64");
        let mapped: IpAddr = "::ffff:127.0.0.3".parse().unwrap();
        assert_eq!(PerIp::key(mapped), b);
    }

    #[test]
    fn idle_deadline_waits_for_requests_and_ignores_h2_frames() {
        let idle = Duration::from_secs(5);
        let a = Activity::new();
        assert!(a.idle_deadline(idle).unwrap() <= idle);
        // An HTTP/1 header started: the header timeout applies.
        a.saw_bytes(b"POS");
        assert!(a.idle_deadline(idle).unwrap() > idle);
        let g = a.request();
        assert_eq!(a.idle_deadline(idle), None);
        drop(g);
        assert!(a.idle_deadline(idle).unwrap() <= idle);
        // HTTP/2: frames after the preface never extend the idle time.
        let h = Activity::new();
        h.saw_bytes(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        h.saw_bytes(b"\0\0\0\x04\0\0\0\0\0");
        assert!(h.idle_deadline(idle).unwrap() <= idle);
    }
}
