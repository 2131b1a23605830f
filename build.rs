//! Generates each surface's Rust from its hand-written spec in `openapi/`:
//! `OUT_DIR/<surface>.rs` (types, handler trait, routes) and
//! `OUT_DIR/<surface>.json` (the same spec as JSON, served beside the YAML).

use std::path::Path;
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=openapi");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut specs: Vec<_> = fs::read_dir("openapi")
        .expect("openapi/ holds the specs")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    specs.sort();
    for spec in specs {
        let surface = spec.file_stem().and_then(|s| s.to_str()).expect("spec names are UTF-8");
        println!("cargo:rerun-if-changed={}", spec.display());
        let yaml = fs::read_to_string(&spec).expect("spec is readable");
        let code = steward_codegen::generate(&yaml).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        let json = steward_codegen::to_json(&yaml).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        fs::write(Path::new(&out_dir).join(format!("{surface}.rs")), code).expect("OUT_DIR is writable");
        fs::write(Path::new(&out_dir).join(format!("{surface}.json")), json).expect("OUT_DIR is writable");
    }
}
