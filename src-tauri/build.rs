fn main() {
    // Declaring the app's commands generates one permission per command
    // (allow-<name>), so capabilities/default.json can grant exactly these
    // and nothing else.
    let manifest = tauri_build::AppManifest::new().commands(steady_app_commands::NAMES);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}

mod steady_app_commands {
    include!("src/command_names.rs");
}
