//! Wire helpers shared by the network checks: the SMTP dialogue up to STARTTLS, one HTTP
//! request for a response head, I/O error wording, and a concurrent join.
//!
//! They know no check type: `tls` (the STARTTLS upgrade, the HSTS request over the shared
//! handshake), `smtp` and `hsts` all use them without importing each other.

use super::config::TlsTarget;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Prefix of the error when the server does not offer STARTTLS.
pub const NOT_OFFERED: &str = "STARTTLS not offered";

/// Read one SMTP reply (possibly multi-line): (code, lines).
async fn reply(stream: &mut TcpStream) -> Result<(u16, Vec<String>), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(r) = parse_reply(&text) {
            return r;
        }
        if buf.len() > 16 * 1024 {
            return Err("SMTP reply longer than 16 KiB".to_string());
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("SMTP: {}", io_reason(&e)))?;
        if n == 0 {
            return Err("SMTP: connection closed".to_string());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A complete reply in `text`, `None` when more is needed.
pub fn parse_reply(text: &str) -> Option<Result<(u16, Vec<String>), String>> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('\n') {
        let line = rest[..i].trim_end_matches('\r');
        rest = &rest[i + 1..];
        if line.len() < 3 || !line.as_bytes()[..3].iter().all(u8::is_ascii_digit) {
            return Some(Err(format!(
                "SMTP: not an SMTP reply: {:?}",
                line.chars().take(40).collect::<String>()
            )));
        }
        let code: u16 = line[..3].parse().unwrap_or(0);
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or("").to_string());
        if !more {
            return Some(Ok((code, lines)));
        }
    }
    None
}

/// Upgrade a fresh SMTP connection with STARTTLS (the TLS handshake is the caller's).
pub async fn starttls(stream: &mut TcpStream) -> Result<(), String> {
    let (code, _) = reply(stream).await?;
    if code != 220 {
        return Err(format!("SMTP greeting {code} (expected 220)"));
    }
    stream
        .write_all(b"EHLO hardline-agent.invalid\r\n")
        .await
        .map_err(|e| format!("SMTP: {}", io_reason(&e)))?;
    let (code, lines) = reply(stream).await?;
    if code != 250 {
        return Err(format!("SMTP EHLO answered {code} (expected 250)"));
    }
    let offered = lines.iter().skip(1).any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        return Err(format!(
            "{NOT_OFFERED} (EHLO keywords: {})",
            lines
                .iter()
                .skip(1)
                .map(|l| l.split_whitespace().next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    stream
        .write_all(b"STARTTLS\r\n")
        .await
        .map_err(|e| format!("SMTP: {}", io_reason(&e)))?;
    let (code, lines) = reply(stream).await?;
    if code != 220 {
        return Err(format!("SMTP STARTTLS answered {code} {}", lines.join(" ")));
    }
    Ok(())
}

/// Send `GET /` and return the first Strict-Transport-Security value (`Ok(None)`: absent).
pub async fn fetch<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut S,
    target: &TlsTarget,
) -> Result<Option<String>, String> {
    let host = target.sni.clone().unwrap_or_else(|| {
        if target.host.contains(':') {
            format!("[{}]", target.host)
        } else {
            target.host.clone()
        }
    });
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: hardline-agent/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    conn.write_all(req.as_bytes())
        .await
        .map_err(|e| format!("sending the request: {e}"))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            return parse_head(&buf[..end]);
        }
        if buf.len() > 32 * 1024 {
            return Err("response head larger than 32 KiB".to_string());
        }
        // A peer that closes without close_notify is common for HTTP/1.1 `Connection: close`.
        let n = match conn.read(&mut chunk).await {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(format!("reading the response: {e}")),
        };
        if n == 0 {
            if buf.is_empty() {
                return Err("connection closed without a response".to_string());
            }
            return parse_head(&buf);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parse a response head; the first STS value.
pub fn parse_head(head: &[u8]) -> Result<Option<String>, String> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or_default();
    if !status.starts_with("HTTP/") {
        return Err(format!(
            "not an HTTP response: {:?}",
            status.chars().take(40).collect::<String>()
        ));
    }
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            if k.trim().eq_ignore_ascii_case("strict-transport-security") {
                return Ok(Some(v.trim().to_string()));
            }
        }
    }
    Ok(None)
}

/// A short reason for an I/O error (`connection refused`).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        std::io::ErrorKind::ConnectionReset => "connection reset".to_string(),
        std::io::ErrorKind::UnexpectedEof => "connection closed".to_string(),
        _ => e.to_string(),
    }
}

/// Await futures concurrently, results in input order.
pub async fn futures_join<F: std::future::Future>(
    futs: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let futs: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    let mut pending: Vec<_> = futs.into_iter().enumerate().collect();
    std::future::poll_fn(move |cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                out[*i] = Some(v);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(std::mem::take(&mut out).into_iter().flatten().collect())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_replies() {
        assert_eq!(
            parse_reply("220 mx ESMTP\r\n"),
            Some(Ok((220, vec!["mx ESMTP".into()])))
        );
        let r = parse_reply("250-mx\r\n250-SIZE 1\r\n250 STARTTLS\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(r.1, vec!["mx", "SIZE 1", "STARTTLS"]);
        assert_eq!(parse_reply("250-mx\r\n250-SI"), None);
        assert!(parse_reply("HTTP/1.1 400\r\n").unwrap().is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = parse_reply(&s);
        }
    }
}
