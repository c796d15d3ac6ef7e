;; finding: wasmi 2.0.0 miscompiles `select` whose condition is a
;; comparison computed just before it (`i32.eqz`, `i32.ne`, …): the result no
;; longer depends on the condition (below: always the first operand after
;; `i32.eqz`, always the second after `i32.ne`). §4.4.4: `select` returns its
;; first operand if the condition is non-zero, else its second. Found by `lockstep fuzz` in a wasm-smith pair, where the idiom
;; `x % (select 1 y (y == 0))` that guards a division made wasmi trap with
;; "integer divide by zero"; minimised by hand.
;; expect: wasmi 19 outcome:returned/returned
;; expect: wasmi 20 outcome:returned/returned
;; expect: wasmi 22 outcome:returned/returned
(module
  (func (export "eqz") (param i32 i32) (result i32)
    (select (local.get 0) (i32.const 7) (i32.eqz (local.get 1))))
  (func (export "ne") (param i32 i32) (result i32)
    (select (local.get 0) (i32.const 7) (i32.ne (local.get 1) (i32.const 0))))
  (func (export "guarded_rem") (param i32 i32) (result i32)
    (i32.rem_u (local.get 0) (select (i32.const 1) (local.get 1) (i32.eqz (local.get 1))))))
(assert_return (invoke "eqz" (i32.const 4) (i32.const 0)) (i32.const 4))
(assert_return (invoke "eqz" (i32.const 4) (i32.const 9)) (i32.const 7))
(assert_return (invoke "ne" (i32.const 4) (i32.const 9)) (i32.const 4))
(assert_return (invoke "ne" (i32.const 4) (i32.const 0)) (i32.const 7))
(assert_return (invoke "guarded_rem" (i32.const 7) (i32.const 4)) (i32.const 3))
(assert_return (invoke "guarded_rem" (i32.const 7) (i32.const 0)) (i32.const 0))
