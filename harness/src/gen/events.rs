//! How often each linking event occurs in a generated scenario: what a
//! campaign prints, so that an event the generator never produces shows up
//! as a zero (DESIGN §6: check your event statistics).

use std::fmt;

/// One source of truth: every event kind, its field and what it counts.
macro_rules! events {
    ($($(#[doc = $doc:literal])+ $field:ident,)*) => {
        /// Counts of the linking events of a scenario, by kind. An event is
        /// counted when the generator emits a step that makes it happen (in
        /// the reference semantics, as the generator predicts them).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct Events {
            $($(#[doc = $doc])+ pub $field: u32,)*
        }

        impl Events {
            /// Every event kind by name, with its count, in declaration order.
            pub fn counts(&self) -> Vec<(&'static str, u32)> {
                vec![$((stringify!($field), self.$field),)*]
            }

            /// Adds `other`'s counts to these.
            pub fn add(&mut self, other: &Events) {
                $(self.$field += other.$field;)*
            }
        }
    };
}

events! {
    /// `lockstep.dlopen` called by wasm (main's `open`).
    dlopen,
    /// A dlopen that returns -1: unknown name, link error or failed instantiation.
    dlopen_failed,
    /// `lockstep.dlsym` called by wasm.
    dlsym,
    /// A dlsym that returns the slot it gave before (no growth).
    dlsym_reuse,
    /// `lockstep.dlclose` called by wasm.
    dlclose,
    /// A side instantiated by the script: `(module instance …)` or a plain `(module …)`.
    script_instantiation,
    /// `table.grow` by wasm (main or a side) on main's table while a side shares it.
    table_grow_shared,
    /// `table.set` on the shared table, by main or a side.
    table_set_shared,
    /// `table.fill` on the shared table.
    table_fill_shared,
    /// `table.copy` within the shared table.
    table_copy_shared,
    /// `table.init` of a passive segment into the shared table.
    table_init_shared,
    /// `elem.drop` of a passive segment (main's or a side's).
    elem_drop,
    /// `memory.grow` on main's memory while a side shares it.
    memory_grow_shared,
    /// A read of the shared memory or table by another instance than the writer
    /// (a side reading main's, main reading what a side wrote).
    cross_instance_read,
    /// An element or data segment whose offset is an imported global, run at instantiation.
    segment_at_imported_global,
    /// A `ref.func` of an imported function (main's) in a side's element segment.
    ref_func_import_in_segment,
    /// An instantiation that traps part-way (segment out of bounds, start trap).
    failed_instantiation,
    /// A failed instantiation of a side with a memory of its own and data
    /// segments (none of which may have run if an element segment trapped).
    failed_with_own_memory,
    /// A call into a function that a failed instantiation left in the table.
    call_left_behind,
    /// A type-correct `call_indirect` from main into a slot a side wrote.
    call_indirect_side,
    /// A `call_indirect` whose type does not match the slot's function.
    call_indirect_mismatch,
    /// A `call_indirect` into a null slot or past the table's end.
    call_indirect_null_or_oob,
    /// A JIT-patch side: its start grows the table, `table.init`s its code and
    /// stores the new slot indices into main's memory.
    jit_patch,
    /// A call through a function pointer that a JIT patch stored.
    call_through_patched_pointer,
    /// An instantiation that fails to link (§4.5.3): incompatible limits, missing export, wrong type.
    link_error,
    /// A side writes main's exported mutable global (`gm0`, or a float one).
    mutable_global_write,
    /// A NaN whose bits the spec fixes (no arithmetic chose it) moved across
    /// instances and observed bit for bit: returned by a side's function
    /// through main's `call_indirect`, or written by a side to main's float
    /// global and read back raw by main.
    float_nan_move,
    /// A NaN that arithmetic chose (§4.3.3, any of a set) returned by a
    /// side's function through main's `call_indirect`, or written by a side
    /// to main's float global (then read back canonicalised).
    float_nan_chosen,
    /// A side definition drawn from the pool of libraries (the same text,
    /// so the same bytes, in every case of its epoch), instantiated or dlopened.
    pool_library,
    /// A side definition generated fresh for this scenario, instantiated or dlopened.
    fresh_side,
    /// A type-correct `call_indirect` whose type index differs from the
    /// callee's type index in the callee's own module (structurally equal
    /// types: the type sections differ in order or duplicates).
    type_index_differs,
    /// A type-correct `call_indirect` through a type its module declares twice.
    duplicate_type_call,
    /// An instantiation of a side whose type section declares a type no function has.
    unused_type,
    /// An element item `global.get` of main's imported funcref global
    /// written into a table (at instantiation, or by `table.init`).
    item_global_get,
    /// A side's defined global initialised by `global.get` of an imported
    /// global (`tbaseK`, `frefK`), then read or placed in a table.
    global_init_global_get,
    /// A funcref global initialised by `ref.func` (main's `frefK`, a side's
    /// `$gK`) whose function reached a table through it.
    global_init_ref_func,
    /// `table.grow` whose init value is a function, not null.
    table_grow_with_func,
    /// A host function (`lockstep.*`) written into a table.
    host_func_in_table,
    /// A `call_indirect` that reached a host function.
    call_indirect_host,
    /// An instantiation of a side that imports main's table and defines its own beside it.
    own_table_beside_import,
    /// An instruction on the shared table in a module where it is not table 0.
    shared_table_not_index0,
    /// `table.copy` between two different tables.
    table_copy_between_tables,
    /// A `call_indirect` through a table other than the shared one.
    call_indirect_other_table,
    /// An instantiation of a side that imports globals and defines its own
    /// beside them (its defined globals' indices start past the imported ones).
    defined_global_after_imports,
    /// A side with a memory of its own accesses it at an address computed
    /// from the result of a call into main.
    own_memory_after_call,
    /// A side accesses the shared memory in the page that a call into main
    /// grew, at an address computed from its result, in the same activation.
    new_page_after_call,
    /// After `dlopen` returns, main (in the same activation) loads from the
    /// memory's last word in a page the side's start added.
    dlopen_then_new_page,
    /// After `dlopen` returns, main (in the same activation) calls through
    /// a slot the side's start appended to the table.
    dlopen_then_new_slot,
}

impl Events {
    /// On one line, the events that occurred: `name count, …`.
    pub fn compact(&self) -> String {
        let seen = self.counts().into_iter().filter(|(_, n)| *n > 0);
        seen.map(|(name, n)| format!("{name} {n}")).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = self.counts();
        let width = counts.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, count) in counts {
            writeln!(f, "{name:width$}  {count}")?;
        }
        Ok(())
    }
}
