;; purpose: dlclose returns 0 then -1; a closed handle cannot dlsym, but its functions (and their state) stay callable; handles are not reused
(module definition $side
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n)))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (import "lockstep" "dlclose" (func $dlclose (param i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 0 funcref)
  (data (i32.const 0) "side")
  (data (i32.const 16) "bump")
  (func (export "open") (result i32) (call $dlopen (i32.const 0) (i32.const 4)))
  (func (export "sym") (param i32) (result i32) (call $dlsym (local.get 0) (i32.const 16) (i32.const 4)))
  (func (export "close") (param i32) (result i32) (call $dlclose (local.get 0)))
  (func (export "size") (result i32) (table.size))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

(assert_return (invoke $main "close" (i32.const 0)) (i32.const -1))
(assert_return (invoke $main "open") (i32.const 0))
(assert_return (invoke $main "sym" (i32.const 0)) (i32.const 0))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 1))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 2))
(assert_return (invoke $main "close" (i32.const 0)) (i32.const 0))
(assert_return (invoke $main "close" (i32.const 0)) (i32.const -1))
(assert_return (invoke $main "close" (i32.const 1)) (i32.const -1))
(assert_return (invoke $main "close" (i32.const -1)) (i32.const -1))
;; a closed handle: dlsym fails, the table does not grow
(assert_return (invoke $main "sym" (i32.const 0)) (i32.const -1))
(assert_return (invoke $main "size") (i32.const 1))
;; the code is still there, with its state
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 3))
;; the next dlopen gets a new handle and a fresh instance
(assert_return (invoke $main "open") (i32.const 1))
(assert_return (invoke $main "sym" (i32.const 1)) (i32.const 1))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 1))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 4))
(assert_return (invoke $main "close" (i32.const 1)) (i32.const 0))
(assert_return (invoke $main "close" (i32.const 1)) (i32.const -1))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 2))
