//! How many sign-ins `GET /login` starts: a token bucket per client address and one for
//! everyone ([`LoginThrottle`]), and the cap on attempts in flight ([`LoginLimits::max_pending`],
//! enforced by the store). `/login` needs no credentials and stores an attempt, so without
//! these anyone could grow the attempts table at request rate.
//!
//! A bucket holds a minute's worth of sign-ins (the burst) and refills at the per-minute rate,
//! on the injected clock. Addresses are IPv4 addresses as they are and IPv6 addresses by their
//! /64 (one subscriber's network), so one machine cannot dodge its limit by changing the low
//! bits. The buckets live in a bounded cache that forgets a bucket after a minute of silence,
//! when it would be full anyway. Behind a reverse proxy every client has the proxy's address:
//! the per-address limit then acts as a second global one.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};

/// The sign-in limits (`SLBOT_LOGIN_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Sign-ins one client address (an IPv6 /64) may start per minute.
    pub per_address_per_minute: u32,
    /// Sign-ins everyone together may start per minute.
    pub global_per_minute: u32,
    /// Unexpired OAuth attempts the store may hold; `/login` is refused beyond it.
    pub max_pending: u64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_address_per_minute: 20,
            global_per_minute: 600,
            max_pending: 10_000,
        }
    }
}

/// Addresses whose buckets are remembered at once (a flood from more addresses than this
/// still meets the global bucket).
const MAX_ADDRESSES: u64 = 65_536;

/// A bucket idle this long has refilled completely, so it may be forgotten.
const IDLE: Duration = Duration::from_secs(60);

/// Why a sign-in may not start now, and in how many seconds one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// This client address started too many.
    Address { retry_after_secs: u64 },
    /// Everyone together started too many.
    Everyone { retry_after_secs: u64 },
}

/// The client's address as the listener saw it (`ConnectInfo<SocketAddr>`, which
/// `slbot_http::serve` provides); `None` when the router is served without it (tests,
/// in-process use): such requests share one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // axum's own extractor, so `MockConnectInfo` works too.
        let peer = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .ok()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(Self(peer))
    }
}

/// The bucket an address counts against: IPv4 (also when mapped into IPv6) as it is, IPv6 by
/// its /64.
fn bucket_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

/// What one token is worth: a bucket counts in token-milliseconds-per-minute, so refilling
/// `per_minute` units each millisecond is exact integer arithmetic.
const TOKEN: u64 = 60_000;

/// A token bucket of `per_minute` tokens refilling at `per_minute` a minute.
#[derive(Debug)]
struct Bucket {
    units: u64,
    at: DateTime<Utc>,
}

impl Bucket {
    fn full(per_minute: u32, now: DateTime<Utc>) -> Self {
        Self {
            units: u64::from(per_minute) * TOKEN,
            at: now,
        }
    }

    /// Takes one token, or says in how many whole seconds one will be there.
    fn take(&mut self, per_minute: u32, now: DateTime<Utc>) -> Result<(), u64> {
        let rate = u64::from(per_minute.max(1));
        // A clock that went back refills nothing.
        let elapsed_ms = u64::try_from((now - self.at).num_milliseconds()).unwrap_or(0);
        self.units = self
            .units
            .saturating_add(elapsed_ms.saturating_mul(rate))
            .min(rate * TOKEN);
        self.at = now;
        if self.units >= TOKEN {
            self.units -= TOKEN;
            Ok(())
        } else {
            let wait_ms = (TOKEN - self.units).div_ceil(rate);
            Err(wait_ms.div_ceil(1000).max(1))
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The per-address and global buckets of `GET /login`.
pub struct LoginThrottle {
    limits: LoginLimits,
    addresses: moka::sync::Cache<Option<IpAddr>, Arc<Mutex<Bucket>>>,
    everyone: Mutex<Option<Bucket>>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl LoginThrottle {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            addresses: moka::sync::Cache::builder()
                .max_capacity(MAX_ADDRESSES)
                .time_to_idle(IDLE)
                .build(),
            everyone: Mutex::new(None),
        }
    }

    /// Counts one sign-in from `client` at `now`, or says why it may not start. The address
    /// is checked first, so one flooding address does not use up everyone's allowance.
    pub fn admit(&self, client: Option<IpAddr>, now: DateTime<Utc>) -> Result<(), Throttled> {
        let per_address = self.limits.per_address_per_minute;
        let bucket = self.addresses.get_with(client.map(bucket_key), || {
            Arc::new(Mutex::new(Bucket::full(per_address, now)))
        });
        lock(&bucket)
            .take(per_address, now)
            .map_err(|retry_after_secs| Throttled::Address { retry_after_secs })?;
        let global = self.limits.global_per_minute;
        lock(&self.everyone)
            .get_or_insert_with(|| Bucket::full(global, now))
            .take(global, now)
            .map_err(|retry_after_secs| Throttled::Everyone { retry_after_secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
    }

    fn throttle(per_address: u32, global: u32) -> LoginThrottle {
        LoginThrottle::new(LoginLimits {
            per_address_per_minute: per_address,
            global_per_minute: global,
            max_pending: 10,
        })
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn an_address_gets_its_minutes_worth_at_once_then_one_per_interval() {
        let t = throttle(3, 1000);
        for _ in 0..3 {
            assert_eq!(t.admit(ip("192.0.2.1"), t0()), Ok(()));
        }
        // 3 a minute: the next token comes 20 s after the burst.
        assert_eq!(
            t.admit(ip("192.0.2.1"), t0()),
            Err(Throttled::Address {
                retry_after_secs: 20
            })
        );
        let later = t0() + chrono::Duration::seconds(19);
        assert_eq!(
            t.admit(ip("192.0.2.1"), later),
            Err(Throttled::Address {
                retry_after_secs: 1
            })
        );
        let later = t0() + chrono::Duration::seconds(20);
        assert_eq!(t.admit(ip("192.0.2.1"), later), Ok(()));
        // Another address has its own bucket.
        assert_eq!(t.admit(ip("192.0.2.2"), t0()), Ok(()));
    }

    #[test]
    fn everyone_together_is_held_to_the_global_rate() {
        let t = throttle(10, 4);
        for i in 0..4 {
            assert_eq!(t.admit(ip(&format!("198.51.100.{i}")), t0()), Ok(()));
        }
        assert_eq!(
            t.admit(ip("198.51.100.9"), t0()),
            Err(Throttled::Everyone {
                retry_after_secs: 15
            })
        );
    }

    #[test]
    fn an_ipv6_network_shares_one_bucket_and_a_mapped_ipv4_is_its_ipv4() {
        let t = throttle(2, 1000);
        assert_eq!(t.admit(ip("2001:db8:1:2::1"), t0()), Ok(()));
        assert_eq!(t.admit(ip("2001:db8:1:2:ffff::9"), t0()), Ok(()));
        assert!(t.admit(ip("2001:db8:1:2::abcd"), t0()).is_err());
        assert_eq!(t.admit(ip("2001:db8:1:3::1"), t0()), Ok(()));

        assert_eq!(t.admit(ip("203.0.113.5"), t0()), Ok(()));
        assert_eq!(t.admit(ip("::ffff:203.0.113.5"), t0()), Ok(()));
        assert!(t.admit(ip("203.0.113.5"), t0()).is_err());
    }

    #[test]
    fn requests_without_an_address_share_one_bucket() {
        let t = throttle(2, 1000);
        assert_eq!(t.admit(None, t0()), Ok(()));
        assert_eq!(t.admit(None, t0()), Ok(()));
        assert!(matches!(
            t.admit(None, t0()),
            Err(Throttled::Address { .. })
        ));
    }
}
