//! iOS: an opaque view over the web view while the app is not in front.
//! Depends on `objc2` and `objc2-ui-kit` alone.
// Unsafe for one thing: tauri hands out the view controller as a raw
// pointer, which is turned back into a reference here.
#![allow(unsafe_code)]

use std::ffi::c_void;

use objc2::{MainThreadMarker, MainThreadOnly};
use objc2_ui_kit::{UIColor, UIView, UIViewAutoresizing, UIViewController};

/// The cover's tag, so that it is found again and never added twice.
const COVER_TAG: isize = 0x5_7EAD;

/// Puts the cover over `view_controller`'s view (`on`) or takes it off.
///
/// # Safety
///
/// `view_controller` is null or points to a live `UIViewController`.
pub unsafe fn cover(view_controller: *mut c_void, on: bool) {
    let Some(mtm) = MainThreadMarker::new() else {
        return;
    };
    // SAFETY: the caller's promise.
    let Some(controller) = (unsafe { view_controller.cast::<UIViewController>().as_ref() }) else {
        return;
    };
    let Some(view) = controller.view() else {
        return;
    };
    match (on, view.viewWithTag(COVER_TAG)) {
        (true, None) => {
            let cover = UIView::initWithFrame(UIView::alloc(mtm), view.bounds());
            cover.setTag(COVER_TAG);
            cover.setBackgroundColor(Some(&UIColor::systemBackgroundColor()));
            cover.setAutoresizingMask(
                UIViewAutoresizing::FlexibleWidth | UIViewAutoresizing::FlexibleHeight,
            );
            view.addSubview(&cover);
        }
        (false, Some(cover)) => cover.removeFromSuperview(),
        _ => {}
    }
}
