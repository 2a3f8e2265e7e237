//! The client's address: the TCP peer, or — behind a configured number of trusted reverse
//! proxies — the address the outermost trusted proxy saw. A header the client wrote itself is
//! never believed: we count hops from the right of X-Forwarded-For.
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

pub fn client_ip(parts: &Parts, trusted_hops: usize) -> String {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "0.0.0.0".into());
    if trusted_hops == 0 {
        return peer;
    }
    let chain: Vec<String> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .collect();
    // The last `trusted_hops` entries were appended by our proxies; the one before the first of
    // them is the client as our outermost proxy saw it.
    chain
        .len()
        .checked_sub(trusted_hops)
        .and_then(|i| chain.get(i))
        .and_then(|s| s.parse::<IpAddr>().ok())
        .map(|ip| ip.to_string())
        .unwrap_or(peer)
}

/// The network an address belongs to, as sending limits count it: an IPv4 address as it is,
/// an IPv6 address by its /64 (one subscriber's block: rotating addresses inside it is free),
/// an IPv4-mapped IPv6 address as its IPv4. Anything unparsable is kept as it is.
pub fn ip_key(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => ip.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_keys_group_an_ipv6_64_and_unmap_ipv4() {
        assert_eq!(ip_key("203.0.113.9"), "203.0.113.9");
        assert_eq!(ip_key("2001:db8:42:7:1::1"), "2001:db8:42:7::/64");
        assert_eq!(ip_key("2001:DB8:42:7:ffff:ffff:ffff:fffe"), "2001:db8:42:7::/64");
        assert_ne!(ip_key("2001:db8:42:8::1"), ip_key("2001:db8:42:7::1"));
        assert_eq!(ip_key("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(ip_key("not-an-ip"), "not-an-ip");
    }
    use axum::http::Request;

    fn parts(xff: &[&str]) -> Parts {
        let mut req = Request::builder();
        for v in xff {
            req = req.header("x-forwarded-for", *v);
        }
        let (mut parts, _) = req.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 4000))));
        parts
    }

    #[test]
    fn without_proxies_the_peer_counts_and_headers_are_ignored() {
        assert_eq!(client_ip(&parts(&["1.2.3.4"]), 0), "10.0.0.1");
    }

    #[test]
    fn with_one_proxy_the_last_entry_counts_not_a_forged_first() {
        assert_eq!(client_ip(&parts(&["6.6.6.6, 1.2.3.4"]), 1), "1.2.3.4");
        assert_eq!(client_ip(&parts(&["6.6.6.6", "1.2.3.4, 5.5.5.5"]), 2), "1.2.3.4");
    }

    #[test]
    fn a_short_or_bad_chain_falls_back_to_the_peer() {
        assert_eq!(client_ip(&parts(&[]), 1), "10.0.0.1");
        assert_eq!(client_ip(&parts(&["not-an-ip"]), 1), "10.0.0.1");
    }
}
