//! `--resolve HOST:PORT:ADDR` (curl's syntax): connections to HOST:PORT go to
//! ADDR, on the same port. For the reverse upstream, intercepted hosts and
//! tunnels alike; behind split DNS, and in tests that stand a local server in
//! for api.anthropic.com.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolve {
    pub host: String,
    pub port: u16,
    pub addr: IpAddr,
}

#[derive(Debug, thiserror::Error)]
#[error("--resolve {0:?} is not HOST:PORT:ADDR (for example api.anthropic.com:443:127.0.0.1)")]
pub struct ResolveSyntax(String);

impl FromStr for Resolve {
    type Err = ResolveSyntax;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ResolveSyntax(text.to_owned());
        let (host, rest) = text.split_once(':').ok_or_else(bad)?;
        let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Resolve {
            host: host.to_ascii_lowercase(),
            port: port.parse().map_err(|_| bad())?,
            addr: addr.parse().map_err(|_| bad())?,
        })
    }
}

/// Where a connection to `host:port` goes, when an override names it.
pub fn lookup(overrides: &[Resolve], host: &str, port: u16) -> Option<SocketAddr> {
    overrides
        .iter()
        .find(|r| r.port == port && r.host.eq_ignore_ascii_case(host))
        .map(|r| SocketAddr::new(r.addr, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_curls_syntax_and_refuses_anything_else() {
        let r: Resolve = "API.anthropic.com:443:127.0.0.2".parse().unwrap();
        assert_eq!(r.host, "api.anthropic.com");
        assert_eq!(r.port, 443);
        assert_eq!(
            lookup(std::slice::from_ref(&r), "api.anthropic.com", 443),
            Some("127.0.0.2:443".parse().unwrap())
        );
        assert_eq!(lookup(&[r], "api.anthropic.com", 8443), None);
        let v6: Resolve = "h:80:[::1]".parse().unwrap();
        assert_eq!(v6.addr, "::1".parse::<IpAddr>().unwrap());
        for bad in [
            "h",
            "h:80",
            ":80:127.0.0.1",
            "h:x:127.0.0.1",
            "h:80:nowhere",
        ] {
            assert!(bad.parse::<Resolve>().is_err(), "{bad}");
        }
    }
}
