include!("../../build-support/test_switches.rs");

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    declare_test_switches();
}
