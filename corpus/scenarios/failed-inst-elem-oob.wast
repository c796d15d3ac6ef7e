;; purpose: an element segment out of bounds aborts instantiation after earlier segments wrote the shared table; the functions left there still use their never-returned instance's globals, memory and table
(module $main
  (type $ii (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 5 funcref)
  (func (export "call_i") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get (local.get 0))))
  (func (export "size") (result i32) (table.size)))
(register "main" $main)

(assert_trap
  (module
    (type $ii (func (param i32) (result i32)))
    (import "main" "table" (table $shared 5 funcref))
    (table $own 2 funcref)
    (memory 1)
    (global $g (mut i32) (i32.const 100))
    ;; 1: the own table; 2: shared slots 0..3; 3: slots 4..5 do not fit (5 slots): trap
    (elem (table $own) (i32.const 0) func $seven)
    (elem (table $shared) (i32.const 0) func $get_g $bump_g $mem $call_own)
    (elem (table $shared) (i32.const 4) func $seven $seven)
    ;; never run: a later segment, the data segment, the start function
    (elem (table $shared) (i32.const 4) func $seven)
    (data (i32.const 0) "\2a")
    (func $seven (type $ii) (i32.const 7))
    (func $get_g (type $ii) (global.get $g))
    (func $bump_g (type $ii)
      (global.set $g (i32.add (global.get $g) (local.get 0)))
      (global.get $g))
    ;; adds x to the word at 8; returns byte 0 (the data segment's target) + word 8
    (func $mem (type $ii)
      (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (local.get 0)))
      (i32.add (i32.load8_u (i32.const 0)) (i32.load (i32.const 8))))
    (func $call_own (type $ii) (call_indirect $own (type $ii) (local.get 0) (local.get 0)))
    (func $start (global.set $g (i32.const -1)))
    (start $start))
  "out of bounds table access")

;; segment 2 wrote slots 0..3; segment 3 wrote nothing (bounds are checked first); segment 4 never ran
(assert_return (invoke $main "is_null" (i32.const 3)) (i32.const 0))
(assert_return (invoke $main "is_null" (i32.const 4)) (i32.const 1))
(assert_return (invoke $main "size") (i32.const 5))

;; a zero-length active segment past the end of the table traps too (Wasm 2.0), after the first wrote slot 4
(assert_trap
  (module
    (type $ii (func (param i32) (result i32)))
    (import "main" "table" (table 5 funcref))
    (global $h (mut i32) (i32.const 200))
    (elem (i32.const 4) func $get_h)
    (elem (i32.const 6) func)
    (func $get_h (type $ii)
      (global.set $h (i32.add (global.get $h) (local.get 0)))
      (global.get $h)))
  "out of bounds table access")
(assert_return (invoke $main "is_null" (i32.const 4)) (i32.const 0))

;; the functions left behind, with their instance's state
(assert_return (invoke $main "call_i" (i32.const 0) (i32.const 0)) (i32.const 100))
(assert_return (invoke $main "call_i" (i32.const 1) (i32.const 5)) (i32.const 105))
(assert_return (invoke $main "call_i" (i32.const 0) (i32.const 0)) (i32.const 105))
(assert_return (invoke $main "call_i" (i32.const 2) (i32.const 5)) (i32.const 5))
(assert_return (invoke $main "call_i" (i32.const 2) (i32.const 5)) (i32.const 10))
(assert_return (invoke $main "call_i" (i32.const 3) (i32.const 0)) (i32.const 7))
(assert_trap (invoke $main "call_i" (i32.const 3) (i32.const 1)) "uninitialized element")
(assert_trap (invoke $main "call_i" (i32.const 3) (i32.const 2)) "undefined element")
(assert_return (invoke $main "call_i" (i32.const 4) (i32.const 1)) (i32.const 201))
(assert_return (invoke $main "call_i" (i32.const 4) (i32.const 1)) (i32.const 202))
