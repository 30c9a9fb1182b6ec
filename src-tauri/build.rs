//! Reads the app's IPC commands from their one declaration, the
//! `#[tauri::command]` functions of `src/commands.rs`, and generates from
//! them:
//! - the permission of each command (tauri-build's app manifest), which the
//!   capability file must grant (least privilege; `ipc.rs` tests that it
//!   names exactly these);
//! - `$OUT_DIR/handler.rs`: the invoke handler listing every command;
//! - `$OUT_DIR/contract.rs`: each command's TypeScript parameters and result,
//!   built from the Rust types with ts-rs, from which `ipc.rs` writes
//!   `ui/src/ipc/commands.ts`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use syn::{FnArg, GenericArgument, Item, Pat, PathArguments, ReturnType, Type};

/// Parameters Tauri fills in itself; the UI never passes them.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "Webview", "WebviewWindow"];

fn main() {
    // Re-embed the UI when it is rebuilt.
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=src/commands.rs");
    let source = std::fs::read_to_string("src/commands.rs").expect("src/commands.rs is readable");
    let file = syn::parse_file(&source).expect("src/commands.rs parses");
    let commands: Vec<Command> = file.items.iter().filter_map(command).collect();

    // The manifest keeps the names for the whole build script: leaked once.
    let names: Vec<&'static str> = commands.iter().map(|c| &*c.name.clone().leak()).collect();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("handler.rs"), handler(&names)).expect("OUT_DIR is writable");
    std::fs::write(out.join("contract.rs"), contract(&commands)).expect("OUT_DIR is writable");

    // Declaring the app's commands makes each one a permission that the
    // capability file must grant explicitly.
    let manifest = tauri_build::AppManifest::new().commands(names.clone().leak());
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri build script failed");
}

/// One command as its function declares it.
struct Command {
    name: String,
    /// (Rust name, TypeScript type expression) of each parameter the UI passes.
    params: Vec<(String, String)>,
    /// The TypeScript type expression of what it answers (`Ok` of a `Result`).
    returns: String,
    /// The named Rust types among them, as written in commands.rs.
    named: BTreeSet<String>,
}

fn command(item: &Item) -> Option<Command> {
    let Item::Fn(function) = item else { return None };
    let is_command = function.attrs.iter().any(|a| {
        let segments: Vec<String> = a.path().segments.iter().map(|s| s.ident.to_string()).collect();
        segments == ["tauri", "command"]
    });
    if !is_command {
        return None;
    }
    let name = function.sig.ident.to_string();
    let mut params = Vec::new();
    let mut named = BTreeSet::new();
    for input in &function.sig.inputs {
        let FnArg::Typed(arg) = input else {
            panic!("src/commands.rs: command `{name}` takes self; commands are free functions")
        };
        if INJECTED.contains(&last_ident(&arg.ty).as_str()) {
            continue;
        }
        let Pat::Ident(ident) = &*arg.pat else {
            panic!("src/commands.rs: command `{name}`: every parameter needs a plain name")
        };
        params.push((ident.ident.to_string(), ts(&arg.ty, &name, &mut named)));
    }
    let returns = match &function.sig.output {
        ReturnType::Default => "Ts::Lit(\"null\")".to_string(),
        ReturnType::Type(_, ty) if last_ident(ty) == "Result" => ts(&generic_args(ty)[0], &name, &mut named),
        ReturnType::Type(_, ty) => ts(ty, &name, &mut named),
    };
    Some(Command {
        name,
        params,
        returns,
        named,
    })
}

/// The last segment of a type's path (`State` of `tauri::State<'_, Shell>`).
fn last_ident(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        Type::Reference(reference) => last_ident(&reference.elem),
        _ => String::new(),
    }
}

fn generic_args(ty: &Type) -> Vec<Type> {
    let Type::Path(path) = ty else { return Vec::new() };
    let Some(segment) = path.path.segments.last() else {
        return Vec::new();
    };
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// A Rust expression building the TypeScript type of `ty` (`Ts` of ipc.rs):
/// containers and primitives by their JSON shape, every other type by its
/// ts-rs name, so a type the UI cannot know fails to compile.
fn ts(ty: &Type, command: &str, named: &mut BTreeSet<String>) -> String {
    if let Type::Tuple(tuple) = ty {
        assert!(
            tuple.elems.is_empty(),
            "src/commands.rs: `{command}`: tuples cannot cross IPC"
        );
        return "Ts::Lit(\"null\")".into();
    }
    let ident = last_ident(ty);
    match ident.as_str() {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64" => {
            "Ts::Lit(\"number\")".into()
        }
        "String" | "str" => "Ts::Lit(\"string\")".into(),
        "bool" => "Ts::Lit(\"boolean\")".into(),
        "Vec" => format!("Ts::Array(Box::new({}))", ts(&generic_args(ty)[0], command, named)),
        "Option" => format!("Ts::Optional(Box::new({}))", ts(&generic_args(ty)[0], command, named)),
        "HashMap" | "BTreeMap" => {
            panic!("src/commands.rs: `{command}`: wrap `{ident}` in a named type (or teach build.rs and ipc.rs's Ts)")
        }
        "Channel" => format!("Ts::Channel(Box::new({}))", ts(&generic_args(ty)[0], command, named)),
        "" => panic!("src/commands.rs: `{command}`: a parameter or result type the generator does not know"),
        _ => {
            let Type::Path(path) = ty else {
                unreachable!("named types are paths")
            };
            let mut rust = String::new();
            for (at, segment) in path.path.segments.iter().enumerate() {
                if at > 0 {
                    rust.push_str("::");
                }
                rust.push_str(&segment.ident.to_string());
            }
            named.insert(rust.clone());
            format!("Ts::Named(<{rust} as ::ts_rs::TS>::name())")
        }
    }
}

fn handler(names: &[&str]) -> String {
    let mut out = String::from(
        "/// The command handler registered with the app: every `#[tauri::command]`\n\
         /// of `commands.rs` (generated by build.rs).\n\
         pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {\n    \
         tauri::generate_handler![\n",
    );
    for name in names {
        out.push_str(&format!("        crate::commands::{name},\n"));
    }
    out.push_str("    ]\n}\n");
    out
}

fn contract(commands: &[Command]) -> String {
    let mut out = String::from("/// Every command, as `commands.rs` declares it (generated by build.rs).\npub fn declared() -> Vec<Command> {\n    vec![\n");
    for c in commands {
        let params: Vec<String> = c.params.iter().map(|(n, t)| format!("(\"{n}\", {t})")).collect();
        out.push_str(&format!(
            "        Command {{ rust: \"{}\", params: vec![{}], returns: {} }},\n",
            c.name,
            params.join(", "),
            c.returns
        ));
    }
    out.push_str("    ]\n}\n\n/// Hands every named type the commands use to `visitor`.\npub fn types(visitor: &mut impl ::ts_rs::TypeVisitor) {\n");
    let named: BTreeSet<&String> = commands.iter().flat_map(|c| &c.named).collect();
    for rust in named {
        out.push_str(&format!("    visitor.visit::<{rust}>();\n"));
    }
    out.push_str("}\n");
    out
}
