;; purpose: a side's start function calls dlopen (a DT_NEEDED dependency loaded by its constructor) while the side itself is still being instantiated, through its re-exported memory and table
(module definition $dep
  (import "env" "memory" (memory 1))
  (import "env" "table" (table 1 funcref))
  (elem (i32.const 0) func $dep_fn)
  (data (i32.const 300) "D")
  (func $dep_fn (result i32) (i32.const 77))
  (func (export "dep_fn") (result i32) (i32.const 78)))

(module definition $needs_dep
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 1))
  (import "env" "table" (table 1 funcref))
  (export "memory" (memory 0))
  (export "table" (table 0))
  (global $h (mut i32) (i32.const -2))
  (func (export "dep_handle") (result i32) (global.get $h))
  ;; the dependency's name "dep" is at 16; "dep_fn" at 24; results stored at 400 and 404
  (func $ctor
    (global.set $h (call $dlopen (i32.const 16) (i32.const 3)))
    (i32.store (i32.const 400) (global.get $h))
    (i32.store (i32.const 404) (call $dlsym (global.get $h) (i32.const 24) (i32.const 6))))
  (start $ctor))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (data (i32.const 0) "needs_dep")
  (data (i32.const 16) "dep")
  (data (i32.const 24) "dep_fn")
  (data (i32.const 32) "dep_handle")
  (func (export "open") (result i32) (call $dlopen (i32.const 0) (i32.const 9)))
  (func (export "sym") (param i32 i32 i32) (result i32) (call $dlsym (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "size") (result i32) (table.size))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

;; the dependency finished first, so it got handle 0; the side got 1
(assert_return (invoke $main "open") (i32.const 1))
(assert_return (invoke $main "load" (i32.const 400)) (i32.const 0))
(assert_return (invoke $main "load" (i32.const 404)) (i32.const 1))
(assert_return (invoke $main "size") (i32.const 2))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 77))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 78))
(assert_return (invoke $main "load" (i32.const 300)) (i32.const 0x44))
(assert_return (invoke $main "sym" (i32.const 1) (i32.const 32) (i32.const 10)) (i32.const 2))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 0))
(assert_return (invoke $main "sym" (i32.const 0) (i32.const 24) (i32.const 6)) (i32.const 1))
