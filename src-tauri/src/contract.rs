//! The shape of the IPC contract as the TypeScript generator sees it:
//! build.rs turns each command of `commands.rs` into a [`Command`] and
//! `events.rs` each event into a name and a [`Ts`]; `ipc.rs` writes them.

use std::collections::BTreeSet;

/// A TypeScript type as a command or event uses it.
pub enum Ts {
    /// A primitive (`number`, `string`, `boolean`, `null`).
    Lit(&'static str),
    /// A type declared in `types.ts`, by its ts-rs name.
    Named(String),
    Array(Box<Ts>),
    /// An `Option`: the type or `null`.
    Optional(Box<Ts>),
    /// A Tauri `Channel` the UI makes and the command sends to.
    Channel(Box<Ts>),
}

impl Ts {
    pub fn render(&self) -> String {
        match self {
            Ts::Lit(name) => (*name).to_string(),
            Ts::Named(name) => name.clone(),
            Ts::Array(item) => format!("{}[]", item.render()),
            Ts::Optional(item) => format!("{} | null", item.render()),
            Ts::Channel(item) => format!("Channel<{}>", item.render()),
        }
    }

    /// The names this type takes from `types.ts`.
    pub fn names(&self, into: &mut BTreeSet<String>) {
        match self {
            Ts::Lit(_) => {}
            Ts::Named(name) => {
                into.insert(name.split('<').next().unwrap_or(name).to_string());
            }
            Ts::Array(item) | Ts::Optional(item) | Ts::Channel(item) => item.names(into),
        }
    }
}

/// One command as `commands.rs` declares it (built by build.rs).
pub struct Command {
    pub rust: &'static str,
    pub params: Vec<(&'static str, Ts)>,
    pub returns: Ts,
}
