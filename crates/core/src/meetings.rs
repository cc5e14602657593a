//! 12-step meetings on the device: Meeting Guide feeds the patient brought
//! in (from a file, or fetched by the app when online) kept in the store for
//! offline search, and meetings added to the schedule as weekly events that
//! a newer copy of their feed updates.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use steady_model::meetings::{
    self, AttendanceOption, Meeting, MeetingFilter, read_feed, search, update_from_feed,
};
use steady_model::{Entry, Event, ValidationErrors};
use ts_rs::TS;

use crate::error::StoreError;
use crate::store::Store;

const FEEDS: &str = "meeting_feeds";
/// Most feeds kept at once.
pub const MAX_FEEDS: usize = 10;
/// Most meetings one search answers with.
pub const MAX_FOUND: usize = 200;

/// A feed as kept: its name (the address or file it came from), when it was
/// read, and its meetings.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SavedFeed {
    name: String,
    read_at: DateTime<Utc>,
    meetings: Vec<Meeting>,
}

/// A kept feed, as the patient sees it listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct FeedInfo {
    pub name: String,
    #[ts(type = "string")]
    pub read_at: DateTime<Utc>,
    pub meetings: u32,
}

/// What reading a feed did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct FeedReport {
    pub name: String,
    pub meetings: u32,
    /// Titles of series on the schedule moved to a new time from this week.
    pub moved: Vec<String>,
    /// Titles of series whose name, place, link or length changed.
    pub changed: Vec<String>,
    /// Titles of series whose meeting the feed no longer lists on that day
    /// (kept on the schedule).
    pub gone: Vec<String>,
}

/// A meeting found, with the feed it is in, how it can be attended and the
/// days of it already on the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct FoundMeeting {
    pub feed: String,
    pub meeting: Meeting,
    #[ts(optional = nullable)]
    pub attendance: Option<AttendanceOption>,
    pub on_schedule: Vec<u8>,
}

/// What a search found: the first meetings in week order, and how many
/// matched in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct MeetingSearch {
    pub found: Vec<FoundMeeting>,
    pub total: u32,
}

impl Store {
    async fn saved_feeds(&self) -> Result<Vec<SavedFeed>, StoreError> {
        match self.setting(FEEDS).await? {
            None => Ok(Vec::new()),
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| StoreError::corrupt("meeting feeds", e))
            }
        }
    }

    /// Reads a Meeting Guide feed and keeps it under `name` (replacing an
    /// older copy), then brings the series added from it up to date: a
    /// meeting at a new time moves from this week on, changed details are
    /// changed, and a meeting no longer listed is named and kept. A feed
    /// with any problem is refused, naming each meeting and field, and
    /// nothing changes.
    pub async fn read_meeting_feed(
        &self,
        name: &str,
        text: &str,
        default_zone: &str,
        today: NaiveDate,
    ) -> Result<FeedReport, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 2000 {
            return Err(ValidationErrors::single(
                "feed",
                "Name the feed by its address or file (up to 2000 characters).",
            )
            .into());
        }
        let read = read_feed(text, default_zone)
            .map_err(|e| ValidationErrors::single("feed", e.to_string()))?;
        let mut feeds = self.saved_feeds().await?;
        feeds.retain(|f| f.name != name);
        if feeds.len() >= MAX_FEEDS {
            return Err(ValidationErrors::single(
                "feed",
                format!("Steady keeps up to {MAX_FEEDS} meeting lists; remove one first."),
            )
            .into());
        }
        let update = update_from_feed(&self.events().await?, name, &read, today);
        let title = |d: &steady_model::EventDraft| d.title.clone();
        let report = FeedReport {
            name: name.to_owned(),
            meetings: u32::try_from(read.len()).unwrap_or(u32::MAX),
            moved: update.moved.iter().map(|m| title(&m.next)).collect(),
            changed: update.changed.iter().map(|(_, d)| title(d)).collect(),
            gone: update.gone.iter().map(|(_, t)| t.clone()).collect(),
        };
        let mut changes: Vec<_> = update.changed;
        let mut creates = Vec::new();
        for moved in update.moved {
            changes.push((moved.id, moved.ended));
            creates.push(moved.next);
        }
        if !changes.is_empty() || !creates.is_empty() {
            self.change_all::<Event>(changes, creates).await?;
        }
        feeds.push(SavedFeed {
            name: name.to_owned(),
            read_at: Utc::now(),
            meetings: read,
        });
        let text =
            serde_json::to_string(&feeds).map_err(|e| StoreError::corrupt("meeting feeds", e))?;
        self.put_setting(FEEDS, &text).await?;
        Ok(report)
    }

    /// The feeds kept, oldest first.
    pub async fn meeting_feeds(&self) -> Result<Vec<FeedInfo>, StoreError> {
        Ok(self
            .saved_feeds()
            .await?
            .into_iter()
            .map(|f| FeedInfo {
                name: f.name,
                read_at: f.read_at,
                meetings: u32::try_from(f.meetings.len()).unwrap_or(u32::MAX),
            })
            .collect())
    }

    /// Forgets a feed; meetings added from it stay on the schedule.
    pub async fn remove_meeting_feed(&self, name: &str) -> Result<(), StoreError> {
        let mut feeds = self.saved_feeds().await?;
        feeds.retain(|f| f.name != name);
        let text =
            serde_json::to_string(&feeds).map_err(|e| StoreError::corrupt("meeting feeds", e))?;
        self.put_setting(FEEDS, &text).await
    }

    /// The kept feeds' meetings that match, in week order (at most
    /// [`MAX_FOUND`]), with the days of each already on the schedule.
    pub async fn find_meetings(&self, filter: &MeetingFilter) -> Result<MeetingSearch, StoreError> {
        let feeds = self.saved_feeds().await?;
        let events = self.events().await?;
        let mut found = Vec::new();
        let mut total = 0u32;
        for feed in &feeds {
            for m in search(&feed.meetings, filter) {
                total += 1;
                if found.len() >= MAX_FOUND {
                    continue;
                }
                let mut on_schedule: Vec<u8> = events
                    .iter()
                    .filter_map(|(_, e)| e.source.as_ref())
                    .filter(|s| s.feed == feed.name && s.slug == m.slug)
                    .map(|s| s.day)
                    .collect();
                on_schedule.sort_unstable();
                on_schedule.dedup();
                found.push(FoundMeeting {
                    feed: feed.name.clone(),
                    meeting: m.clone(),
                    attendance: m.attendance(),
                    on_schedule,
                });
            }
        }
        Ok(MeetingSearch { found, total })
    }

    /// Adds a kept meeting to the schedule: one weekly series for each of
    /// `days` (0 Sunday to 6 Saturday) it meets on, from the first such day
    /// on or after `today`, in the meeting's zone, all or none.
    pub async fn add_meeting(
        &self,
        feed: &str,
        slug: &str,
        days: &[u8],
        today: NaiveDate,
    ) -> Result<Vec<Entry<Event>>, StoreError> {
        let feeds = self.saved_feeds().await?;
        let meeting = feeds
            .iter()
            .find(|f| f.name == feed)
            .and_then(|f| f.meetings.iter().find(|m| m.slug == slug))
            .ok_or_else(|| {
                ValidationErrors::single(
                    "meeting",
                    "That meeting is not in the kept meeting lists; read its feed again.",
                )
            })?;
        if days.is_empty() {
            return Err(
                ValidationErrors::single("days", "Choose a day the meeting meets on.").into(),
            );
        }
        let mut drafts = Vec::new();
        for day in days {
            let draft = meetings::meeting_event(meeting, *day, today, feed).ok_or_else(|| {
                ValidationErrors::single(
                    "days",
                    if meeting.time.is_none() {
                        "This meeting is by appointment: it has no day and time to add.".to_owned()
                    } else {
                        format!(
                            "This meeting does not meet on {}.",
                            [
                                "Sunday",
                                "Monday",
                                "Tuesday",
                                "Wednesday",
                                "Thursday",
                                "Friday",
                                "Saturday"
                            ][usize::from(*day % 7)]
                        )
                    },
                )
            })?;
            drafts.push(draft);
        }
        self.create_all::<Event>(drafts).await
    }
}

/// The largest feed fetched (a state's list is a few megabytes).
pub const MAX_FEED_BYTES: usize = 16 * 1024 * 1024;

fn unreachable_feed(why: impl std::fmt::Display) -> StoreError {
    ValidationErrors::single(
        "url",
        format!(
            "The meeting list could not be fetched ({why}). Check the address and that you are online; the lists already kept stay as they are."
        ),
    )
    .into()
}

/// Fetches a Meeting Guide feed: over HTTPS (plain HTTP only from this
/// computer itself), at most [`MAX_FEED_BYTES`], within 30 seconds.
pub async fn fetch_feed(url: &str) -> Result<String, StoreError> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| {
        StoreError::from(ValidationErrors::single(
            "url",
            "That is not a web address; paste the feed's whole address, starting with https://.",
        ))
    })?;
    let here = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && here) {
        return Err(ValidationErrors::single(
            "url",
            "A meeting list is fetched over https:// only, so that nobody on the way can change it.",
        )
        .into());
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(unreachable_feed)?;
    let mut response = client.get(parsed).send().await.map_err(unreachable_feed)?;
    if !response.status().is_success() {
        return Err(unreachable_feed(format!(
            "the server answered {}",
            response.status()
        )));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable_feed)? {
        if body.len() + chunk.len() > MAX_FEED_BYTES {
            return Err(unreachable_feed(format!(
                "it is larger than {} MB",
                MAX_FEED_BYTES / 1024 / 1024
            )));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| unreachable_feed("it is not text (UTF-8)"))
}
