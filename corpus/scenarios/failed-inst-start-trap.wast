;; purpose: a start function that writes its globals and memory, calls main, then traps: all its writes stay; a second failing start calls the first one's function through the table before dividing by zero
(module $main
  (type $ii (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 4 funcref)
  (global $noted (mut i32) (i32.const 0))
  (func (export "note") (param i32) (global.set $noted (local.get 0)))
  (func (export "noted") (result i32) (global.get $noted))
  (func (export "call_i") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(register "main" $main)

(assert_trap
  (module
    (type $ii (func (param i32) (result i32)))
    (import "main" "table" (table 4 funcref))
    (import "main" "note" (func $note (param i32)))
    (memory 1)
    (global $g (mut i32) (i32.const 0))
    (elem (i32.const 0) func $get_g $load $bump)
    (data (i32.const 0) "\05")
    (func $get_g (type $ii) (global.get $g))
    (func $load (type $ii) (i32.load (local.get 0)))
    (func $bump (type $ii)
      (global.set $g (i32.add (global.get $g) (local.get 0)))
      (global.get $g))
    (func $start
      (global.set $g (i32.const 55))
      (i32.store8 (i32.const 0) (i32.const 6))
      (i32.store (i32.const 4) (i32.const 77))
      (call $note (i32.const 9))
      (unreachable))
    (start $start))
  "unreachable")
(assert_return (invoke $main "noted") (i32.const 9))

(assert_trap
  (module
    (type $ii (func (param i32) (result i32)))
    (import "main" "table" (table 4 funcref))
    (import "main" "memory" (memory 1))
    (global $h (mut i32) (i32.const 3))
    (elem (i32.const 3) func $times_h)
    (func $times_h (type $ii) (i32.mul (local.get 0) (global.get $h)))
    (func $start
      (global.set $h (i32.const 4))
      ;; the first failed instance's $get_g, through the shared table
      (i32.store (i32.const 32) (call_indirect (type $ii) (i32.const 0) (i32.const 0)))
      (drop (i32.div_u (i32.const 1) (i32.const 0))))
    (start $start))
  "integer divide by zero")
(assert_return (invoke $main "load" (i32.const 32)) (i32.const 55))

(assert_return (invoke $main "call_i" (i32.const 0) (i32.const 0)) (i32.const 55))
(assert_return (invoke $main "call_i" (i32.const 1) (i32.const 0)) (i32.const 6))
(assert_return (invoke $main "call_i" (i32.const 1) (i32.const 4)) (i32.const 77))
(assert_return (invoke $main "call_i" (i32.const 2) (i32.const 5)) (i32.const 60))
(assert_return (invoke $main "call_i" (i32.const 0) (i32.const 0)) (i32.const 60))
(assert_return (invoke $main "call_i" (i32.const 3) (i32.const 10)) (i32.const 40))
