//! How the pool reports to its owner.

/// How the pool reports to its owner; `O` is what native jobs return. The methods run on
/// worker threads, or on the owner's thread inside [`Pool::finish_external`](crate::Pool::finish_external),
/// and must not block.
pub trait Hooks<O>: Send + Sync + 'static {
    /// A native task returned `output`. Its run is already counted in [`Pool::stats`](crate::Pool::stats).
    fn completed(&self, tag: u64, output: O);
    /// An external task was taken from the queue: its owner must run it now and then call
    /// [`Pool::finish_external`](crate::Pool::finish_external). Its slot stays taken until then.
    fn external_ready(&self, tag: u64);
    /// A native task panicked; `message` is the panic payload when it was a string.
    fn panicked(&self, tag: u64, message: String);
}
