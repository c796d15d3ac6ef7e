;; purpose: a start function grows the shared table (with its own function) and the shared memory, then traps: both growths stay, seen by main, and the new slots call into the failed instance
(module $main
  (type $v_i (func (result i32)))
  (memory (export "memory") 1 4)
  (table (export "table") 1 8 funcref)
  (func (export "tsize") (result i32) (table.size))
  (func (export "msize") (result i32) (memory.size))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0))))
(register "main" $main)

(assert_trap
  (module
    (type $v_i (func (result i32)))
    (import "main" "table" (table 1 funcref))
    (import "main" "memory" (memory 1))
    (global $g (mut i32) (i32.const 0))
    (func $f (type $v_i)
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (global.get $g))
    (elem declare func $f)
    (func $start
      (drop (table.grow (ref.func $f) (i32.const 2)))
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.const 65536) (i32.const 0xabc))
      (global.set $g (i32.const 100))
      ;; out of bounds: past the grown memory
      (i32.store (i32.const 131072) (i32.const 1)))
    (start $start))
  "out of bounds memory access")

(assert_return (invoke $main "tsize") (i32.const 3))
(assert_return (invoke $main "msize") (i32.const 2))
(assert_return (invoke $main "load" (i32.const 65536)) (i32.const 0xabc))
(assert_trap (invoke $main "call" (i32.const 0)) "uninitialized element")
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 101))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 102))
