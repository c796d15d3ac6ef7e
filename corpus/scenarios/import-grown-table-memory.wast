;; purpose: a table or memory that has grown past an importer's declared minimum links (its current size stands for its min); a min above the current size does not
(module $main
  (table (export "table") 1 10 funcref)
  (memory (export "memory") 1 5)
  (func (export "grow_table") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
  (func (export "grow_memory") (param i32) (result i32) (memory.grow (local.get 0))))
(register "main" $main)

;; before growing: min 5 is too much
(assert_unlinkable
  (module (import "main" "table" (table 5 funcref)))
  "incompatible import type")
(assert_unlinkable
  (module (import "main" "memory" (memory 3)))
  "incompatible import type")

(assert_return (invoke $main "grow_table" (i32.const 4)) (i32.const 1))
(assert_return (invoke $main "grow_memory" (i32.const 2)) (i32.const 1))

(module $a
  (import "main" "table" (table $t 5 10 funcref))
  (import "main" "memory" (memory 3 5))
  (func (export "tsize") (result i32) (table.size $t))
  (func (export "msize") (result i32) (memory.size)))
(assert_return (invoke $a "tsize") (i32.const 5))
(assert_return (invoke $a "msize") (i32.const 3))

;; smaller minimums, no max: also fine
(module $b
  (import "main" "table" (table $t 2 funcref))
  (import "main" "memory" (memory 1))
  (func $f (result i32) (i32.const 3))
  ;; an active segment may write the grown part, beyond the importer's own minimum
  (elem (i32.const 4) func $f)
  (data (i32.const 131070) "\01\02")
  (func (export "call4") (result i32) (call_indirect $t (result i32) (i32.const 4)))
  (func (export "load") (result i32) (i32.load16_u (i32.const 131070))))
(assert_return (invoke $b "call4") (i32.const 3))
(assert_return (invoke $b "load") (i32.const 0x0201))

;; still above the current size: unlinkable
(assert_unlinkable
  (module (import "main" "table" (table 6 10 funcref)))
  "incompatible import type")
(assert_unlinkable
  (module (import "main" "memory" (memory 4 5)))
  "incompatible import type")
