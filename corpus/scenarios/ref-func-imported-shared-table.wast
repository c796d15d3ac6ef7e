;; purpose: ref.func of an imported function stored into the shared table is the exporter's own function (same state, same identity through re-exports, table.get and copies); a host function stored the same way is callable
(module $main
  (type $v_i (func (result i32)))
  (table (export "table") 6 funcref)
  (global $count (mut i32) (i32.const 0))
  (func $tick (export "tick") (type $v_i)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count))
  (func (export "count") (result i32) (global.get $count))
  (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
  (func (export "call_print") (param i32 i32) (call_indirect (param i32) (local.get 1) (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get (local.get 0)))))
(register "main" $main)

(module $side
  (type $v_i (func (result i32)))
  (import "main" "table" (table $t 6 funcref))
  (import "main" "tick" (func $tick (type $v_i)))
  (import "spectest" "print_i32" (func $print (param i32)))
  (elem declare func $tick $print)
  (export "tick_again" (func $tick))
  (func (export "install") (param i32) (table.set $t (local.get 0) (ref.func $tick)))
  (func (export "install_print") (param i32) (table.set $t (local.get 0) (ref.func $print)))
  ;; moves a funcref through a local: slot d := slot s
  (func (export "copy_slot") (param $d i32) (param $s i32)
    (local $r funcref)
    (local.set $r (table.get $t (local.get $s)))
    (table.set $t (local.get $d) (local.get $r)))
  (func (export "get") (param i32) (result funcref) (table.get $t (local.get 0))))
(register "side" $side)

(invoke $side "install" (i32.const 1))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 1))
(assert_return (invoke $main "tick") (i32.const 2))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 3))
(assert_return (invoke $main "count") (i32.const 3))
(assert_return (invoke $side "get" (i32.const 1)) (ref.func))
(assert_return (invoke $side "get" (i32.const 0)) (ref.null func))
;; the re-export is the same function
(assert_return (invoke $side "tick_again") (i32.const 4))
(invoke $side "copy_slot" (i32.const 2) (i32.const 1))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 5))

;; a third module imports the re-export and places it with an active segment
(module $third
  (import "side" "tick_again" (func $t2 (result i32)))
  (import "main" "table" (table 6 funcref))
  (elem (i32.const 3) func $t2)
  (func (export "direct") (result i32) (call $t2)))
(assert_return (invoke $main "call" (i32.const 3)) (i32.const 6))
(assert_return (invoke $third "direct") (i32.const 7))
(assert_return (invoke $main "count") (i32.const 7))

;; a host function, through ref.func of its import
(invoke $side "install_print" (i32.const 4))
(assert_return (invoke $main "is_null" (i32.const 4)) (i32.const 0))
(assert_return (invoke $main "call_print" (i32.const 4) (i32.const 42)))
(assert_trap (invoke $main "call" (i32.const 4)) "indirect call type mismatch")
(assert_trap (invoke $main "call_print" (i32.const 1) (i32.const 42)) "indirect call type mismatch")
(assert_return (invoke $main "count") (i32.const 7))
