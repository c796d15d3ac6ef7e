;; purpose: a side module dlopens another: it re-exports its imported memory and table as `memory` and `table` (dlopen links against the caller's exports); its dlsym appends to main's table; a side without those exports cannot dlopen
(module definition $mid
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 1))
  (import "env" "table" (table 1 funcref))
  (export "memory" (memory 0))
  (export "table" (table 0))
  (global $h (mut i32) (i32.const -1))
  ;; "leaf" is at 8 in the shared memory, "deep" at 16
  (func (export "open_leaf") (result i32)
    (global.set $h (call $dlopen (i32.const 8) (i32.const 4)))
    (global.get $h))
  (func (export "sym_leaf") (result i32) (call $dlsym (global.get $h) (i32.const 16) (i32.const 4))))

(module definition $leaf
  (import "env" "memory" (memory 1))
  (import "env" "table" (table 1 funcref))
  (data (i32.const 100) "L")
  (func (export "deep") (result i32) (i32.const 99)))

;; imports main's memory, but does not export it: its dlopen cannot read the name
(module definition $closed
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "env" "memory" (memory 1))
  (func (export "open_leaf") (result i32) (call $dlopen (i32.const 8) (i32.const 4))))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (data (i32.const 0) "mid")
  (data (i32.const 8) "leaf")
  (data (i32.const 16) "deep")
  (data (i32.const 24) "open_leaf")
  (data (i32.const 40) "sym_leaf")
  (data (i32.const 48) "closed")
  (func (export "open_mid") (result i32) (call $dlopen (i32.const 0) (i32.const 3)))
  (func (export "open_closed") (result i32) (call $dlopen (i32.const 48) (i32.const 6)))
  (func (export "sym") (param i32 i32 i32) (result i32)
    (call $dlsym (local.get 0) (local.get 1) (local.get 2)))
  (func (export "size") (result i32) (table.size))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

(assert_return (invoke $main "open_mid") (i32.const 0))
(assert_return (invoke $main "sym" (i32.const 0) (i32.const 24) (i32.const 9)) (i32.const 1))
(assert_return (invoke $main "sym" (i32.const 0) (i32.const 40) (i32.const 8)) (i32.const 2))
(assert_return (invoke $main "load8" (i32.const 100)) (i32.const 0))
;; mid.open_leaf, through the table: the leaf gets handle 1, and writes the shared memory
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 1))
(assert_return (invoke $main "load8" (i32.const 100)) (i32.const 76))
;; mid.sym_leaf: appends leaf.deep to main's table (mid's `table` is main's)
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 3))
(assert_return (invoke $main "size") (i32.const 4))
(assert_return (invoke $main "call" (i32.const 3)) (i32.const 99))
;; main asks for the same function by the leaf's handle: the same slot
(assert_return (invoke $main "sym" (i32.const 1) (i32.const 16) (i32.const 4)) (i32.const 3))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 3))
(assert_return (invoke $main "size") (i32.const 4))

;; the closed side: dlopen succeeds for it, its own dlopen fails
(assert_return (invoke $main "open_closed") (i32.const 2))
(assert_return (invoke $main "sym" (i32.const 2) (i32.const 24) (i32.const 9)) (i32.const 4))
(assert_return (invoke $main "call" (i32.const 4)) (i32.const -1))
;; the next successful dlopen still gets handle 3
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 3))
