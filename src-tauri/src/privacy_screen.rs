//! Keeping the patient's entries out of a phone's app switcher.
//!
//! On a desktop the UI covers itself while its window is hidden
//! (`ui/src/gate/Gate.svelte`). A phone takes the switcher's snapshot
//! natively, as the app leaves the front, before a page could repaint, so
//! while the app lock is on:
//!
//! - **Android**: the activity's window carries `FLAG_SECURE`: the switcher
//!   shows a blank card, and screenshots and screen recordings of Steady are
//!   refused.
//! - **iOS**: an opaque view covers the web view from the moment the app
//!   resigns active (iOS takes the snapshot after that) until it is back in
//!   front.
//!
//! The platform code (`privacy_screen/android.rs`, `privacy_screen/ios.rs`)
//! takes only what it needs — a JNI environment and the activity; a view
//! controller — so each can be type-checked for its own target alone.

#[cfg(target_os = "android")]
#[path = "privacy_screen/android.rs"]
mod android;
#[cfg(target_os = "ios")]
#[path = "privacy_screen/ios.rs"]
mod ios;

use tauri::{AppHandle, Runtime};

/// The app lock was turned on or off, or the log opened with it on or off.
pub fn lock_changed<R: Runtime>(app: &AppHandle<R>, on: bool) {
    #[cfg(target_os = "android")]
    {
        use tauri::Manager;
        for window in app.webview_windows().into_values() {
            let _ = window.with_webview(move |webview| {
                webview.jni_handle().exec(move |env, activity, _webview| {
                    if android::set_secure(env, activity, on).is_err() {
                        let _ = env.exception_clear();
                        eprintln!("steady: the app switcher's snapshot could not be hidden");
                    }
                });
            });
        }
    }
    #[cfg(not(target_os = "android"))]
    let _ = (app, on);
}

/// The app is leaving the front (`leaving`), or is back: on iOS, the cover
/// goes on (if the lock is on) or comes off.
#[cfg(mobile)]
pub fn leaving<R: Runtime>(app: &AppHandle<R>, leaving: bool) {
    #[cfg(target_os = "ios")]
    {
        use tauri::Manager;
        for window in app.webview_windows().into_values() {
            let _ = window.with_webview(move |webview| {
                // SAFETY: tauri hands out the view controller of this live
                // web view, and runs this closure on the main thread.
                #[allow(unsafe_code)]
                unsafe {
                    ios::cover(webview.view_controller(), leaving)
                };
            });
        }
    }
    #[cfg(not(target_os = "ios"))]
    let _ = (app, leaving);
}
