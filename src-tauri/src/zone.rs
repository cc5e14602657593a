//! The device's IANA time zone: the week view, quiet hours and the daily
//! prompt follow it. `TZ` wins (tests, travellers who set it), then the
//! system's setting, then UTC.

use chrono_tz::Tz;

pub fn device_zone() -> Tz {
    std::env::var("TZ")
        .ok()
        .and_then(|z| z.trim_start_matches(':').parse().ok())
        .or_else(|| {
            iana_time_zone::get_timezone()
                .ok()
                .and_then(|z| z.parse().ok())
        })
        .unwrap_or(Tz::UTC)
}
