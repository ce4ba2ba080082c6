include!("../../build-support/test_switches.rs");

fn main() {
    // `sqlx::migrate!` embeds the migrations when the crate compiles; without this, adding a
    // migration file would not rebuild the crate and the binary would silently lack it.
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rerun-if-changed=build.rs");
    declare_test_switches();
}
