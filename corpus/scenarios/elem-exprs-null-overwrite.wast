;; purpose: an active element segment of expressions writes ref.null over main's function (unlinking it), ref.func of an import and of its own function into the shared table
(module $main
  (type $v_i (func (result i32)))
  (table (export "table") 4 funcref)
  (func $m0 (type $v_i) (i32.const 10))
  (func $m1 (export "m1") (type $v_i) (i32.const 11))
  (func $m2 (type $v_i) (i32.const 12))
  (elem (i32.const 0) func $m0 $m1 $m2)
  (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get (local.get 0)))))
(register "main" $main)

(assert_return (invoke $main "call" (i32.const 1)) (i32.const 11))
(module $side
  (type $v_i (func (result i32)))
  (import "main" "table" (table 4 funcref))
  (import "main" "m1" (func $m1 (type $v_i)))
  (func $own (type $v_i) (i32.const 20))
  (elem (i32.const 1) funcref (ref.null func) (ref.func $m1) (ref.func $own)))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 10))
(assert_return (invoke $main "is_null" (i32.const 1)) (i32.const 1))
(assert_trap (invoke $main "call" (i32.const 1)) "uninitialized element")
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 11))
(assert_return (invoke $main "call" (i32.const 3)) (i32.const 20))

;; a passive segment of expressions, then table.init from the side at run time
(module $side2
  (type $v_i (func (result i32)))
  (import "main" "table" (table 4 funcref))
  (import "main" "m1" (func $m1 (type $v_i)))
  (elem $e funcref (ref.func $m1) (ref.null func))
  (func (export "init") (param i32) (table.init $e (local.get 0) (i32.const 0) (i32.const 2))))
(invoke $side2 "init" (i32.const 2))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 11))
(assert_return (invoke $main "is_null" (i32.const 3)) (i32.const 1))
(assert_trap (invoke $side2 "init" (i32.const 3)) "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 11))
