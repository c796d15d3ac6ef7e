;; purpose: table.grow by wasm on a shared table returns the old size, fills with its init value, and returns -1 past the max, from main and from an importer whose declared max is larger
(module $main
  (memory (export "memory") 1)
  (table (export "table") 1 4 funcref)
  (func $f (result i32) (i32.const 11))
  (elem declare func $f)
  (func (export "grow_f") (param i32) (result i32) (table.grow (ref.func $f) (local.get 0)))
  (func (export "grow_null") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))
(register "main" $main)

(assert_return (invoke $main "grow_f" (i32.const 2)) (i32.const 1))
(assert_return (invoke $main "size") (i32.const 3))
(assert_trap (invoke $main "call" (i32.const 0)) "uninitialized element")
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 11))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 11))
;; 3 + 2 > 4: fails, nothing changes
(assert_return (invoke $main "grow_f" (i32.const 2)) (i32.const -1))
(assert_return (invoke $main "size") (i32.const 3))

;; an importer declaring a larger max (10 >= 4 matches) still sees the table's own max
(module $side
  (import "main" "table" (table $t 2 10 funcref))
  (func $g (result i32) (i32.const 22))
  (elem declare func $g)
  (func (export "grow_g") (param i32) (result i32) (table.grow $t (ref.func $g) (local.get 0)))
  (func (export "size") (result i32) (table.size $t)))
(assert_return (invoke $side "size") (i32.const 3))
(assert_return (invoke $side "grow_g" (i32.const 2)) (i32.const -1))
(assert_return (invoke $side "grow_g" (i32.const -1)) (i32.const -1))
(assert_return (invoke $side "grow_g" (i32.const 1)) (i32.const 3))
(assert_return (invoke $main "size") (i32.const 4))
(assert_return (invoke $main "call" (i32.const 3)) (i32.const 22))
;; at the max: growing by 0 succeeds, by 1 fails, from either side
(assert_return (invoke $main "grow_null" (i32.const 0)) (i32.const 4))
(assert_return (invoke $side "grow_g" (i32.const 0)) (i32.const 4))
(assert_return (invoke $main "grow_null" (i32.const 1)) (i32.const -1))
(assert_return (invoke $side "grow_g" (i32.const 1)) (i32.const -1))
(assert_return (invoke $side "size") (i32.const 4))
(assert_trap (invoke $main "call" (i32.const 4)) "undefined element")
