;; purpose: each dlopen of the same definition makes a new instance with its own globals, handles counting up; all of them share the caller's table and memory
(module definition $counter
  (import "env" "memory" (memory 1))
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ;; also counts every bump of every instance in the shared word at 200
    (i32.store (i32.const 200) (i32.add (i32.load (i32.const 200)) (i32.const 1)))
    (global.get $n)))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 0 funcref)
  (data (i32.const 0) "counter")
  (data (i32.const 16) "bump")
  (func (export "open") (result i32) (call $dlopen (i32.const 0) (i32.const 7)))
  (func (export "sym") (param i32) (result i32) (call $dlsym (local.get 0) (i32.const 16) (i32.const 4)))
  (func (export "total") (result i32) (i32.load (i32.const 200)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

(assert_return (invoke $main "open") (i32.const 0))
(assert_return (invoke $main "open") (i32.const 1))
(assert_return (invoke $main "open") (i32.const 2))
(assert_return (invoke $main "sym" (i32.const 2)) (i32.const 0))
(assert_return (invoke $main "sym" (i32.const 0)) (i32.const 1))
(assert_return (invoke $main "sym" (i32.const 1)) (i32.const 2))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 1))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 2))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 1))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 3))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 1))
(assert_return (invoke $main "total") (i32.const 5))
