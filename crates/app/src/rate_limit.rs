//! A token bucket per sender, in memory: for endpoints anyone may call without a session
//! (the gateways' webhooks), where each call can cost work elsewhere. Per node on purpose:
//! it protects this process, and a shared count would cost a database write per call.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many senders are remembered at most; past that, the buckets that are full again
/// (senders quiet for a while) are forgotten, so memory stays bounded under a spray of
/// addresses.
const MAX_SENDERS: usize = 10_000;

pub struct RateLimiter {
    /// Calls allowed at once after a quiet period.
    burst: f64,
    /// Calls allowed per second, on average.
    per_second: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(burst: u32, per_second: u32) -> RateLimiter {
        RateLimiter {
            burst: f64::from(burst),
            per_second: f64::from(per_second),
            buckets: Mutex::default(),
        }
    }

    /// Takes one call from the sender's bucket: `Err(wait)` when it is empty, with how long
    /// until the next call is allowed.
    pub fn take(&self, sender: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_SENDERS && !buckets.contains_key(sender) {
            buckets.retain(|_, bucket| self.refilled(bucket, now) < self.burst);
        }
        let bucket = buckets.entry(sender.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        bucket.tokens = self.refilled(bucket, now);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second))
        }
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        (bucket.tokens + elapsed * self.per_second).min(self.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_gets_its_burst_then_waits_for_the_refill() {
        let limiter = RateLimiter::new(3, 2);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take("a", start), Ok(()));
        }
        let wait = limiter.take("a", start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500), "two a second: the next in half a second");
        assert_eq!(limiter.take("b", start), Ok(()), "another sender has its own bucket");
        assert_eq!(limiter.take("a", start + Duration::from_millis(500)), Ok(()));
        assert!(limiter.take("a", start + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn quiet_senders_are_forgotten_when_the_table_is_full() {
        let limiter = RateLimiter::new(1, 1);
        let start = Instant::now();
        for i in 0..MAX_SENDERS {
            limiter.take(&i.to_string(), start).unwrap();
        }
        limiter.take("late", start + Duration::from_secs(2)).unwrap();
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1, "every earlier sender was full again");
    }
}
