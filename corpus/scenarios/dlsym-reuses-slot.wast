;; purpose: dlsym gives the same slot again for the same function while the table still holds it there, else appends; another instance's function is another function
(module definition $side
  (func (export "answer") (result i32) (i32.const 42)))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (data (i32.const 0) "side")
  (data (i32.const 16) "answer")
  (global $h (mut i32) (i32.const -1))
  (func $own (result i32) (i32.const 1))
  (elem declare func $own)
  (func (export "open") (result i32)
    (global.set $h (call $dlopen (i32.const 0) (i32.const 4)))
    (global.get $h))
  (func (export "sym") (result i32) (call $dlsym (global.get $h) (i32.const 16) (i32.const 6)))
  (func (export "sym_of") (param i32) (result i32) (call $dlsym (local.get 0) (i32.const 16) (i32.const 6)))
  (func (export "size") (result i32) (table.size))
  (func (export "clear") (param i32) (table.set (local.get 0) (ref.null func)))
  (func (export "put_own") (param i32) (table.set (local.get 0) (ref.func $own)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

(assert_return (invoke $main "open") (i32.const 0))
(assert_return (invoke $main "sym") (i32.const 1))
(assert_return (invoke $main "size") (i32.const 2))
;; the same function again: the same slot, no growth
(assert_return (invoke $main "sym") (i32.const 1))
(assert_return (invoke $main "sym") (i32.const 1))
(assert_return (invoke $main "size") (i32.const 2))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 42))

;; the slot was cleared: dlsym cannot reuse it and appends
(invoke $main "clear" (i32.const 1))
(assert_trap (invoke $main "call" (i32.const 1)) "uninitialized element")
(assert_return (invoke $main "sym") (i32.const 2))
(assert_return (invoke $main "size") (i32.const 3))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 42))

;; the slot was overwritten by another function: dlsym appends again
(invoke $main "put_own" (i32.const 2))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 1))
(assert_return (invoke $main "sym") (i32.const 3))
(assert_return (invoke $main "sym") (i32.const 3))
(assert_return (invoke $main "size") (i32.const 4))

;; a second dlopen makes a second instance: its "answer" is another function, so another slot
(assert_return (invoke $main "open") (i32.const 1))
(assert_return (invoke $main "sym") (i32.const 4))
(assert_return (invoke $main "sym") (i32.const 4))
(assert_return (invoke $main "size") (i32.const 5))
;; handle 0's function still has its slot 3
(assert_return (invoke $main "sym_of" (i32.const 0)) (i32.const 3))
(assert_return (invoke $main "size") (i32.const 5))
(assert_return (invoke $main "call" (i32.const 3)) (i32.const 42))
(assert_return (invoke $main "call" (i32.const 4)) (i32.const 42))
