;; finding: wasmi 2.0.0 crashes (SIGSEGV from safe Rust in a release build,
;; undefined behaviour) when wasm calls a function that a failed
;; instantiation left behind in a shared table, and that function touches
;; its own instance.
;;
;; §4.5.4: a trap in an element or data segment ends instantiation without
;; undoing the segments that already ran. The functions they put into an
;; imported table stay callable, with their own (never returned) instance's
;; globals, memories and tables: below, the last `$read` must return 9.
;;
;; Cause: `Module::instantiate` creates the functions (`extract_functions`)
;; pointing at the instance's placeholder entity, which has no handles; only
;; `initialize_instance` re-points them (`warmup_instance_funcs`), and a trap
;; in a segment returns before it. Every instruction of such a function that
;; looks up one of its instance's entities reads past the placeholder.
;;
;; Crash (each alone, run in lockstep against the model):
;; - `global.get`/`global.set` of a mutable global, defined or imported;
;;   `global.get` of an imported immutable global, or of a defined one whose
;;   initialiser reads an imported global;
;; - any memory access, defined or imported memory: load, store,
;;   `memory.size` (a load may instead trap with a false "out of bounds
;;   memory access": corpus/scenarios/failed-inst-data-oob.wast, line 53);
;; - `table.get`, `table.size`, `call_indirect`;
;; - a call of an imported function, wasm or host (`lockstep.dlopen` too);
;; - a direct call of a function of the same instance that does any of these.
;; Wrong without a crash: `ref.func` returns a made-up reference.
;; Fine: arithmetic on parameters, locals and constants; `global.get` of a
;; defined immutable global with a constant initialiser (folded into the
;; code); a direct call of the same instance's function that touches nothing;
;; and any function left behind by a failed *start* function, since
;; `initialize_instance` runs before the start function. A failing data
;; segment is the same as a failing element segment.
;; Since: at least wasmi 0.40.0. Reading a mutable or an imported global
;; from such a function is a SIGSEGV in 0.40.0, 0.46.0, 1.0.8, 1.0.9 and
;; 2.0.0 (release builds; 0.32.0, 0.47.0, 1.0.0 and 1.0.1 are yanked and
;; were not tried); before 2.0.0 a memory load traps "out of bounds"
;; instead, and `table.size` panics in 0.40.0 and 0.46.0. Those versions bind
;; the functions to the instance entity that instantiation never fills in.
;; expect: wasmi 82 crash
(module $main
  (table (export "table") 3 funcref)
  (func (export "call") (param i32) (result i32)
    (call_indirect (result i32) (local.get 0))))
(register "main" $main)

;; Fine: $pure touches no state, $const reads a defined immutable global
;; with a constant initialiser.
(assert_trap
  (module
    (import "main" "table" (table 3 funcref))
    (global i32 (i32.const 7))
    (func $pure (result i32) (i32.add (i32.const 3) (i32.const 4)))
    (func $const (result i32) (global.get 0))
    (elem (i32.const 0) $pure $const)
    (elem (i32.const 5) $pure))  ;; out of bounds: fails after slots 0 and 1 are written
  "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 7))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 7))

;; Fine: a failed start function; $read reads a mutable global.
(assert_trap
  (module
    (import "main" "table" (table 3 funcref))
    (global (mut i32) (i32.const 8))
    (func $read (result i32) (global.get 0))
    (func $start unreachable)
    (elem (i32.const 2) $read)
    (start $start))
  "unreachable")
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 8))

;; Crash: the same $read, left behind by a failed element segment.
(assert_trap
  (module
    (import "main" "table" (table 3 funcref))
    (global (mut i32) (i32.const 9))
    (func $read (result i32) (global.get 0))
    (elem (i32.const 0) $read)
    (elem (i32.const 5) $read))  ;; out of bounds: fails after slot 0 is written
  "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 9))
