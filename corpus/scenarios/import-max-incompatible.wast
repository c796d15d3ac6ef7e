;; purpose: importing a table or memory whose max is incompatible (larger than the importer's, or absent when the importer declares one) is a link error with no effects
(module $main
  (table (export "table10") 1 10 funcref)
  (table (export "table_nomax") 1 funcref)
  (memory (export "memory") 1 4)
  (func (export "call10") (param i32) (result i32) (call_indirect 0 (result i32) (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(register "main" $main)
(module $mem_nomax (memory (export "memory") 1))
(register "nomax" $mem_nomax)

(assert_unlinkable
  (module (import "main" "table10" (table 1 5 funcref)))
  "incompatible import type")
(assert_unlinkable
  (module (import "main" "table10" (table 1 9 funcref)))
  "incompatible import type")
(assert_unlinkable
  (module (import "main" "table_nomax" (table 1 100 funcref)))
  "incompatible import type")
(assert_unlinkable
  (module (import "main" "memory" (memory 1 3)))
  "incompatible import type")
(assert_unlinkable
  (module (import "nomax" "memory" (memory 1 65536)))
  "incompatible import type")

;; the same importers, with maxima that fit, link
(module (import "main" "table10" (table 1 10 funcref)))
(module (import "main" "table10" (table 1 11 funcref)))
(module (import "main" "memory" (memory 1 4)))
(module (import "nomax" "memory" (memory 1)))

;; a link error happens before any effect: no element, no data, no start
(assert_unlinkable
  (module
    (import "main" "table10" (table 1 10 funcref))
    (import "main" "memory" (memory 1 2))
    (func $f (result i32) (i32.const 1))
    (elem (i32.const 0) func $f)
    (data (i32.const 0) "\ff")
    (func $start (i32.store (i32.const 4) (i32.const 1)))
    (start $start))
  "incompatible import type")
(assert_trap (invoke $main "call10" (i32.const 0)) "uninitialized element")
(assert_return (invoke $main "load" (i32.const 0)) (i32.const 0))
(assert_return (invoke $main "load" (i32.const 4)) (i32.const 0))
