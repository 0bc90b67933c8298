//! The wire between the TypeScript layer and the pool, one file per direction, mirroring
//! `lib/wire/`: the codes both sides share ([`codes`]), submission batches in ([`submit`],
//! with the kernel arguments in [`args`]) and event batches out ([`events`]).
pub(crate) mod args;
pub(crate) mod codes;
pub(crate) mod events;
pub(crate) mod submit;
