//! The IPC contract. Each command is declared once, as a `#[tauri::command]`
//! function in `commands.rs`; each event once, in `events.rs`. build.rs
//! reads the commands and generates the handler, the permissions and each
//! command's TypeScript signature from the Rust types (ts-rs); the tests
//! below write `ui/src/ipc/types.ts` and `ui/src/ipc/commands.ts` from
//! that, fail when the committed files are stale, and check that the
//! capability file grants exactly the declared commands.

include!(concat!(env!("OUT_DIR"), "/handler.rs"));

/// The generator of `ui/src/ipc/types.ts` and `commands.ts`; it runs as a
/// test, which also fails when the committed files are stale.
#[cfg(test)]
pub(crate) mod bindings {
    use std::any::TypeId;
    use std::collections::{BTreeMap, BTreeSet, HashSet};

    use sutazai_engine::error::{Code, ErrorBody};
    use ts_rs::{TypeVisitor, TS};

    use crate::contract::Command;
    use crate::{commands, events};

    fn camel(snake: &str) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in snake.chars() {
            match c {
                '_' => upper = true,
                c if upper => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                c => out.push(c),
            }
        }
        out
    }

    /// `name: Type` of each parameter, as TypeScript names them.
    fn typed_params(command: &Command) -> Vec<String> {
        command
            .params
            .iter()
            .map(|(n, t)| format!("{}: {}", camel(n), t.render()))
            .collect()
    }

    /// Collects the declaration of every exportable type reachable from
    /// the roots, each once.
    #[derive(Default)]
    struct Declarations {
        /// Types visited (each generic instance once).
        seen: HashSet<TypeId>,
        /// Each declaration by its name: one for all instances of a generic,
        /// in name order (ts-rs visits dependencies in no fixed order).
        out: BTreeMap<String, String>,
    }

    impl TypeVisitor for Declarations {
        fn visit<T: TS + 'static + ?Sized>(&mut self) {
            // Primitives and containers have no declaration of their own.
            if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
                return;
            }
            let decl = T::decl();
            let known = self.out.entry(T::ident()).or_insert_with(|| decl.clone());
            // Two Rust types with one name would become one TypeScript type,
            // and one of them would be typed wrong in the UI.
            assert_eq!(
                *known,
                decl,
                "two Rust types are exported to TypeScript as `{}`: rename one",
                T::ident()
            );
            T::visit_dependencies(self);
        }
    }

    /// The content of `ui/src/ipc/types.ts`: every type a command or an
    /// event carries, found from the declarations themselves.
    pub fn types() -> String {
        let mut found = Declarations::default();
        // What `call.ts` reads of every failure.
        found.visit::<Code>();
        found.visit::<ErrorBody>();
        commands::contract::types(&mut found);
        events::types(&mut found);
        let mut out = String::from(
            "// Generated from the Rust types by `src-tauri/src/ipc.rs`; do not edit.\n\
             // Regenerate: UPDATE_BINDINGS=1 cargo test --workspace bindings\n\n",
        );
        for decl in found.out.into_values() {
            out.push_str("export ");
            out.push_str(&decl);
            out.push_str("\n\n");
        }
        out
    }

    /// The content of `ui/src/ipc/commands.ts`.
    pub fn commands() -> String {
        let declared = commands::contract::declared();
        let events = events::declared();
        let mut names = BTreeSet::new();
        for c in &declared {
            c.returns.names(&mut names);
            for (_, ty) in &c.params {
                ty.names(&mut names);
            }
        }
        for (_, _, payload) in &events {
            payload.names(&mut names);
        }
        let mut out = String::from(
            "// Generated from the Rust declarations by `src-tauri/src/ipc.rs`; do not edit.\n\
             // Regenerate: UPDATE_BINDINGS=1 cargo test --workspace bindings\n\n\
             import type { Channel } from \"@tauri-apps/api/core\";\n\
             import { call } from \"./call\";\n",
        );
        out.push_str(&format!(
            "import type {{ {} }} from \"./types\";\n\n",
            names.into_iter().collect::<Vec<_>>().join(", ")
        ));
        out.push_str("/** The backend's commands; the only way the UI calls Rust. */\nexport const commands = {\n");
        for c in &declared {
            let params = typed_params(c);
            let args: Vec<String> = c.params.iter().map(|(n, _)| camel(n)).collect();
            let args = if args.is_empty() {
                String::new()
            } else {
                format!(", {{ {} }}", args.join(", "))
            };
            out.push_str(&format!(
                "  {}: ({}) => call<{}>(\"{}\"{}),\n",
                camel(c.rust),
                params.join(", "),
                c.returns.render(),
                c.rust,
                args
            ));
        }
        out.push_str(
            "} as const;\n\n/** Each command's arguments and answer, by its Rust name (for typed fakes in tests). */\n\
             export type Commands = {\n",
        );
        for c in &declared {
            let params = typed_params(c);
            let args = if params.is_empty() {
                "Record<string, never>".to_string()
            } else {
                format!("{{ {} }}", params.join("; "))
            };
            out.push_str(&format!(
                "  {}: {{ args: {args}; result: {} }};\n",
                c.rust,
                c.returns.render()
            ));
        }
        out.push_str("};\n\n/** Event names, built in one place. */\nexport const events = {\n");
        for (constant, name, _) in &events {
            out.push_str(&format!("  {}: \"{name}\",\n", camel(&constant.to_lowercase())));
        }
        out.push_str("} as const;\n\n/** The payload of each event. */\nexport type EventPayloads = {\n");
        for (_, name, payload) in &events {
            out.push_str(&format!("  \"{name}\": {};\n", payload.render()));
        }
        out.push_str("};\n");
        out
    }

    /// The capability file grants exactly the declared commands, and
    /// nothing of other plugins but listening to events.
    #[test]
    fn the_capability_grants_exactly_the_declared_commands() {
        let capability: serde_json::Value = serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let granted: BTreeSet<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p.as_str()
                    .or_else(|| p["identifier"].as_str())
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        let mut want: BTreeSet<String> = commands::contract::declared()
            .iter()
            .map(|c| format!("allow-{}", c.rust.replace('_', "-")))
            .collect();
        want.insert("core:event:allow-listen".into());
        want.insert("core:event:allow-unlisten".into());
        let missing: Vec<_> = want.difference(&granted).collect();
        let unknown: Vec<_> = granted.difference(&want).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "capabilities/main.json must grant exactly the declared commands: add {missing:?}, remove {unknown:?}"
        );
    }

    /// The shell plugin is used from Rust only ("Start Ollama"): the
    /// webview must not be able to spawn or open anything through it.
    #[test]
    fn the_webview_has_no_shell_permission() {
        let capability: serde_json::Value = serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let permissions = capability["permissions"].as_array().unwrap();
        for permission in permissions {
            let id = permission
                .as_str()
                .or_else(|| permission["identifier"].as_str())
                .unwrap_or("");
            assert!(!id.starts_with("shell:"), "capabilities/main.json grants {id}");
        }
        assert!(permissions.iter().any(|p| p == "allow-start-ollama"));
    }

    #[test]
    fn bindings_are_fresh() {
        // At run time: a test binary may have been built in another clone.
        let dir = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../ui/src/ipc");
        let mut stale = Vec::new();
        for (file, want) in [("types.ts", types()), ("commands.ts", commands())] {
            let path = dir.join(file);
            if std::env::var_os("UPDATE_BINDINGS").is_some() {
                std::fs::write(&path, &want).unwrap();
            }
            if std::fs::read_to_string(&path).unwrap_or_default() != want {
                stale.push(file);
            }
        }
        assert!(
            stale.is_empty(),
            "ui/src/ipc/{stale:?} stale; regenerate with `UPDATE_BINDINGS=1 cargo test --workspace bindings`"
        );
    }
}
