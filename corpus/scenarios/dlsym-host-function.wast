;; purpose: dlsym of an export that is a re-exported host function (lockstep.dlopen) puts the host function in the table; main calls dlopen through call_indirect and the slot is reused
(module definition $reexporter
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlclose" (func $dlclose (param i32) (result i32)))
  (export "open" (func $dlopen))
  (export "close" (func $dlclose)))

(module definition $leaf
  (func (export "f") (result i32) (i32.const 5)))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (data (i32.const 0) "reexporter")
  (data (i32.const 16) "open")
  (data (i32.const 24) "close")
  (data (i32.const 32) "leaf")
  (func (export "open") (result i32) (call $dlopen (i32.const 0) (i32.const 10)))
  (func (export "sym") (param i32 i32 i32) (result i32) (call $dlsym (local.get 0) (local.get 1) (local.get 2)))
  (func (export "size") (result i32) (table.size))
  ;; dlopen("leaf") through a function pointer
  (func (export "open_via") (param i32) (result i32)
    (call_indirect (param i32 i32) (result i32) (i32.const 32) (i32.const 4) (local.get 0)))
  (func (export "close_via") (param i32 i32) (result i32)
    (call_indirect (param i32) (result i32) (local.get 1) (local.get 0))))

(assert_return (invoke $main "open") (i32.const 0))
(assert_return (invoke $main "sym" (i32.const 0) (i32.const 16) (i32.const 4)) (i32.const 1))
(assert_return (invoke $main "sym" (i32.const 0) (i32.const 16) (i32.const 4)) (i32.const 1))
(assert_return (invoke $main "sym" (i32.const 0) (i32.const 24) (i32.const 5)) (i32.const 2))
(assert_return (invoke $main "size") (i32.const 3))
(assert_return (invoke $main "open_via" (i32.const 1)) (i32.const 1))
(assert_return (invoke $main "open_via" (i32.const 1)) (i32.const 2))
(assert_return (invoke $main "close_via" (i32.const 2) (i32.const 1)) (i32.const 0))
(assert_return (invoke $main "close_via" (i32.const 2) (i32.const 1)) (i32.const -1))
(assert_trap (invoke $main "open_via" (i32.const 2)) "indirect call type mismatch")
(assert_trap (invoke $main "open_via" (i32.const 0)) "uninitialized element")
