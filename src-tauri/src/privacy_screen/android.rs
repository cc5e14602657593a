//! Android: `FLAG_SECURE` on the activity's window. Depends on `jni` alone.

use jni::JNIEnv;
use jni::objects::{JObject, JValue};

/// `android.view.WindowManager.LayoutParams.FLAG_SECURE`.
const FLAG_SECURE: i32 = 0x0000_2000;

/// Sets (`on`) or clears `FLAG_SECURE` on `activity`'s window. Called on the
/// UI thread (wry's JNI handle runs it there), as `Window.addFlags` asks.
/// On an error a Java exception may be pending; the caller clears it.
pub fn set_secure(env: &mut JNIEnv, activity: &JObject, on: bool) -> jni::errors::Result<()> {
    let window = env
        .call_method(activity, "getWindow", "()Landroid/view/Window;", &[])?
        .l()?;
    let method = if on { "addFlags" } else { "clearFlags" };
    env.call_method(&window, method, "(I)V", &[JValue::Int(FLAG_SECURE)])?;
    env.delete_local_ref(window)?;
    Ok(())
}
