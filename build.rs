//! Embeds `policy-templates/` into the binary, so `aims init` and `aims new`
//! work from an installed binary without the source tree.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, base, out);
        } else {
            out.push(path.strip_prefix(base).expect("inside base").to_path_buf());
        }
    }
}

fn main() {
    let base =
        Path::new(&env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("policy-templates");
    println!("cargo:rerun-if-changed=policy-templates");
    let mut files = Vec::new();
    collect(&base, &base, &mut files);
    let mut code = String::from(
        "/// Files of `policy-templates/`: (relative path, contents).\npub static TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for rel in files {
        let rel_str = rel
            .to_str()
            .expect("template paths are UTF-8")
            .replace('\\', "/");
        if rel_str == "README.md" {
            continue;
        }
        // Relative to the manifest, not an absolute path: the generated
        // file stays right when the same target directory builds another
        // copy of the sources.
        let include = format!("/policy-templates/{rel_str}");
        code.push_str(&format!(
            "    ({rel_str:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {include:?}))),\n"
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").expect("set by cargo")).join("templates.rs");
    fs::write(out, code).expect("write templates.rs");
}
