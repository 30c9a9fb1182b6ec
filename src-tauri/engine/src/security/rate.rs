//! How many requests each API client may make (seed 003: 100 a minute).
//!
//! A client is an API key (`key:<id>`) or an agent (`agent:<agent id>`,
//! all its containers together); the desktop and workflow runs are not
//! API clients and are never limited. Each client gets the same quota, N
//! requests a minute with a burst of N (GCRA, through `governor`). Callers
//! nobody authenticated never get here: the door refuses them first.
//!
//! Beside the limiter, each client's counters (allowed and refused in the
//! last minute, refused in all) feed the Security view. They are kept in
//! one-second buckets on the engine's wall clock, passed in as `now_ms`;
//! the limiter itself runs on governor's monotonic clock. A client idle
//! for [`FORGET_IDLE_MS`] is forgotten, by both. Clients are only ever
//! authenticated principals, so there are at most as many as API keys and
//! agents.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock as GovernorClock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::RateLimiter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use ts_rs::TS;

use super::Principal;

/// Seed 003's requests a minute for each client, the config's default.
pub const DEFAULT_PER_MINUTE: u32 = 100;

/// A client with no request for this long is forgotten: its counters,
/// refused total included, start again from zero.
pub const FORGET_IDLE_MS: i64 = 3_600_000;

/// The span of the "last minute" counters, and of one announced refusal
/// per client.
const MINUTE_MS: i64 = 60_000;

/// What kind of caller a client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ClientKind {
    /// A caller of the local API with an API key.
    ApiKey,
    /// An agent's containers, with their service tokens.
    Agent,
}

/// One client's requests, as the Security view shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientRate {
    /// `key:<api key id>` or `agent:<agent id>`.
    pub client: String,
    pub kind: ClientKind,
    /// The requests it may make a minute (and in one burst).
    pub limit_per_minute: u32,
    /// Requests let through in the last 60 seconds.
    pub allowed_last_minute: u32,
    /// Requests refused in the last 60 seconds.
    pub refused_last_minute: u32,
    /// Requests refused since the client was first seen (or last forgotten).
    #[ts(type = "number")]
    pub refused_total: u64,
    /// When it was last refused.
    #[ts(type = "number | null")]
    pub last_refused_ms: Option<i64>,
}

/// A request refused because its client used up its quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// `key:<api key id>` or `agent:<agent id>`.
    pub client: String,
    pub limit_per_minute: u32,
    /// How long until the client's next request is let through.
    pub retry_after: Duration,
    /// Whether this refusal was announced ([`RateRefusal`]): the first of
    /// the client's minute. The audit log records only these, so that a
    /// client hammering away cannot flood it.
    pub announced: bool,
}

impl Limited {
    /// [`Limited::retry_after`] in whole seconds, rounded up, at least 1
    /// (what `Retry-After` says).
    pub fn retry_after_seconds(&self) -> u64 {
        let whole = self.retry_after.as_secs();
        let rounded = if self.retry_after.subsec_nanos() > 0 {
            whole.saturating_add(1)
        } else {
            whole
        };
        rounded.max(1)
    }
}

impl std::fmt::Display for Limited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rate limit exceeded: {} may make {} requests a minute; try again in {} s",
            self.client,
            self.limit_per_minute,
            self.retry_after_seconds()
        )
    }
}

impl std::error::Error for Limited {}

/// A client went over its quota; sent at most once a minute per client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRefusal {
    /// `key:<api key id>` or `agent:<agent id>`.
    pub client: String,
    pub at_ms: i64,
}

/// The client `principal` is limited as, if it is an API client.
pub fn client_of(principal: &Principal) -> Option<(ClientKind, String)> {
    match principal {
        Principal::Key { id, .. } => Some((ClientKind::ApiKey, format!("key:{id}"))),
        Principal::Agent { agent_id, .. } => Some((ClientKind::Agent, format!("agent:{agent_id}"))),
        Principal::Desktop | Principal::Run { .. } => None,
    }
}

/// Every client's quota and counters. `C` is governor's clock: the real
/// monotonic one, or a fake one in tests.
pub struct RateLimits<C: GovernorClock = DefaultClock> {
    keys: Allowance<C>,
    agents: Allowance<C>,
    clients: Mutex<Clients>,
    /// Refusals, the first of each client's minute.
    refusals: broadcast::Sender<RateRefusal>,
}

/// One kind of client's requests a minute, and its limiter.
struct Allowance<C: GovernorClock> {
    per_minute: NonZeroU32,
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, C, NoOpMiddleware<C::Instant>>,
}

impl<C: GovernorClock> Allowance<C> {
    fn new(per_minute: u32, clock: C) -> Allowance<C> {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Allowance {
            per_minute,
            limiter: RateLimiter::new(
                governor::Quota::per_minute(per_minute),
                DefaultKeyedStateStore::default(),
                clock,
            ),
        }
    }
}

#[derive(Default)]
struct Clients {
    by_id: HashMap<String, Counters>,
    /// When idle clients were last looked for.
    swept_ms: i64,
}

/// One client's counters.
struct Counters {
    kind: ClientKind,
    /// The last 60 seconds, each in the slot of its second modulo 60.
    seconds: [Second; 60],
    refused_total: u64,
    last_refused_ms: Option<i64>,
    /// The last request, let through or not.
    last_seen_ms: i64,
    /// The last refusal announced.
    announced_ms: Option<i64>,
}

/// The requests of one second.
#[derive(Debug, Clone, Copy, Default)]
struct Second {
    /// Which second (since the epoch) the counts are of.
    at_s: i64,
    allowed: u32,
    refused: u32,
}

impl Counters {
    fn new(kind: ClientKind, now_ms: i64) -> Counters {
        Counters {
            kind,
            seconds: [Second::default(); 60],
            refused_total: 0,
            last_refused_ms: None,
            last_seen_ms: now_ms,
            announced_ms: None,
        }
    }

    /// The slot of `now_ms`'s second, emptied if it held an older one.
    fn second(&mut self, now_ms: i64) -> &mut Second {
        let at_s = now_ms.div_euclid(1000);
        let slot = &mut self.seconds[at_s.rem_euclid(60) as usize];
        if slot.at_s != at_s {
            *slot = Second {
                at_s,
                ..Second::default()
            };
        }
        slot
    }

    /// Allowed and refused requests in the 60 seconds up to `now_ms`.
    fn last_minute(&self, now_ms: i64) -> (u32, u32) {
        let now_s = now_ms.div_euclid(1000);
        self.seconds
            .iter()
            .filter(|s| s.at_s > now_s - 60 && s.at_s <= now_s)
            .fold((0, 0), |(allowed, refused), s| {
                (allowed.saturating_add(s.allowed), refused.saturating_add(s.refused))
            })
    }
}

impl RateLimits<DefaultClock> {
    /// `keys` requests a minute for each API key and `agents` for each
    /// agent, on the real clock.
    pub fn new(keys: u32, agents: u32) -> RateLimits {
        RateLimits::with_clock(keys, agents, DefaultClock::default())
    }
}

impl<C: GovernorClock + Clone> RateLimits<C> {
    /// `keys` requests a minute for each API key and `agents` for each
    /// agent (at least one each), on `clock`.
    pub fn with_clock(keys: u32, agents: u32, clock: C) -> RateLimits<C> {
        RateLimits {
            keys: Allowance::new(keys, clock.clone()),
            agents: Allowance::new(agents, clock),
            clients: Mutex::default(),
            refusals: broadcast::channel(64).0,
        }
    }

    fn quota(&self, kind: ClientKind) -> &Allowance<C> {
        match kind {
            ClientKind::ApiKey => &self.keys,
            ClientKind::Agent => &self.agents,
        }
    }

    /// Counts one request of `client` at `now_ms`: through, or refused
    /// with how long to wait.
    pub fn check(&self, kind: ClientKind, client: &str, now_ms: i64) -> Result<(), Limited> {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        // (A wall clock set back sweeps at once too.)
        if now_ms - clients.swept_ms >= MINUTE_MS || now_ms < clients.swept_ms {
            clients.swept_ms = now_ms;
            clients.by_id.retain(|_, c| now_ms - c.last_seen_ms < FORGET_IDLE_MS);
            for quota in [&self.keys, &self.agents] {
                quota.limiter.retain_recent();
                quota.limiter.shrink_to_fit();
            }
        }
        let key = client.to_string();
        let counters = clients
            .by_id
            .entry(key.clone())
            .or_insert_with(|| Counters::new(kind, now_ms));
        counters.last_seen_ms = now_ms;
        let quota = self.quota(kind);
        let not_until = match quota.limiter.check_key(&key) {
            Ok(()) => {
                let second = counters.second(now_ms);
                second.allowed = second.allowed.saturating_add(1);
                return Ok(());
            }
            Err(not_until) => not_until,
        };
        let second = counters.second(now_ms);
        second.refused = second.refused.saturating_add(1);
        counters.refused_total = counters.refused_total.saturating_add(1);
        counters.last_refused_ms = Some(now_ms);
        let announced = counters
            .announced_ms
            .is_none_or(|at| now_ms - at >= MINUTE_MS || now_ms < at);
        if announced {
            counters.announced_ms = Some(now_ms);
            // Nobody listening is fine: the refusal is counted all the same.
            let _ = self.refusals.send(RateRefusal {
                client: client.to_string(),
                at_ms: now_ms,
            });
        }
        Err(Limited {
            client: client.to_string(),
            limit_per_minute: quota.per_minute.get(),
            retry_after: not_until.wait_time_from(quota.limiter.clock().now()),
            announced,
        })
    }

    /// Every client seen in the last [`FORGET_IDLE_MS`], sorted by client,
    /// counted up to `now_ms`.
    pub fn clients(&self, now_ms: i64) -> Vec<ClientRate> {
        let clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let mut rates: Vec<ClientRate> = clients
            .by_id
            .iter()
            .filter(|(_, c)| now_ms - c.last_seen_ms < FORGET_IDLE_MS)
            .map(|(client, c)| {
                let (allowed_last_minute, refused_last_minute) = c.last_minute(now_ms);
                ClientRate {
                    client: client.clone(),
                    kind: c.kind,
                    limit_per_minute: self.quota(c.kind).per_minute.get(),
                    allowed_last_minute,
                    refused_last_minute,
                    refused_total: c.refused_total,
                    last_refused_ms: c.last_refused_ms,
                }
            })
            .collect();
        rates.sort_by(|a, b| a.client.cmp(&b.client));
        rates
    }

    /// Refusals from now on, the first of each client's minute.
    pub fn subscribe(&self) -> broadcast::Receiver<RateRefusal> {
        self.refusals.subscribe()
    }

    /// Clients the limiter and the counters hold state for.
    #[cfg(test)]
    fn remembered(&self) -> (usize, usize) {
        let clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        (self.keys.limiter.len() + self.agents.limiter.len(), clients.by_id.len())
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;
    use proptest::prelude::*;

    use super::*;

    /// A limiter whose two clocks move together: governor's fake one and
    /// the wall clock `now_ms`, starting at an arbitrary epoch time.
    struct Fixture {
        limits: RateLimits<FakeRelativeClock>,
        clock: FakeRelativeClock,
        now_ms: i64,
    }

    impl Fixture {
        fn new(per_minute: u32) -> Fixture {
            let clock = FakeRelativeClock::default();
            Fixture {
                limits: RateLimits::with_clock(per_minute, per_minute, clock.clone()),
                clock,
                now_ms: 1_700_000_000_000,
            }
        }

        fn advance(&mut self, by: Duration) {
            self.clock.advance(by);
            self.now_ms += by.as_millis() as i64;
        }

        fn key(&self, id: i64) -> Result<(), Limited> {
            self.limits.check(ClientKind::ApiKey, &format!("key:{id}"), self.now_ms)
        }

        fn agent(&self, id: &str) -> Result<(), Limited> {
            self.limits
                .check(ClientKind::Agent, &format!("agent:{id}"), self.now_ms)
        }

        fn rate(&self, client: &str) -> ClientRate {
            self.limits
                .clients(self.now_ms)
                .into_iter()
                .find(|r| r.client == client)
                .unwrap_or_else(|| panic!("{client} is not listed"))
        }
    }

    #[test]
    fn a_burst_of_the_quota_then_one_request_per_share_of_the_minute() {
        let mut f = Fixture::new(100);
        for n in 0..100 {
            assert_eq!(f.key(1), Ok(()), "request {n}");
        }
        let limited = f.key(1).unwrap_err();
        assert_eq!(limited.client, "key:1");
        assert_eq!(limited.limit_per_minute, 100);
        // One request's share of the minute: 600 ms.
        assert_eq!(limited.retry_after, Duration::from_millis(600));
        assert_eq!(limited.retry_after_seconds(), 1);
        assert_eq!(
            limited.to_string(),
            "rate limit exceeded: key:1 may make 100 requests a minute; try again in 1 s"
        );
        f.advance(Duration::from_millis(599));
        assert!(f.key(1).is_err());
        f.advance(Duration::from_millis(1));
        assert_eq!(f.key(1), Ok(()));
        assert!(f.key(1).is_err());
        // A whole minute idle: the whole burst again.
        f.advance(Duration::from_secs(60));
        for n in 0..100 {
            assert_eq!(f.key(1), Ok(()), "request {n} after a minute");
        }
        assert!(f.key(1).is_err());
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
        let cases = [
            (Duration::ZERO, 1),
            (Duration::from_nanos(1), 1),
            (Duration::from_millis(999), 1),
            (Duration::from_secs(1), 1),
            (Duration::from_millis(1001), 2),
            (Duration::from_secs(60), 60),
            (Duration::from_millis(59_500), 60),
        ];
        for (retry_after, seconds) in cases {
            let limited = Limited {
                client: "key:1".into(),
                limit_per_minute: 1,
                retry_after,
                announced: false,
            };
            assert_eq!(limited.retry_after_seconds(), seconds, "{retry_after:?}");
        }
        // A quota of one a minute: the wait is the rest of the minute.
        let mut f = Fixture::new(1);
        assert_eq!(f.key(1), Ok(()));
        f.advance(Duration::from_millis(500));
        let limited = f.key(1).unwrap_err();
        assert_eq!(limited.retry_after, Duration::from_millis(59_500));
        assert_eq!(limited.retry_after_seconds(), 60);
    }

    #[test]
    fn clients_are_limited_independently() {
        let f = Fixture::new(3);
        for _ in 0..3 {
            assert_eq!(f.key(1), Ok(()));
        }
        assert!(f.key(1).is_err());
        // Another key, an agent, and an agent named like the key's id.
        for _ in 0..3 {
            assert_eq!(f.key(2), Ok(()));
            assert_eq!(f.agent("AG-001"), Ok(()));
            assert_eq!(f.agent("1"), Ok(()));
        }
        assert!(f.key(2).is_err());
        assert!(f.agent("AG-001").is_err());
        assert!(f.agent("AG-002").is_ok());
    }

    #[test]
    fn counters_follow_the_last_minute_and_keep_the_total() {
        let mut f = Fixture::new(5);
        for _ in 0..7 {
            let _ = f.key(1);
        }
        let refused_at = f.now_ms;
        assert_eq!(
            f.rate("key:1"),
            ClientRate {
                client: "key:1".into(),
                kind: ClientKind::ApiKey,
                limit_per_minute: 5,
                allowed_last_minute: 5,
                refused_last_minute: 2,
                refused_total: 2,
                last_refused_ms: Some(refused_at),
            }
        );
        // Thirty seconds on: two and a half requests' worth back (one per
        // 12 s), so two of four go through.
        f.advance(Duration::from_secs(30));
        for _ in 0..4 {
            let _ = f.key(1);
        }
        let rate = f.rate("key:1");
        assert_eq!((rate.allowed_last_minute, rate.refused_last_minute), (7, 4));
        assert_eq!(rate.last_refused_ms, Some(f.now_ms));
        // The first second has left the window; the thirtieth has not.
        f.advance(Duration::from_secs(31));
        let rate = f.rate("key:1");
        assert_eq!((rate.allowed_last_minute, rate.refused_last_minute), (2, 2));
        assert_eq!(rate.refused_total, 4);
        f.advance(Duration::from_secs(30));
        let rate = f.rate("key:1");
        assert_eq!((rate.allowed_last_minute, rate.refused_last_minute), (0, 0));
        assert_eq!(rate.refused_total, 4);
        assert_eq!(f.limits.clients(f.now_ms).len(), 1);
    }

    #[test]
    fn one_refusal_a_minute_per_client_is_announced() {
        let mut f = Fixture::new(1);
        let mut heard = f.limits.subscribe();
        assert_eq!(f.key(1), Ok(()));
        assert!(f.key(1).unwrap_err().announced);
        assert!(!f.key(1).unwrap_err().announced);
        assert!(f.agent("AG-001").is_ok());
        assert!(f.agent("AG-001").unwrap_err().announced);
        f.advance(Duration::from_secs(59));
        assert!(!f.key(1).unwrap_err().announced);
        f.advance(Duration::from_secs(1));
        // The quota is back: no refusal to announce.
        assert_eq!(f.key(1), Ok(()));
        assert!(f.key(1).unwrap_err().announced);
        let start = 1_700_000_000_000;
        let mut got = Vec::new();
        while let Ok(refusal) = heard.try_recv() {
            got.push((refusal.client, refusal.at_ms - start));
        }
        assert_eq!(
            got,
            [
                ("key:1".to_string(), 0),
                ("agent:AG-001".to_string(), 0),
                ("key:1".to_string(), 60_000),
            ]
        );
    }

    #[test]
    fn idle_clients_are_forgotten() {
        let mut f = Fixture::new(2);
        for n in 0..10 {
            let _ = f.key(n);
        }
        let _ = f.agent("AG-001");
        assert_eq!(f.limits.remembered(), (11, 11));
        // A minute on, the limiter's states are all fresh again and go at
        // the next request; the counters stay for the Security view.
        f.advance(Duration::from_secs(61));
        assert_eq!(f.agent("AG-001"), Ok(()));
        assert_eq!(f.limits.remembered(), (1, 11));
        assert_eq!(f.limits.clients(f.now_ms).len(), 11);
        // Idle for the forgetting time: listed no more, then dropped.
        f.advance(Duration::from_millis(FORGET_IDLE_MS as u64) - Duration::from_secs(61));
        assert_eq!(
            f.limits
                .clients(f.now_ms)
                .iter()
                .map(|r| r.client.as_str())
                .collect::<Vec<_>>(),
            ["agent:AG-001"]
        );
        assert_eq!(f.agent("AG-001"), Ok(()));
        assert_eq!(f.limits.remembered(), (1, 1));
        // A forgotten client starts over.
        assert_eq!(f.key(3), Ok(()));
        assert_eq!(f.rate("key:3").refused_total, 0);
    }

    proptest! {
        /// Whatever the schedule: a client's answers do not depend on the
        /// other's requests, it never gets more than its burst plus one
        /// request per share of the minute that passed, and its counters
        /// are what it asked in the last 60 seconds.
        #[test]
        fn any_schedule_keeps_the_quota_per_client(
            schedule in proptest::collection::vec((any::<bool>(), 0u64..2_000), 1..300),
        ) {
            const PER_MINUTE: u32 = 10;
            let answers = |with_other: bool| {
                let mut f = Fixture::new(PER_MINUTE);
                let mut mine = Vec::new();
                for (other, wait_ms) in &schedule {
                    f.advance(Duration::from_millis(*wait_ms));
                    if !*other {
                        mine.push((f.now_ms, f.key(1).is_ok()));
                    } else if with_other {
                        let _ = f.key(2);
                    }
                }
                (mine, f.limits.clients(f.now_ms), f.now_ms)
            };
            let (mine, rates, now_ms) = answers(true);
            let (alone, _, _) = answers(false);
            prop_assert_eq!(&mine, &alone);
            if let Some((start, _)) = mine.first() {
                for (n, (at, _)) in mine.iter().enumerate() {
                    let allowed = mine[..=n].iter().filter(|(_, ok)| *ok).count() as i64;
                    let refills = (at - start) / (60_000 / i64::from(PER_MINUTE));
                    prop_assert!(allowed <= i64::from(PER_MINUTE) + refills);
                }
                let now_s = now_ms / 1000;
                let recent = |ok: bool| {
                    mine.iter()
                        .filter(|(at, answer)| *answer == ok && at / 1000 > now_s - 60)
                        .count() as u32
                };
                let rate = rates.iter().find(|r| r.client == "key:1");
                let rate = rate.map(|r| (r.allowed_last_minute, r.refused_last_minute, r.refused_total));
                let refused_total = mine.iter().filter(|(_, ok)| !ok).count() as u64;
                prop_assert_eq!(rate, Some((recent(true), recent(false), refused_total)));
            }
        }
    }

    #[test]
    fn only_api_keys_and_agents_are_clients() {
        let key = Principal::Key {
            id: 7,
            name: "ci-bot".into(),
            role: crate::security::Role::Operator,
            from: None,
        };
        let agent = Principal::Agent {
            agent_id: "AG-001".into(),
            container: "sutazai-ag-001-2".into(),
            from: None,
        };
        assert_eq!(client_of(&key), Some((ClientKind::ApiKey, "key:7".into())));
        assert_eq!(client_of(&agent), Some((ClientKind::Agent, "agent:AG-001".into())));
        assert_eq!(client_of(&Principal::Desktop), None);
        assert_eq!(client_of(&Principal::Run { run_id: "r1".into() }), None);
        let json = serde_json::to_value(ClientKind::ApiKey).unwrap_or_default();
        assert_eq!(json, "apiKey");
    }
}
