//! The patient app's engine. Everything the app keeps goes through [`Store`],
//! which validates with `steady-model`, stamps each changed field with the
//! hybrid logical clock, and commits durably to one SQLite file before it
//! returns.

pub mod care;
pub mod error;
pub mod planner;
mod records;
pub mod schedule;
pub mod store;
pub mod sync;
pub mod worksheets;

pub use error::{ErrorReport, StoreError};
pub use planner::{PlanInput, QuietHours, Reminder, ReminderKey, ReminderSettings, plan};
pub use schedule::{AttendanceMark, OccurrenceView, WeekHours};
pub use store::{DB_FILE, ListQuery, Page, PageCursor, Store, connect_options};
pub use sync::runner::{SyncRunner, Timing};
pub use sync::{
    ConsentTerms, PairPreview, Pairing, Refusal, SyncClient, SyncError, SyncLog, SyncReport,
    SyncStatus,
};
pub use worksheets::{FhirExport, fhir_export};
