//! Test support shared by the cross-part tests: a fake Ollama (Ollama cannot
//! be installed on our machines) and a private Docker engine that a test may
//! stop. Nothing here is part of the product.

pub mod agent;
pub mod docker;
pub mod dockerd;
pub mod engine;
pub mod fake_ollama;
