// Included by the build scripts of the packages whose tests depend on a component that may be
// missing (PostgreSQL, the browser, Stripe, S3, a tmpfs, poppler). Each switch becomes a cfg,
// so a test whose suite is off is reported by `cargo test` as ignored, with the variable that
// turns it on, instead of passing without running. Changing a variable rebuilds the package.

/// The variables that switch suites on, the cfg each sets, and whether a value other than
/// "1" (any non-empty value: a URL) counts.
const TEST_SWITCHES: [(&str, &str, bool); 6] = [
    ("PORTICO_TEST_POSTGRES_URL", "portico_postgres_suite", true),
    ("PORTICO_E2E", "portico_e2e_suite", false),
    ("PORTICO_TEST_STRIPE_PYTHON", "portico_stripe_suite", true),
    ("PORTICO_TEST_S3_URL", "portico_s3_suite", true),
    ("PORTICO_TEST_TMPFS", "portico_tmpfs_suite", false),
    ("PORTICO_TEST_PDF_TEXT", "portico_pdf_text_suite", false),
];

fn declare_test_switches() {
    println!("cargo::rerun-if-changed=../../build-support/test_switches.rs");
    for (variable, cfg, any_value) in TEST_SWITCHES {
        println!("cargo::rerun-if-env-changed={variable}");
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        let value = std::env::var(variable).unwrap_or_default();
        if (any_value && !value.is_empty()) || value == "1" {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
