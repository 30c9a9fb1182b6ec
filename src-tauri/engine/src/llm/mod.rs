//! Ollama: the client for its HTTP API ([`client`]) and the LLM gateway
//! that agents call instead of Ollama ([`gateway`]: cache, per-model limits,
//! fallback, accounting), and what starting a local
//! `ollama serve` runs ([`serve`]).

pub mod cache;
pub mod client;
pub mod codec;
pub mod error;
pub mod gateway;
pub mod limits;
pub mod model;
pub mod models;
mod relay;
pub mod serve;
pub mod usage;
