;; purpose: a side's start function calls back into main (an imported function and a table slot) that writes main's memory and globals; main's state afterwards shows every call, for a script instantiation and for a dlopen
(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (global $n (mut i32) (i32.const 0))
  (data (i32.const 0) "side")
  ;; appends x to a log at 64.., counts
  (func $note (export "note") (param i32)
    (i32.store (i32.add (i32.const 64) (i32.shl (global.get $n) (i32.const 2))) (local.get 0))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func $note_twice (param i32)
    (call $note (local.get 0))
    (call $note (local.get 0)))
  (elem (i32.const 0) func $note_twice)
  (func (export "count") (result i32) (global.get $n))
  (func (export "log") (param i32) (result i32)
    (i32.load (i32.add (i32.const 64) (i32.shl (local.get 0) (i32.const 2)))))
  (func (export "open") (result i32) (call $dlopen (i32.const 0) (i32.const 4))))
(register "main" $main)

(module $early
  (import "main" "note" (func $note (param i32)))
  (import "main" "table" (table 1 funcref))
  (import "main" "memory" (memory 1))
  (func $start
    (call $note (i32.const 11))
    (call_indirect (param i32) (i32.const 22) (i32.const 0))
    ;; reads what main just wrote
    (call $note (i32.add (i32.load (i32.const 64)) (i32.const 100))))
  (start $start))
(assert_return (invoke $main "count") (i32.const 4))
(assert_return (invoke $main "log" (i32.const 0)) (i32.const 11))
(assert_return (invoke $main "log" (i32.const 1)) (i32.const 22))
(assert_return (invoke $main "log" (i32.const 2)) (i32.const 22))
(assert_return (invoke $main "log" (i32.const 3)) (i32.const 111))

;; the same from a dlopen: main -> host dlopen -> side's start -> main
(module definition $side
  (import "env" "note" (func $note (param i32)))
  (import "env" "table" (table 1 funcref))
  (global $mine (mut i32) (i32.const 0))
  (func $start
    (global.set $mine (i32.const 5))
    (call $note (i32.const 33))
    (call_indirect (param i32) (i32.const 44) (i32.const 0)))
  (start $start))
(assert_return (invoke $main "open") (i32.const 0))
(assert_return (invoke $main "count") (i32.const 7))
(assert_return (invoke $main "log" (i32.const 4)) (i32.const 33))
(assert_return (invoke $main "log" (i32.const 5)) (i32.const 44))
(assert_return (invoke $main "log" (i32.const 6)) (i32.const 44))
(assert_return (invoke $main "log" (i32.const 7)) (i32.const 0))
