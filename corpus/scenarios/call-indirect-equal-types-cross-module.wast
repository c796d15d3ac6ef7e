;; purpose: function types are compared structurally across modules: equal types at different indices in different modules match through a shared table, multi-value included
(module $main
  (type $ii_i (func (param i32 i32) (result i32)))
  (type $i_ii (func (param i32) (result i32 i32)))
  (table (export "table") 4 funcref)
  (func $sub (type $ii_i) (i32.sub (local.get 0) (local.get 1)))
  (elem (i32.const 0) func $sub)
  (func (export "call2") (param i32 i32 i32) (result i32)
    (call_indirect (type $ii_i) (local.get 1) (local.get 2) (local.get 0)))
  (func (export "split") (param i32 i32) (result i32 i32)
    (call_indirect (type $i_ii) (local.get 1) (local.get 0))))
(register "main" $main)

;; type indices differ: (i32 i32) -> i32 is type 3 here, 0 in main
(module $a
  (type (func))
  (type (func (param f64)))
  (type (func (param i32) (result i32 i32)))
  (type $mine (func (param i32 i32) (result i32)))
  (import "main" "table" (table 4 funcref))
  (func $mul (type $mine) (i32.mul (local.get 0) (local.get 1)))
  (func $dup (type 2) (local.get 0) (i32.add (local.get 0) (i32.const 1)))
  (elem (i32.const 1) func $mul $dup)
  ;; a calls main's function at its own type index
  (func (export "call_main") (param i32 i32) (result i32)
    (call_indirect (type $mine) (local.get 0) (local.get 1) (i32.const 0))))

;; a third module, with the type written inline (its own index space again)
(module $b
  (import "main" "table" (table 4 funcref))
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (elem (i32.const 3) func $add)
  (func (export "call_a") (param i32 i32) (result i32)
    (call_indirect (param i32 i32) (result i32) (local.get 0) (local.get 1) (i32.const 1))))

(assert_return (invoke $main "call2" (i32.const 0) (i32.const 9) (i32.const 4)) (i32.const 5))
(assert_return (invoke $main "call2" (i32.const 1) (i32.const 9) (i32.const 4)) (i32.const 36))
(assert_return (invoke $main "call2" (i32.const 3) (i32.const 9) (i32.const 4)) (i32.const 13))
(assert_return (invoke $main "split" (i32.const 2) (i32.const 7)) (i32.const 7) (i32.const 8))
(assert_trap (invoke $main "split" (i32.const 1) (i32.const 7)) "indirect call type mismatch")
(assert_trap (invoke $main "call2" (i32.const 2) (i32.const 1) (i32.const 1)) "indirect call type mismatch")
(assert_return (invoke $a "call_main" (i32.const 10) (i32.const 3)) (i32.const 7))
(assert_return (invoke $b "call_a" (i32.const 10) (i32.const 3)) (i32.const 30))
