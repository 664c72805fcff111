//! A token bucket: at most `per_minute` calls a minute, in bursts of at most `burst`.
//!
//! The Pokémon TCG API documents 30 requests a minute (and 1,000 a day) without a key; that is the
//! default. `per_minute = None` disables throttling (used against the in-process sample API).
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Shared by every task of one source.
#[derive(Debug)]
pub struct Throttle {
    per_second: Option<f64>,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Throttle {
    /// A bucket refilled at `per_minute` tokens a minute holding at most `burst` tokens (≥ 1).
    pub fn new(per_minute: Option<f64>, burst: u32) -> Throttle {
        let burst = f64::from(burst.max(1));
        Throttle {
            per_second: per_minute.filter(|r| *r > 0.0).map(|r| r / 60.0),
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits until a call may start, then takes its token.
    pub async fn acquire(&self) {
        let Some(rate) = self.per_second else { return };
        loop {
            let wait = {
                let mut st = self.state.lock().await;
                let now = Instant::now();
                let refill = now.duration_since(st.1).as_secs_f64() * rate;
                st.0 = (st.0 + refill).min(self.burst);
                st.1 = now;
                if st.0 >= 1.0 {
                    st.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - st.0) / rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_after_the_burst() {
        let t = Throttle::new(Some(60.0), 2);
        let start = Instant::now();
        for _ in 0..4 {
            t.acquire().await;
        }
        // two from the burst, then one a second
        let waited = start.elapsed().as_secs_f64();
        assert!((1.9..2.2).contains(&waited), "waited {waited}");
    }
}
