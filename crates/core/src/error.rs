//! Errors from the store, and the form the UI receives them in.

use std::path::PathBuf;

use serde::Serialize;
use steady_model::{FieldError, RecordId, ValidationErrors};
use ts_rs::TS;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The entry broke a rule; nothing was stored.
    #[error("{0}")]
    Invalid(#[from] ValidationErrors),

    #[error("That {noun} is no longer in your log; it may have been deleted.")]
    NotFound { noun: &'static str, id: RecordId },

    #[error(
        "Steady could not create its data folder {path}: {source}. Make the folder writable, or set STEADY_DATA_DIR to a folder that is."
    )]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "Steady could not read or write its data file ({0}). The last change was not saved; try again, and if it keeps failing, check that the disk has free space."
    )]
    Database(#[from] sqlx::Error),

    #[error(
        "Steady could not update its data file to this version ({0}). Nothing was changed; install the newest Steady, which can read it."
    )]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error(
        "A stored {noun} could not be read ({detail}). The rest of your log is unaffected; please report this."
    )]
    Corrupt { noun: &'static str, detail: String },

    /// A file outside the store (an export, a backup) could not be written
    /// or read.
    #[error(
        "Steady could not {action} {path}: {source}. Choose a folder you can write to, with free space, and try again."
    )]
    File {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn file(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| StoreError::File {
            action,
            path,
            source,
        }
    }

    pub(crate) fn corrupt(noun: &'static str, detail: impl ToString) -> Self {
        StoreError::Corrupt {
            noun,
            detail: detail.to_string(),
        }
    }
}

/// A store error as the UI shows it: what kind of problem, the words to show,
/// and for invalid entries the message for each field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorReport {
    Invalid {
        message: String,
        fields: Vec<FieldError>,
    },
    NotFound {
        message: String,
    },
    Storage {
        message: String,
    },
    /// The app is locked: nothing is read or written until the passcode
    /// is entered.
    Locked {
        message: String,
    },
}

impl ErrorReport {
    /// Bad input in one field: the message shown beside it and as a whole.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ErrorReport::Invalid {
            fields: vec![FieldError {
                field: field.into(),
                message: message.clone(),
            }],
            message,
        }
    }

    pub fn storage(message: impl Into<String>) -> Self {
        ErrorReport::Storage {
            message: message.into(),
        }
    }
}

impl ErrorReport {
    pub fn locked() -> Self {
        ErrorReport::Locked {
            message: "Steady is locked. Enter your passcode to continue.".into(),
        }
    }
}

impl From<StoreError> for ErrorReport {
    fn from(err: StoreError) -> Self {
        let message = err.to_string();
        match err {
            StoreError::Invalid(problems) => ErrorReport::Invalid {
                message,
                fields: problems.into_fields(),
            },
            StoreError::NotFound { .. } => ErrorReport::NotFound { message },
            _ => ErrorReport::Storage { message },
        }
    }
}
