//! `sha256`: the SHA-256 digest of bytes, by RustCrypto's `sha2`.
use sha2::{Digest, Sha256};

use ferris_kernel_sdk::{cancelled, Args, Context, KernelError, Value};

/// Bytes hashed between two looks at the cancellation flag (~1 ms).
const CHECK_EVERY: usize = 1 << 20;

/// `sha256(data)`: the 32-byte SHA-256 digest of a Uint8Array.
pub fn sha256(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let mut hasher = Sha256::new();
    for piece in args.bytes(0).chunks(CHECK_EVERY) {
        if ctx.is_cancelled() {
            return Err(cancelled());
        }
        hasher.update(piece);
    }
    Ok(Value::Uint8Array(hasher.finalize().to_vec()))
}
