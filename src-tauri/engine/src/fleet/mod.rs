//! The agents' containers, through bollard. For now: the agent image.

pub mod image;
pub mod spec;
