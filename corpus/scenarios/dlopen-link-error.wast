;; purpose: a dlopen whose imports the caller cannot satisfy (a missing export, incompatible limits, a wrong function type) returns -1 before any effect: no table or memory write, no start, no handle
(module definition $missing
  (import "env" "table" (table 1 funcref))
  (import "env" "nowhere" (func))
  (func $f (result i32) (i32.const 1))
  (elem (i32.const 0) func $f))

(module definition $too_big
  (import "env" "table" (table 1 funcref))
  (import "env" "memory" (memory 2))
  (func $f (result i32) (i32.const 2))
  (elem (i32.const 0) func $f)
  (data (i32.const 0) "\ff"))

(module definition $wrong_type
  (import "env" "table" (table 1 funcref))
  (import "env" "memory" (memory 1))
  (import "env" "size" (func (param i32) (result i32)))
  (func $f (result i32) (i32.const 3))
  (elem (i32.const 0) func $f)
  (data (i32.const 0) "\ff")
  (func $start (i32.store (i32.const 4) (i32.const 1)))
  (start $start))

(module definition $ok
  (import "env" "table" (table 1 funcref))
  (import "env" "memory" (memory 1))
  (import "env" "size" (func (result i32)))
  (func $f (result i32) (i32.const 4))
  (elem (i32.const 0) func $f))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (data (i32.const 16) "missing")
  (data (i32.const 32) "too_big")
  (data (i32.const 48) "wrong_type")
  (data (i32.const 64) "ok")
  (func (export "size") (result i32) (table.size))
  (func (export "open") (param i32 i32) (result i32) (call $dlopen (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

(assert_return (invoke $main "open" (i32.const 16) (i32.const 7)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 32) (i32.const 7)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 48) (i32.const 10)) (i32.const -1))
(assert_trap (invoke $main "call" (i32.const 0)) "uninitialized element")
(assert_return (invoke $main "load" (i32.const 0)) (i32.const 0))
(assert_return (invoke $main "load" (i32.const 4)) (i32.const 0))
(assert_return (invoke $main "open" (i32.const 64) (i32.const 2)) (i32.const 0))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 4))
