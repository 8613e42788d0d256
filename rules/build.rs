// The policy library and fixtures are embedded with include_dir!, which cannot see files
// added after the last build; these lines make cargo rebuild when anything under them changes.
fn main() {
    println!("cargo:rerun-if-changed=policies");
    println!("cargo:rerun-if-changed=params.default.json");
    println!("cargo:rerun-if-changed=../fixtures/documents");
}
