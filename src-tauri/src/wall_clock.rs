//! Sleeping until a wall-clock instant, the way a reminder needs: on time
//! even if the machine was suspended meanwhile, and woken early if the clock
//! is changed, so the caller can plan again. No polling.

use chrono::{DateTime, TimeDelta, Utc};

/// Returns at `due` (at once if it has passed), after a resume past it, or
/// when the system clock is set. With no `due`, only the clock change wakes.
#[cfg(target_os = "linux")]
// The one unsafe call in Steady: handing the timer's descriptor to tokio
// (see SAFETY below). The workspace denies unsafe code everywhere else.
#[allow(unsafe_code)]
pub async fn sleep_until(due: Option<DateTime<Utc>>) {
    use nix::sys::time::TimeSpec;
    use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
    use std::os::fd::{AsFd, AsRawFd, RawFd};
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;

    struct Timer(TimerFd);
    impl AsRawFd for Timer {
        fn as_raw_fd(&self) -> RawFd {
            self.0.as_fd().as_raw_fd()
        }
    }

    let when = due.unwrap_or_else(|| Utc::now() + TimeDelta::days(366));
    let armed = TimerFd::new(
        ClockId::CLOCK_REALTIME,
        TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
    )
    .and_then(|timer| {
        let at = TimeSpec::new(when.timestamp(), i64::from(when.timestamp_subsec_nanos()));
        timer.set(
            Expiration::OneShot(at),
            TimerSetTimeFlags::TFD_TIMER_ABSTIME | TimerSetTimeFlags::TFD_TIMER_CANCEL_ON_SET,
        )?;
        Ok(timer)
    });
    let Ok(timer) = armed else {
        return fallback(due).await;
    };
    // SAFETY: `Timer` owns its descriptor, which stays open and the same
    // until the AsyncFd, and with it the Timer, is dropped.
    match unsafe { AsyncFd::register_with_interest(Timer(timer), Interest::READABLE) } {
        // Readable when it expires or, with CANCEL_ON_SET, when the clock is set.
        Ok(fd) => {
            let _ = fd.readable().await;
        }
        Err(_) => fallback(due).await,
    }
}

#[cfg(not(target_os = "linux"))]
pub async fn sleep_until(due: Option<DateTime<Utc>>) {
    fallback(due).await
}

/// Where no wall-clock timer is available, sleep in steps of at most a
/// minute so a changed clock or a resume is noticed within one.
async fn fallback(due: Option<DateTime<Utc>>) {
    let step = TimeDelta::minutes(1);
    let wait = due.map_or(step, |d| (d - Utc::now()).clamp(TimeDelta::zero(), step));
    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_at_the_due_time_and_at_once_for_a_past_one() {
        let start = std::time::Instant::now();
        sleep_until(Some(Utc::now() - TimeDelta::seconds(5))).await;
        assert!(start.elapsed() < std::time::Duration::from_millis(200));
        let start = std::time::Instant::now();
        sleep_until(Some(Utc::now() + TimeDelta::milliseconds(300))).await;
        let waited = start.elapsed();
        assert!(
            waited >= std::time::Duration::from_millis(250),
            "{waited:?}"
        );
        assert!(waited < std::time::Duration::from_secs(2), "{waited:?}");
    }
}
