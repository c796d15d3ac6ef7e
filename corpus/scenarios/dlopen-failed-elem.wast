;; purpose: a dlopen whose element segment is out of bounds returns -1 and uses no handle, but the slots it wrote stay, holding functions that keep their own instance's globals; once the table has grown the same definition loads
(module definition $bad_elem
  (import "env" "table" (table 1 funcref))
  (import "env" "memory" (memory 1))
  (global $g (mut i32) (i32.const 10))
  (elem (i32.const 0) func $count $count)
  (elem (i32.const 4) func $count)
  ;; never run
  (data (i32.const 100) "\07")
  (func $count (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.get $g)))

(module definition $good
  (func (export "f") (result i32) (i32.const 30)))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 4 funcref)
  (data (i32.const 0) "bad_elem")
  (data (i32.const 32) "good")
  (data (i32.const 40) "f")
  (func (export "open") (param i32 i32) (result i32) (call $dlopen (local.get 0) (local.get 1)))
  (func (export "sym_f") (param i32) (result i32) (call $dlsym (local.get 0) (i32.const 40) (i32.const 1)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get (local.get 0))))
  (func (export "size") (result i32) (table.size))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

(assert_return (invoke $main "open" (i32.const 0) (i32.const 8)) (i32.const -1))
(assert_return (invoke $main "is_null" (i32.const 0)) (i32.const 0))
(assert_return (invoke $main "is_null" (i32.const 1)) (i32.const 0))
(assert_return (invoke $main "is_null" (i32.const 2)) (i32.const 1))
(assert_return (invoke $main "load8" (i32.const 100)) (i32.const 0))
;; the failure used no handle
(assert_return (invoke $main "open" (i32.const 32) (i32.const 4)) (i32.const 0))
(assert_return (invoke $main "sym_f" (i32.const 0)) (i32.const 4))
(assert_return (invoke $main "sym_f" (i32.const 1)) (i32.const -1))
(assert_return (invoke $main "size") (i32.const 5))
(assert_return (invoke $main "call" (i32.const 4)) (i32.const 30))

;; the failed instance's function, twice in the table, one global
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 11))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 12))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 13))
;; the table has grown to 5 since: the same definition now fits, and gets the next handle;
;; a fresh instance overwrites slots 0, 1 and 4, and its data segment runs this time
(assert_return (invoke $main "open" (i32.const 0) (i32.const 8)) (i32.const 1))
(assert_return (invoke $main "load8" (i32.const 100)) (i32.const 7))
(assert_return (invoke $main "call" (i32.const 4)) (i32.const 11))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 12))
(assert_return (invoke $main "sym_f" (i32.const 0)) (i32.const 5))
(assert_return (invoke $main "size") (i32.const 6))
