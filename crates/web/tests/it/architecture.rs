//! The web crate's modules stand side by side: features import the shared modules below them,
//! never each other, and no two modules import each other, however indirectly. Only the
//! router (`routes`, `server`) and the OpenAPI assembly (`api`) import features.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The modules that bring the features together: only they import features.
const ASSEMBLY: [&str; 3] = ["routes", "server", "api"];

/// The modules below the features: what several features use. They import only each other.
const SHARED: [&str; 8] = ["api_core", "context", "error", "forms", "middleware", "request", "routing", "views"];

/// Each top-level module of `web/src` and the top-level modules its code names (`crate::x`).
/// A module's submodules (`files/api.rs`) count as the module; comments are left out.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![src.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" {
            continue;
        }
        let code: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let named = graph.entry(module.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                named.extend(group.split(',').map(|p| p.trim().split("::").next().unwrap_or_default().to_owned()));
            } else {
                named.insert(rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect());
            }
        }
        named.retain(|m| !m.is_empty() && *m != module && m.chars().next().is_some_and(|c| c.is_ascii_lowercase()));
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for named in graph.values_mut() {
        named.retain(|m| modules.contains(m));
    }
    graph
}

/// The modules on some cycle, found by following imports from each module back to itself.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in graph.keys() {
        // Breadth-first from `start`, remembering how each module was reached.
        let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(module) = queue.pop_front() {
            for next in &graph[module] {
                if next == start {
                    let mut path = vec![module.clone()];
                    let mut at = module;
                    while at != start {
                        at = came_from[at];
                        path.push(at.clone());
                    }
                    path.reverse();
                    found.push(path);
                    queue.clear();
                    break;
                }
                if !came_from.contains_key(next) && next != start {
                    came_from.insert(next, module);
                    queue.push_back(next);
                }
            }
        }
    }
    found
}

#[test]
fn no_two_web_modules_import_each_other() {
    let graph = imports();
    // The check sees real imports: the features do import the shared modules.
    assert!(
        graph["files"].contains("context") && graph["routes"].contains("files"),
        "{graph:#?}"
    );
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "web modules importing each other (move what they share into a module below both):\n{}",
        cycles
            .iter()
            .map(|c| format!("  {} → {}", c.join(" → "), c[0]))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A feature (every module that is neither shared nor assembly) imports shared modules only,
/// and a shared module imports no feature.
#[test]
fn features_import_only_shared_modules() {
    let graph = imports();
    let features: Vec<&String> = graph
        .keys()
        .filter(|m| !SHARED.contains(&m.as_str()) && !ASSEMBLY.contains(&m.as_str()))
        .collect();
    // The check sees the features: each of these lists its own routes.
    for feature in ["files", "invoices", "portal", "projects", "tasks"] {
        assert!(features.iter().any(|f| *f == feature), "{feature} is not among {features:?}");
    }
    let mut crossings = vec![];
    for (module, named) in graph.iter().filter(|(m, _)| !ASSEMBLY.contains(&m.as_str())) {
        for imported in named {
            let imports_feature = features.contains(&imported);
            if imports_feature {
                crossings.push(format!("  {module} → {imported}"));
            }
        }
    }
    assert!(
        crossings.is_empty(),
        "modules importing a feature (move what they share under views/ or another shared module):\n{}",
        crossings.join("\n")
    );
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [("portal", vec!["files", "views"]), ("files", vec!["portal"]), ("views", vec![])]
        .into_iter()
        .map(|(m, to)| (m.to_owned(), to.into_iter().map(str::to_owned).collect()))
        .collect();
    assert_eq!(
        cycles(&graph),
        vec![
            vec!["files".to_owned(), "portal".to_owned()],
            vec!["portal".to_owned(), "files".to_owned()]
        ]
    );
}
