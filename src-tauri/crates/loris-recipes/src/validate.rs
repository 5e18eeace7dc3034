//! Checks a recipe and orders its columns.
//!
//! A column depends on the columns its Jinja templates name, on a subcategory's parent, on a
//! timedelta's reference column and on a validation column's targets. These dependencies form
//! a graph that must be acyclic; every problem found is reported, each with its JSON path.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;
use serde_json::Value;

use crate::checks::ValidationSpec;
use crate::error::ValidationError;
use crate::format::{Column, RecipeDocument};
use crate::processors::Transform;
use crate::providers::InferenceParams;
use crate::samplers::{CONVERSIONS, SamplerSpec};

/// A sampler column's params, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplerPlan {
    pub base: SamplerSpec,
    /// Jinja conditions (in the document's key order) and the params used when one holds.
    pub conditions: Vec<(String, SamplerSpec)>,
    pub convert_to: Option<String>,
}

/// The outcome of a successful validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Column indices (into `recipe.columns`) in an order where each comes after the columns it
    /// depends on; ties keep the document's order.
    pub order: Vec<usize>,
    /// The same order as names.
    pub order_names: Vec<String>,
    /// The checked params of each sampler column, by column index.
    pub samplers: HashMap<usize, SamplerPlan>,
}

/// Validates `doc`, returning the generation order or every problem found.
pub fn validate(doc: &RecipeDocument) -> Result<Plan, Vec<ValidationError>> {
    validate_with_seed(doc, &[])
}

/// Validates `doc` when its rows start from a seed whose columns are `seed_columns`: templates
/// may name those columns too.
pub fn validate_with_seed(
    doc: &RecipeDocument,
    seed_columns: &[String],
) -> Result<Plan, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let seed_names: HashSet<&str> = seed_columns.iter().map(String::as_str).collect();
    let columns = doc.recipe.columns();

    // Names: the first column with a name is the one references resolve to.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, column) in columns.iter().enumerate() {
        if index.contains_key(column.name()) {
            errors.push(ValidationError::DuplicateName {
                path: format!("recipe.columns[{i}].name"),
                name: column.name().to_string(),
            });
        } else {
            index.insert(column.name(), i);
        }
    }

    // Providers and model configs.
    let providers: HashSet<&str> = doc
        .recipe
        .model_providers()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    for (i, config) in doc.recipe.model_configs().iter().enumerate() {
        if let Some(provider) = &config.provider
            && !providers.contains(provider.as_str())
        {
            errors.push(ValidationError::MissingProvider {
                path: format!("recipe.model_configs[{i}].provider"),
                provider: provider.clone(),
            });
        }
    }
    for (i, config) in doc.recipe.model_configs().iter().enumerate() {
        let path = format!("recipe.model_configs[{i}].inference_parameters");
        if let Err(found) = InferenceParams::parse(config.inference_parameters.as_ref(), &path) {
            errors.extend(found);
        }
    }
    if let Err(found) = Transform::from_recipe(doc) {
        errors.extend(found);
    }
    let aliases: HashSet<&str> = doc
        .recipe
        .model_configs()
        .iter()
        .map(|c| c.alias.as_str())
        .collect();

    let env = template_env();
    let globals: HashSet<String> = env.globals().map(|(name, _)| name.to_string()).collect();

    let mut graph: DiGraphMap<usize, ()> = DiGraphMap::new();
    let mut samplers = HashMap::new();
    for (i, column) in columns.iter().enumerate() {
        graph.add_node(i);
        let base = format!("recipe.columns[{i}]");
        // (referenced name, path of the field that names it)
        let mut refs: Vec<(String, String)> = Vec::new();
        let template = |field: &str,
                        source: &str,
                        refs: &mut Vec<(String, String)>,
                        errors: &mut Vec<ValidationError>| {
            let path = format!("{base}.{field}");
            match template_refs(&env, source, &globals) {
                Ok(names) => refs.extend(names.into_iter().map(|n| (n, path.clone()))),
                Err(reason) => errors.push(ValidationError::InvalidTemplate { path, reason }),
            }
        };
        match column {
            Column::Sampler(c) => {
                let empty = serde_json::Map::new();
                let params = c.params.as_ref().unwrap_or(&empty);
                let parsed = SamplerSpec::parse(
                    &c.sampler_type,
                    params,
                    &format!("{base}.params"),
                    &format!("{base}.sampler_type"),
                );
                let mut conditions = Vec::new();
                for (condition, cond_params) in c.conditional_params.iter().flatten() {
                    let path = format!("{base}.conditional_params[{condition:?}]");
                    match expression_refs(&env, condition, &globals) {
                        Ok(names) => refs.extend(names.into_iter().map(|n| (n, path.clone()))),
                        Err(reason) => errors.push(ValidationError::InvalidTemplate {
                            path: path.clone(),
                            reason,
                        }),
                    }
                    let Some(obj) = cond_params.as_object() else {
                        errors.push(ValidationError::InvalidParams {
                            path,
                            reason: "expected an object of params".to_string(),
                        });
                        continue;
                    };
                    match SamplerSpec::parse(
                        &c.sampler_type,
                        obj,
                        &path,
                        &format!("{base}.sampler_type"),
                    ) {
                        Ok(spec) => conditions.push((condition.clone(), spec)),
                        Err(err) => errors.push(err),
                    }
                }
                if let Some(to) = &c.convert_to
                    && !CONVERSIONS.contains(&to.as_str())
                {
                    errors.push(ValidationError::InvalidParams {
                        path: format!("{base}.convert_to"),
                        reason: format!("expected one of {}", CONVERSIONS.join(", ")),
                    });
                }
                match parsed {
                    Ok(spec) => {
                        if let Some((name, field)) = spec.reference() {
                            refs.push((name.to_string(), format!("{base}.params.{field}")));
                        }
                        for (_, cond) in &conditions {
                            if let Some((name, field)) = cond.reference() {
                                refs.push((name.to_string(), format!("{base}.params.{field}")));
                            }
                        }
                        samplers.insert(
                            i,
                            SamplerPlan {
                                base: spec,
                                conditions,
                                convert_to: c.convert_to.clone(),
                            },
                        );
                    }
                    Err(err) => errors.push(err),
                }
            }
            Column::Expression(c) => {
                template("expr", &c.expr, &mut refs, &mut errors);
                if let Some(dtype) = &c.dtype
                    && !["int", "float", "str", "bool"].contains(&dtype.as_str())
                {
                    errors.push(ValidationError::InvalidParams {
                        path: format!("{base}.dtype"),
                        reason: "expected one of int, float, str, bool".to_string(),
                    });
                }
            }
            Column::Validation(c) => {
                if let Err(err) = ValidationSpec::parse(c, &base) {
                    errors.push(err);
                }
                for (k, target) in c.target_columns.iter().enumerate() {
                    refs.push((target.clone(), format!("{base}.target_columns[{k}]")));
                }
            }
            Column::LlmText(_)
            | Column::LlmCode(_)
            | Column::LlmStructured(_)
            | Column::LlmJudge(_) => {}
        }
        if let Some((alias, prompt, system)) = column.llm_fields() {
            if !aliases.contains(alias) {
                errors.push(ValidationError::MissingModelConfig {
                    path: format!("{base}.model_alias"),
                    alias: alias.to_string(),
                });
            }
            template("prompt", prompt, &mut refs, &mut errors);
            if let Some(system) = system {
                template("system_prompt", system, &mut refs, &mut errors);
            }
        }
        if let Column::LlmStructured(c) = column
            && let Err(reason) = object_schema(&c.output_format)
        {
            errors.push(ValidationError::InvalidSchema {
                path: format!("{base}.output_format"),
                reason,
            });
        }

        for (name, path) in refs {
            match index.get(name.as_str()) {
                Some(&j) => {
                    graph.add_edge(i, j, ());
                }
                None if seed_names.contains(name.as_str()) => {}
                None => errors.push(ValidationError::UnknownReference {
                    path,
                    column: column.name().to_string(),
                    reference: name,
                }),
            }
        }
    }

    for (p, processor) in doc.recipe.processors().iter().enumerate() {
        if processor.processor_type == "schema_transform"
            && let Some(template) = processor.extra.get("template")
        {
            let mut strings = Vec::new();
            template_strings(template, "template", &mut strings);
            for (field, source) in strings {
                let path = format!("recipe.processors[{p}].{field}");
                match template_refs(&env, source, &globals) {
                    Ok(names) => {
                        for name in names {
                            if !index.contains_key(name.as_str())
                                && !seed_names.contains(name.as_str())
                            {
                                errors.push(ValidationError::UnknownReference {
                                    path: path.clone(),
                                    column: format!("processor {p}"),
                                    reference: name,
                                });
                            }
                        }
                    }
                    Err(reason) => errors.push(ValidationError::InvalidTemplate { path, reason }),
                }
            }
        }
        if processor.processor_type != "drop_columns" {
            continue;
        }
        for (k, name) in processor.column_names.iter().flatten().enumerate() {
            if !index.contains_key(name.as_str()) && !seed_names.contains(name.as_str()) {
                errors.push(ValidationError::UnknownReference {
                    path: format!("recipe.processors[{p}].column_names[{k}]"),
                    column: format!("processor {p}"),
                    reference: name.clone(),
                });
            }
        }
    }

    let cycles = find_cycles(&graph);
    for cycle in &cycles {
        errors.push(ValidationError::Cycle {
            path: format!("recipe.columns[{}]", cycle[0]),
            columns: cycle
                .iter()
                .map(|&i| columns[i].name().to_string())
                .collect(),
        });
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    let order = topological_order(&graph, columns.len());
    let order_names = order
        .iter()
        .map(|&i| columns[i].name().to_string())
        .collect();
    Ok(Plan {
        order,
        order_names,
        samplers,
    })
}

/// Every string inside a JSON template, with its path below `at`.
fn template_strings<'v>(value: &'v Value, at: &str, out: &mut Vec<(String, &'v str)>) {
    match value {
        Value::String(s) => out.push((at.to_string(), s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                template_strings(item, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                template_strings(v, &format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// Instructions one template render may run: far more than any real prompt needs.
pub const TEMPLATE_FUEL: u64 = 1_000_000;

/// The environment used to read and render every template: strict, so a name that is not
/// in the row is an error rather than an empty string.
pub(crate) fn template_env() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Recipes come from anywhere: a template that loops for ever is stopped, not waited for.
    env.set_fuel(Some(TEMPLATE_FUEL));
    env
}

fn template_refs(
    env: &minijinja::Environment<'_>,
    source: &str,
    globals: &HashSet<String>,
) -> Result<BTreeSet<String>, String> {
    let template = env.template_from_str(source).map_err(|e| e.to_string())?;
    Ok(template
        .undeclared_variables(false)
        .into_iter()
        .filter(|n| !globals.contains(n))
        .collect())
}

fn expression_refs(
    env: &minijinja::Environment<'_>,
    source: &str,
    globals: &HashSet<String>,
) -> Result<BTreeSet<String>, String> {
    let expr = env.compile_expression(source).map_err(|e| e.to_string())?;
    Ok(expr
        .undeclared_variables(false)
        .into_iter()
        .filter(|n| !globals.contains(n))
        .collect())
}

/// An object JSON schema: a JSON object (or its text) whose `type` is `object`, or which has
/// `properties` when it gives no type.
pub(crate) fn object_schema(format: &Value) -> Result<Value, String> {
    let schema = match format {
        Value::String(text) => {
            serde_json::from_str::<Value>(text).map_err(|e| format!("the text is not JSON: {e}"))?
        }
        other => other.clone(),
    };
    let Some(obj) = schema.as_object() else {
        return Err("expected a JSON object".to_string());
    };
    match obj.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(other) => return Err(format!("`type` is {other}, not \"object\"")),
        None if obj.contains_key("properties") => {}
        None => return Err("neither `type: object` nor `properties`".to_string()),
    }
    if let Some(props) = obj.get("properties")
        && !props.is_object()
    {
        return Err("`properties` is not an object".to_string());
    }
    Ok(schema)
}

/// One cycle per strongly connected component that has one, listed from its lowest column
/// index along the dependency edges: `[a, b, c]` means a uses b, b uses c, c uses a.
fn find_cycles(graph: &DiGraphMap<usize, ()>) -> Vec<Vec<usize>> {
    let mut cycles = Vec::new();
    for scc in tarjan_scc(graph) {
        let start = match scc.iter().min() {
            Some(&s) => s,
            None => continue,
        };
        if scc.len() == 1 {
            if graph.contains_edge(start, start) {
                cycles.push(vec![start]);
            }
            continue;
        }
        let members: HashSet<usize> = scc.iter().copied().collect();
        if let Some(path) = cycle_from(graph, start, &members) {
            cycles.push(path);
        }
    }
    cycles.sort();
    cycles
}

/// A path from `start` back to `start` inside `members`, by depth-first search visiting
/// neighbours in index order so the answer is deterministic.
fn cycle_from(
    graph: &DiGraphMap<usize, ()>,
    start: usize,
    members: &HashSet<usize>,
) -> Option<Vec<usize>> {
    let mut stack = vec![(start, sorted_neighbours(graph, start, members), 0usize)];
    let mut on_path: HashSet<usize> = HashSet::from([start]);
    while let Some((node, next, pos)) = stack.last_mut() {
        if *pos >= next.len() {
            on_path.remove(node);
            stack.pop();
            continue;
        }
        let n = next[*pos];
        *pos += 1;
        if n == start {
            return Some(stack.iter().map(|(node, _, _)| *node).collect());
        }
        if on_path.insert(n) {
            let neighbours = sorted_neighbours(graph, n, members);
            stack.push((n, neighbours, 0));
        }
    }
    None
}

fn sorted_neighbours(
    graph: &DiGraphMap<usize, ()>,
    node: usize,
    members: &HashSet<usize>,
) -> Vec<usize> {
    let mut out: Vec<usize> = graph
        .neighbors(node)
        .filter(|n| members.contains(n))
        .collect();
    out.sort_unstable();
    out
}

/// Kahn's algorithm with the lowest ready index first. Edges point from a column to what it
/// depends on, so a column is ready once all of its targets are placed.
fn topological_order(graph: &DiGraphMap<usize, ()>, n: usize) -> Vec<usize> {
    let mut waiting: BTreeMap<usize, usize> = BTreeMap::new();
    let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let deps: Vec<usize> = graph.neighbors(i).collect();
        waiting.insert(i, deps.len());
        for d in deps {
            dependents.entry(d).or_default().push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = waiting
        .iter()
        .filter(|(_, count)| **count == 0)
        .map(|(&i, _)| Reverse(i))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &d in dependents.get(&i).into_iter().flatten() {
            if let Some(count) = waiting.get_mut(&d) {
                *count -= 1;
                if *count == 0 {
                    ready.push(Reverse(d));
                }
            }
        }
    }
    order
}
