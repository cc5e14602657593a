//! The patient app's engine. Everything the app keeps goes through [`Store`],
//! which validates with `steady-model`, stamps each changed field with the
//! hybrid logical clock, and commits durably to one SQLite file before it
//! returns.

pub mod applock;
pub mod backup;
pub mod care;
pub mod closing;
pub mod error;
pub mod export;
pub mod insights;
pub mod keys;
pub mod meetings;
pub mod planner;
mod records;
pub mod schedule;
pub mod store;
pub mod sync;
pub mod vault;
pub mod worksheets;

pub use applock::{Attempt, LockSettings};
pub use backup::{BackupReport, RestoreReport};
pub use error::{ErrorReport, StoreError};
pub use export::ExportReport;
pub use insights::{Progress, ProgressSettings};
pub use keys::{KeyError, KeyStore, Keychain, StoreKey};
pub use meetings::{FeedInfo, FeedReport, FoundMeeting, MeetingSearch};
pub use planner::{
    PlanInput, QuietHours, Reminder, ReminderKey, ReminderSettings, WeeklyReviewTime, plan,
};
pub use schedule::{AttendanceMark, IcsImport, OccurrenceView, WeekHours};
pub use store::{DB_FILE, ListQuery, Page, PageCursor, Store, connect_options};
pub use sync::runner::{SyncRunner, Timing};
pub use sync::{
    ConsentTerms, Disclosures, PairLink, PairPreview, Pairing, Refusal, SyncClient, SyncError,
    SyncLog, SyncReport, SyncStatus,
};
pub use vault::{FileState, OpenError, StoreState};
pub use worksheets::{FhirExport, fhir_export};
