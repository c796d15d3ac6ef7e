;; purpose: dlsym appends with table.grow from the host; at the table's max the growth fails and dlsym returns -1, unless the function already holds its slot
(module definition $side
  (func (export "a") (result i32) (i32.const 1))
  (func (export "b") (result i32) (i32.const 2)))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 2 3 funcref)
  (data (i32.const 0) "side")
  (data (i32.const 16) "a")
  (data (i32.const 17) "b")
  (func (export "open") (result i32) (call $dlopen (i32.const 0) (i32.const 4)))
  (func (export "sym_a") (result i32) (call $dlsym (i32.const 0) (i32.const 16) (i32.const 1)))
  (func (export "sym_b") (result i32) (call $dlsym (i32.const 0) (i32.const 17) (i32.const 1)))
  (func (export "size") (result i32) (table.size))
  (func (export "clear") (param i32) (table.set (local.get 0) (ref.null func)))
  (func (export "grow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

(assert_return (invoke $main "open") (i32.const 0))
(assert_return (invoke $main "sym_a") (i32.const 2))
(assert_return (invoke $main "size") (i32.const 3))
;; at the max: a reused slot needs no growth
(assert_return (invoke $main "sym_a") (i32.const 2))
;; a new function needs a slot: growth fails
(assert_return (invoke $main "sym_b") (i32.const -1))
(assert_return (invoke $main "size") (i32.const 3))
(assert_return (invoke $main "grow" (i32.const 0)) (i32.const 3))
(assert_return (invoke $main "grow" (i32.const 1)) (i32.const -1))
;; a's slot cleared: dlsym must append, and cannot (it does not look for free slots)
(invoke $main "clear" (i32.const 2))
(assert_return (invoke $main "sym_a") (i32.const -1))
(assert_return (invoke $main "size") (i32.const 3))
(assert_trap (invoke $main "call" (i32.const 2)) "uninitialized element")
