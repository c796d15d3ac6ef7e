;; purpose: a side module writes a funcref into main's table; main calls it.
(module $main
  (table (export "table") 2 funcref)
  (func (export "call") (param i32) (result i32)
    (call_indirect (result i32) (local.get 0))))
(register "main" $main)
(module $side
  (import "main" "table" (table 2 funcref))
  (func $seven (result i32) (i32.const 7))
  (elem (i32.const 1) $seven))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 7))
