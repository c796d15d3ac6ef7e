//! The `lockstep` host module: run-time dynamic linking, importable by wasm
//! in every engine. The logic is written once, here, against [`LinkHost`],
//! which each engine implements inside its own host-call context.
//!
//! ```wat
//! (import "lockstep" "dlopen"  (func (param i32 i32) (result i32)))
//! (import "lockstep" "dlsym"   (func (param i32 i32 i32) (result i32)))
//! (import "lockstep" "dlclose" (func (param i32) (result i32)))
//! ```
//!
//! - `dlopen(name_ptr, name_len)`: the name is read from the caller's
//!   exported memory `memory`. It names a `(module definition $NAME …)` of
//!   the same script, which is instantiated while the caller is running: an
//!   import from module `lockstep` gets that host function, any other import
//!   `(m, n)` gets the caller's export `n`. Returns a handle (0, 1, 2, … in
//!   the order of successful dlopens), or -1 if the name, an import or the
//!   instantiation fails. A failed instantiation's writes stay (§4.5.4).
//! - `dlsym(handle, name_ptr, name_len)`: the handle's exported function
//!   `name` is placed in the caller's exported table `table`, and its slot
//!   returned: the slot it was given before if the table still holds it
//!   there, else a new slot appended with `table.grow` (as Emscripten does).
//!   -1 if the handle, the export or the table is missing, or growth fails.
//! - `dlclose(handle)`: 0, and the handle is closed; -1 if it was not open.
//!   Wasm cannot unload code: the functions stay callable.

use std::collections::HashMap;

use crate::engine::{FuncLabel, HostCall, InstNum, Observation, Outcome, Val};

/// The host module's name.
pub const MODULE: &str = "lockstep";

/// The host functions, with their parameter counts (all take and return i32).
pub const FUNCS: &[(&str, usize)] = &[("dlopen", 2), ("dlsym", 3), ("dlclose", 1)];

/// The engine-independent state of the host module within one script.
#[derive(Debug, Default)]
pub struct LinkState {
    /// Instance of each handle; `None` once closed.
    handles: Vec<Option<InstNum>>,
    /// The slot that dlsym last gave each function.
    slots: HashMap<FuncLabel, u32>,
    /// The instance the running dlopen made, and its definition.
    opened: Option<(InstNum, String)>,
}

// ANCHOR: link_host
/// What the host functions need from an engine, while wasm is running.
pub trait LinkHost {
    /// An engine's handle on an external value.
    type Extern: Clone;

    /// Runs `f` on the script's link state.
    fn with_link_state<R>(&mut self, f: impl FnOnce(&mut LinkState) -> R) -> R;
    /// Bytes `[ptr, ptr + len)` of the caller's exported memory `memory`.
    fn caller_memory(&mut self, ptr: u32, len: u32) -> Option<Vec<u8>>;
    /// The caller's export `name`.
    fn caller_export(&mut self, name: &str) -> Option<Self::Extern>;
    /// The `lockstep` host function `name`, as an external value.
    fn host_func(&mut self, name: &str) -> Option<Self::Extern>;
    /// The imports `(module, name)` of the module definition `def`.
    fn definition_imports(&mut self, def: &str) -> Option<Vec<(String, String)>>;
    /// Instantiates the module definition `def` (as [`crate::engine::Engine::instantiate`]).
    fn instantiate_definition(&mut self, def: &str, imports: &[Self::Extern]) -> (Option<InstNum>, Outcome);
    /// Exported function `name` of an instance, with its label.
    fn export_func(&mut self, instance: InstNum, name: &str) -> Option<(Self::Extern, FuncLabel)>;
    /// The function in slot `i` of a table: `None` if out of bounds or not a table.
    fn table_slot(&mut self, table: &Self::Extern, i: u32) -> Option<Option<FuncLabel>>;
    /// `table.grow` by one slot holding `func`: the old size, or `None`.
    fn table_grow(&mut self, table: &Self::Extern, func: &Self::Extern) -> Option<u32>;
}
// ANCHOR_END: link_host

/// A `lockstep` host call as every engine makes one: run it, and describe it
/// for the comparison with the observation taken at its entry. The result is
/// the i32 to return, or the outcome that must end the caller's run: a
/// poison, or an engine error with no class met while instantiating (which
/// the caller's run then ends in, so that it is compared, not lost).
pub fn call_recorded<H: LinkHost>(
    h: &mut H,
    name: &str,
    args: Vec<Val>,
    observation: Observation,
) -> (HostCall, Result<i32, Outcome>) {
    let (result, why) = match call(h, name, &args) {
        Ok(Ok(r)) => (Ok(r), None),
        Ok(Err(why)) => (Ok(-1), Some(why)),
        Err(stop) => (Err(stop), None),
    };
    let results = match result {
        Ok(r) => vec![Val::I32(r as u32)],
        Err(_) => vec![],
    };
    let opened = h.with_link_state(|s| s.opened.take());
    (HostCall { func: format!("{MODULE}.{name}"), args, results, observation, why, opened }, result)
}

/// What a host function answers: its value, or -1 and why.
pub type Answer = Result<i32, String>;

/// Runs host function `name` with `args`. `Err` carries the outcome that
/// must end the caller's run (the model or engine ran out of something, or
/// failed with no class, while instantiating).
pub fn call<H: LinkHost>(h: &mut H, name: &str, args: &[Val]) -> Result<Answer, Outcome> {
    let arg = |i: usize| match args.get(i) {
        Some(Val::I32(x)) => *x,
        other => panic!("lockstep.{name}: argument {i} is {other:?}, not i32 (the signature is checked at link time)"),
    };
    match name {
        "dlopen" => dlopen(h, arg(0), arg(1)),
        "dlsym" => Ok(dlsym(h, arg(0), arg(1), arg(2))),
        "dlclose" => Ok(dlclose(h, arg(0))),
        other => panic!("no host function lockstep.{other}"),
    }
}

/// The name at `[ptr, ptr + len)` of the caller's memory, or why not.
fn read_name<H: LinkHost>(h: &mut H, ptr: u32, len: u32) -> Result<String, String> {
    let bytes = h.caller_memory(ptr, len).ok_or_else(|| {
        format!("no name at [{ptr}, {ptr}+{len}): the caller exports no memory `memory` that holds it")
    })?;
    String::from_utf8(bytes).map_err(|_| format!("the name at [{ptr}, {ptr}+{len}) is not UTF-8"))
}

/// A name read from memory, quoted for a message: escaped, so that a NUL
/// or control byte in it shows (`"side\0"`).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.escape_debug())
}

fn dlopen<H: LinkHost>(h: &mut H, ptr: u32, len: u32) -> Result<Answer, Outcome> {
    let name = match read_name(h, ptr, len) {
        Ok(name) => name,
        Err(why) => return Ok(Err(why)),
    };
    let q = quoted(&name);
    let Some(wanted) = h.definition_imports(&name) else {
        return Ok(Err(format!("no module definition named {q} before this step of the script")));
    };
    let mut imports = Vec::with_capacity(wanted.len());
    for (module, field) in &wanted {
        let found = if module == MODULE { h.host_func(field) } else { h.caller_export(field) };
        match found {
            Some(e) => imports.push(e),
            None if module == MODULE => {
                return Ok(Err(format!("{q} imports {module}.{field}, which is no host function")));
            }
            None => {
                return Ok(Err(format!("{q} imports {module}.{field}: the caller exports no \"{field}\"")));
            }
        }
    }
    let made = h.instantiate_definition(&name, &imports);
    if let Some(instance) = made.0 {
        h.with_link_state(|s| s.opened = Some((instance, name.clone())));
    }
    match made {
        (Some(instance), Outcome::Values(_)) => Ok(Ok(h.with_link_state(|s| {
            s.handles.push(Some(instance));
            s.handles.len() as i32 - 1
        }))),
        (_, Outcome::Trap(k)) => Ok(Err(format!("instantiating {q} trapped: {}", k.message()))),
        (_, Outcome::Link) => Ok(Err(format!("{q} does not link: an import does not match the caller's export"))),
        // A poison, or an engine error with no class, ends the step as it is.
        (_, stop @ (Outcome::Poisoned(_) | Outcome::Unclassified(_))) => Err(stop),
        (None, Outcome::Values(_)) => panic!("an instantiation returned values but no instance"),
    }
}

// ANCHOR: dlsym
fn dlsym<H: LinkHost>(h: &mut H, handle: u32, ptr: u32, len: u32) -> Answer {
    let Some(Some(instance)) = h.with_link_state(|s| s.handles.get(handle as usize).copied()) else {
        return Err(format!("handle {handle} is not open"));
    };
    let name = read_name(h, ptr, len)?;
    let Some((func, label)) = h.export_func(instance, &name) else {
        return Err(format!("handle {handle} exports no function {}", quoted(&name)));
    };
    let Some(table) = h.caller_export("table") else {
        return Err("the caller exports no table `table` to put the function in".into());
    };
    if let Some(slot) = h.with_link_state(|s| s.slots.get(&label).copied())
        && h.table_slot(&table, slot) == Some(Some(label.clone()))
    {
        return Ok(slot as i32);
    }
    match h.table_grow(&table, &func) {
        Some(slot) => {
            h.with_link_state(|s| s.slots.insert(label, slot));
            Ok(slot as i32)
        }
        None => Err("the caller's table `table` did not grow (its maximum, or its element type)".into()),
    }
}
// ANCHOR_END: dlsym

fn dlclose<H: LinkHost>(h: &mut H, handle: u32) -> Answer {
    h.with_link_state(|s| match s.handles.get_mut(handle as usize) {
        Some(open @ Some(_)) => {
            *open = None;
            Ok(0)
        }
        _ => Err(format!("handle {handle} is not open")),
    })
}
