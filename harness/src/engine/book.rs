//! The bookkeeping that a wasm engine adapter needs and that does not depend
//! on the engine: what each module declares, and for each instance the
//! origin of each of its tables, memories and globals and the label of each
//! of its functions. Adapters of real engines run instrumented modules
//! ([`crate::instrument`]) and use this to label what they read.

use std::collections::HashMap;

use wasmparser::{ExternalKind, Payload, TypeRef};

use super::{FuncLabel, HostCall, InstNum, Kind, ModuleId, Origin, Scope};
use crate::host::LinkState;

/// What an import or export is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtKind {
    Func,
    Object(Kind),
}

/// Where an external value comes from: what a new instance inherits when it
/// imports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    Func(FuncLabel),
    Object(Kind, Origin),
}

/// A module's declarations.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// `(module, name, kind)` of each import, in order.
    pub imports: Vec<(String, String, ExtKind)>,
    /// Each export: its kind and index.
    pub exports: HashMap<String, (ExtKind, u32)>,
    /// Defined functions, tables, memories, globals.
    pub defined_funcs: u32,
    pub defined: [u32; 3],
}

/// An instance: where each of its objects and functions comes from.
#[derive(Clone, Debug)]
pub struct InstanceInfo {
    pub module: ModuleId,
    /// Per kind (table, memory, global), the origin of each index.
    pub origins: [Vec<Origin>; 3],
    /// The label of each function index.
    pub funcs: Vec<FuncLabel>,
}

/// All an adapter knows, engine-independently.
#[derive(Debug, Default)]
pub struct Book {
    pub modules: Vec<ModuleInfo>,
    pub definitions: HashMap<String, ModuleId>,
    pub instances: Vec<InstanceInfo>,
    /// Instances whose instantiation succeeded: what observations show.
    pub live: Vec<InstNum>,
    pub link: LinkState,
    pub calls: Vec<HostCall>,
    /// What host calls observe ([`Engine::set_scope`](super::Engine::set_scope)).
    pub scope: Scope,
}

pub fn kind_index(k: Kind) -> usize {
    match k {
        Kind::Table => 0,
        Kind::Memory => 1,
        Kind::Global => 2,
    }
}

impl ModuleInfo {
    /// Reads a (valid) module's declarations.
    pub fn read(bytes: &[u8]) -> Result<ModuleInfo, String> {
        let mut info = ModuleInfo::default();
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            match payload.map_err(|e| e.to_string())? {
                Payload::ImportSection(r) => {
                    for import in r.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        let kind = match import.ty {
                            TypeRef::Func(_) => ExtKind::Func,
                            TypeRef::Table(_) => ExtKind::Object(Kind::Table),
                            TypeRef::Memory(_) => ExtKind::Object(Kind::Memory),
                            TypeRef::Global(_) => ExtKind::Object(Kind::Global),
                            _ => return Err(format!("import {}.{}: a kind past Wasm 2.0", import.module, import.name)),
                        };
                        info.imports.push((import.module.to_string(), import.name.to_string(), kind));
                    }
                }
                Payload::FunctionSection(r) => info.defined_funcs = r.count(),
                Payload::TableSection(r) => info.defined[0] = r.count(),
                Payload::MemorySection(r) => info.defined[1] = r.count(),
                Payload::GlobalSection(r) => info.defined[2] = r.count(),
                Payload::ExportSection(r) => {
                    for export in r {
                        let export = export.map_err(|e| e.to_string())?;
                        let kind = match export.kind {
                            ExternalKind::Func => ExtKind::Func,
                            ExternalKind::Table => ExtKind::Object(Kind::Table),
                            ExternalKind::Memory => ExtKind::Object(Kind::Memory),
                            ExternalKind::Global => ExtKind::Object(Kind::Global),
                            _ => return Err(format!("export {}: a kind past Wasm 2.0", export.name)),
                        };
                        info.exports.insert(export.name.to_string(), (kind, export.index));
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// How many of a kind the module has, imported and defined.
    pub fn count(&self, k: Kind) -> u32 {
        let imported = self.imports.iter().filter(|(_, _, e)| *e == ExtKind::Object(k)).count() as u32;
        imported + self.defined[kind_index(k)]
    }
}

impl Book {
    /// Records a new instance of `module`, numbered next, whose imports come
    /// from `provenance` (in import order).
    pub fn new_instance(&mut self, module: ModuleId, provenance: &[Provenance]) -> InstNum {
        let num = self.instances.len() as InstNum;
        let info = &self.modules[module];
        let mut origins: [Vec<Origin>; 3] = Default::default();
        let mut funcs = Vec::new();
        for p in provenance {
            match p {
                Provenance::Func(label) => funcs.push(label.clone()),
                Provenance::Object(k, o) => origins[kind_index(*k)].push(o.clone()),
            }
        }
        for i in funcs.len() as u32..funcs.len() as u32 + info.defined_funcs {
            funcs.push(FuncLabel::Wasm { instance: num, index: i });
        }
        for (k, list) in origins.iter_mut().enumerate() {
            let start = list.len() as u32;
            list.extend((start..start + info.defined[k]).map(|index| Origin::Instance { instance: num, index }));
        }
        self.instances.push(InstanceInfo { module, origins, funcs });
        num
    }

    /// Where export `name` of an instance comes from.
    pub fn export_provenance(&self, instance: InstNum, name: &str) -> Option<Provenance> {
        let inst = self.instances.get(instance as usize)?;
        let &(kind, index) = self.modules[inst.module].exports.get(name)?;
        Some(match kind {
            ExtKind::Func => Provenance::Func(inst.funcs[index as usize].clone()),
            ExtKind::Object(k) => Provenance::Object(k, inst.origins[kind_index(k)][index as usize].clone()),
        })
    }
}
