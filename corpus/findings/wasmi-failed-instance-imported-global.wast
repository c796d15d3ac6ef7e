;; finding: wasmi 2.0.0 crashes (SIGSEGV, from safe Rust) when wasm calls a
;; function that a failed instantiation left behind in a shared table, if
;; that function reads an imported global. The spec (§4.5.4) keeps the
;; element segments written before the failure, and their functions must
;; stay callable with their own instance's state: here, `$read` must return
;; the imported global's value, 42. wasmi returns 7 for a *defined* global
;; (see the second half), but reading an *imported* one dereferences an
;; instance that was never completed.
;; expect: wasmi crashed
(module $main
  (table (export "table") 2 funcref)
  (global (export "g") i32 (i32.const 42))
  (func (export "call") (param i32) (result i32)
    (call_indirect (result i32) (local.get 0))))
(register "main" $main)

;; A defined global: wasmi gets this right.
(assert_trap
  (module
    (import "main" "table" (table 2 funcref))
    (global i32 (i32.const 7))
    (func $read (result i32) (global.get 0))
    (elem (i32.const 1) $read)
    (elem (i32.const 5) $read))  ;; out of bounds: fails after slot 1 is written
  "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 7))

;; An imported global: wasmi crashes.
(assert_trap
  (module
    (import "main" "table" (table 2 funcref))
    (import "main" "g" (global i32))
    (func $read (result i32) (global.get 0))
    (elem (i32.const 0) $read)
    (elem (i32.const 5) $read))  ;; out of bounds: fails after slot 0 is written
  "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 42))
