;; purpose: dlopen of a name that is no module definition (unknown, wrong case, a plain module's name, empty, out of memory bounds, not UTF-8) returns -1 and uses no handle
(module definition $side
  (func (export "f") (result i32) (i32.const 1)))
(module $plain (func (export "f") (result i32) (i32.const 2)))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 0 funcref)
  (data (i32.const 0) "nosuch")
  (data (i32.const 8) "Side")
  (data (i32.const 16) "plain")
  (data (i32.const 24) "side")
  (data (i32.const 32) "\ff\fe")
  (data (i32.const 40) "side\00")
  (func (export "open") (param i32 i32) (result i32) (call $dlopen (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (table.size)))

(assert_return (invoke $main "open" (i32.const 0) (i32.const 6)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 8) (i32.const 4)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 16) (i32.const 5)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 24) (i32.const 0)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 24) (i32.const 3)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 32) (i32.const 2)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 40) (i32.const 5)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 65534) (i32.const 4)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const -1) (i32.const 4)) (i32.const -1))
(assert_return (invoke $main "open" (i32.const 24) (i32.const -1)) (i32.const -1))
;; none of them used a handle
(assert_return (invoke $main "open" (i32.const 24) (i32.const 4)) (i32.const 0))
(assert_return (invoke $main "open" (i32.const 40) (i32.const 4)) (i32.const 1))
(assert_return (invoke $main "size") (i32.const 0))
