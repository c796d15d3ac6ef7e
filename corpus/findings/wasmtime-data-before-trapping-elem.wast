;; finding: wasmtime 48.0.8 (default config) makes a module's data segments
;; visible before its element segments have run. §4.5.4 initialises element
;; segments first, then data segments; an element segment that traps ends
;; instantiation, so no data segment has run. The function that the first
;; element segment already placed in the imported table must see its
;; memory all zeros, and return 0. wasmtime's copy-on-write memory image
;; holds the data from the moment the memory is allocated, so it returns 42.
;; (With `Config::memory_init_cow(false)` wasmtime agrees with the spec.)
;; expect: wasmtime 23 outcome:returned/returned
(module $main
  (table (export "table") 1 funcref)
  (func (export "call") (result i32) (call_indirect (result i32) (i32.const 0))))
(register "main" $main)
(assert_trap
  (module
    (import "main" "table" (table 1 funcref))
    (memory 1)
    (elem (i32.const 0) $load)      ;; writes slot 0
    (elem (i32.const 1) $load)      ;; out of bounds: traps here
    (data (i32.const 0) "\2a")      ;; never runs
    (func $load (result i32) (i32.load8_u (i32.const 0))))
  "out of bounds table access")
(assert_return (invoke $main "call") (i32.const 0))
