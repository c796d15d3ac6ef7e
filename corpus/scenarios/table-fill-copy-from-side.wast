;; purpose: table.fill and table.copy by a side on main's shared table (overlapping, between its own table and the shared one); out-of-bounds ranges trap before writing anything
(module $main
  (type $v_i (func (result i32)))
  (table (export "table") 8 funcref)
  (func $f0 (type $v_i) (i32.const 100))
  (func $f1 (type $v_i) (i32.const 101))
  (elem (i32.const 0) func $f0 $f1)
  (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get (local.get 0)))))
(register "main" $main)

(module $side
  (type $v_i (func (result i32)))
  (import "main" "table" (table $shared 8 funcref))
  (table $own 3 funcref)
  (func $s (type $v_i) (i32.const 200))
  (func $o0 (type $v_i) (i32.const 300))
  (func $o1 (type $v_i) (i32.const 301))
  (elem declare func $s)
  (elem (table $own) (i32.const 0) func $o0 $o1)
  (func (export "fill") (param i32 i32) (table.fill $shared (local.get 0) (ref.func $s) (local.get 1)))
  (func (export "fill_null") (param i32 i32) (table.fill $shared (local.get 0) (ref.null func) (local.get 1)))
  (func (export "copy") (param i32 i32 i32) (table.copy $shared $shared (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_in") (param i32 i32 i32) (table.copy $shared $own (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_out") (param i32 i32 i32) (table.copy $own $shared (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_own") (param i32) (result i32) (call_indirect $own (type $v_i) (local.get 0))))

(invoke $side "fill" (i32.const 2) (i32.const 3))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 200))
(assert_return (invoke $main "call" (i32.const 4)) (i32.const 200))
(assert_return (invoke $main "is_null" (i32.const 5)) (i32.const 1))
;; 7 + 2 > 8: traps, slot 7 untouched
(assert_trap (invoke $side "fill" (i32.const 7) (i32.const 2)) "out of bounds table access")
(assert_return (invoke $main "is_null" (i32.const 7)) (i32.const 1))
;; at the end, length 0: fine; past the end, length 0: traps
(invoke $side "fill" (i32.const 8) (i32.const 0))
(assert_trap (invoke $side "fill" (i32.const 9) (i32.const 0)) "out of bounds table access")

;; overlapping copy forwards: [0,1,2,3,4] -> [1..5]
(invoke $side "copy" (i32.const 1) (i32.const 0) (i32.const 5))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 100))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 100))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 101))
(assert_return (invoke $main "call" (i32.const 3)) (i32.const 200))
(assert_return (invoke $main "call" (i32.const 5)) (i32.const 200))
;; overlapping copy backwards: [2..6] -> [0..4]
(invoke $side "copy" (i32.const 0) (i32.const 2) (i32.const 5))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 101))
(assert_return (invoke $main "call" (i32.const 3)) (i32.const 200))
(assert_trap (invoke $main "call" (i32.const 4)) "uninitialized element")
;; source out of bounds: nothing copied
(assert_trap (invoke $side "copy" (i32.const 0) (i32.const 6) (i32.const 3)) "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 101))

;; between tables: own -> shared, shared -> own
(invoke $side "copy_in" (i32.const 6) (i32.const 0) (i32.const 2))
(assert_return (invoke $main "call" (i32.const 6)) (i32.const 300))
(assert_return (invoke $main "call" (i32.const 7)) (i32.const 301))
(invoke $side "copy_out" (i32.const 2) (i32.const 0) (i32.const 1))
(assert_return (invoke $side "call_own" (i32.const 2)) (i32.const 101))
(assert_trap (invoke $side "copy_out" (i32.const 2) (i32.const 0) (i32.const 2)) "out of bounds table access")
(assert_trap (invoke $side "copy_in" (i32.const 7) (i32.const 0) (i32.const 2)) "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 7)) (i32.const 301))
(invoke $side "fill_null" (i32.const 0) (i32.const 8))
(assert_trap (invoke $main "call" (i32.const 6)) "uninitialized element")
(assert_return (invoke $side "call_own" (i32.const 0)) (i32.const 300))
