/// Every command the UI may call; build.rs turns each into a permission.
pub const NAMES: &[&str] = &[
    "create_checkin",
    "update_checkin",
    "delete_checkin",
    "get_checkin",
    "list_checkins",
    "create_trigger",
    "update_trigger",
    "delete_trigger",
    "list_triggers",
];
