;; purpose: two Emscripten-style sides, each with its own env bases; the second resolves a function and a data symbol of the first through GOT.func/GOT.mem, and a duplicate symbol binds to the first definition
(module $main
  (type $ii (func (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (table (export "table") 1 10 funcref)
  (func (export "grow_table") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
  (func (export "call_i") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(register "main" $main)

(module $got
  (global $a_fn (export "a_fn") (mut i32) (i32.const 0))
  (global $dup (export "dup") (mut i32) (i32.const 0))
  (global $a_data (export "a_data") (mut i32) (i32.const 0))
  (func (export "set") (param i32 i32)
    (if (i32.eq (local.get 0) (i32.const 0)) (then (global.set $a_fn (local.get 1))))
    (if (i32.eq (local.get 0) (i32.const 1)) (then (global.set $dup (local.get 1))))
    (if (i32.eq (local.get 0) (i32.const 2)) (then (global.set $a_data (local.get 1))))))
(register "GOT.func" $got)
(register "GOT.mem" $got)

;; side A: 2 table slots, 16 bytes of data
(assert_return (invoke $main "grow_table" (i32.const 2)) (i32.const 1))
(module $env_a
  (import "main" "memory" (memory 1))
  (import "main" "table" (table 3 funcref))
  (global (export "__memory_base") i32 (i32.const 1024))
  (global (export "__table_base") i32 (i32.const 1))
  (export "memory" (memory 0))
  (export "__indirect_function_table" (table 0)))
(register "env" $env_a)
(module $side_a
  (type $ii (func (param i32) (result i32)))
  (import "env" "memory" (memory 1))
  (import "env" "__indirect_function_table" (table 1 funcref))
  (import "env" "__memory_base" (global $mb i32))
  (import "env" "__table_base" (global $tb i32))
  (elem (global.get $tb) func $a_fn $dup)
  (data (global.get $mb) "\11\00\00\00")
  (func $a_fn (type $ii) (i32.add (local.get 0) (i32.const 1000)))
  (func $dup (type $ii) (i32.const 1))
  (export "a_fn" (func $a_fn))
  (export "dup" (func $dup)))
;; the loader records A's symbols: a_fn at slot 1, dup at slot 2, a_data at 1024
(invoke $got "set" (i32.const 0) (i32.const 1))
(invoke $got "set" (i32.const 1) (i32.const 2))
(invoke $got "set" (i32.const 2) (i32.const 1024))

;; side B: 2 table slots, its own env
(assert_return (invoke $main "grow_table" (i32.const 2)) (i32.const 3))
(module $env_b
  (import "main" "memory" (memory 1))
  (import "main" "table" (table 5 funcref))
  (global (export "__memory_base") i32 (i32.const 2048))
  (global (export "__table_base") i32 (i32.const 3))
  (export "memory" (memory 0))
  (export "__indirect_function_table" (table 0)))
(register "env" $env_b)
(module $side_b
  (type $ii (func (param i32) (result i32)))
  (import "env" "memory" (memory 1))
  (import "env" "__indirect_function_table" (table 1 funcref))
  (import "env" "__memory_base" (global $mb i32))
  (import "env" "__table_base" (global $tb i32))
  (import "GOT.func" "a_fn" (global $got_a_fn (mut i32)))
  (import "GOT.func" "dup" (global $got_dup (mut i32)))
  (import "GOT.mem" "a_data" (global $got_a_data (mut i32)))
  (elem (global.get $tb) func $b_fn $dup)
  (data (global.get $mb) "\22\00\00\00")
  ;; a_fn(x) + a_data + dup(0) + b's own data
  (func $b_fn (type $ii)
    (i32.add
      (i32.add
        (call_indirect (type $ii) (local.get 0) (global.get $got_a_fn))
        (i32.load (global.get $got_a_data)))
      (i32.add
        (call_indirect (type $ii) (i32.const 0) (global.get $got_dup))
        (i32.load (global.get $mb)))))
  ;; B's own dup, never bound: the first definition won
  (func $dup (type $ii) (i32.const 2)))

(assert_return (invoke $main "call_i" (i32.const 3) (i32.const 5)) (i32.const 1057))
(assert_return (invoke $main "call_i" (i32.const 4) (i32.const 0)) (i32.const 2))
(assert_return (invoke $main "call_i" (i32.const 2) (i32.const 0)) (i32.const 1))
(assert_return (invoke $main "load" (i32.const 1024)) (i32.const 0x11))
(assert_return (invoke $main "load" (i32.const 2048)) (i32.const 0x22))
(assert_return (invoke $side_a "a_fn" (i32.const 1)) (i32.const 1001))
(assert_trap (invoke $main "call_i" (i32.const 0) (i32.const 0)) "uninitialized element")
(assert_trap (invoke $main "call_i" (i32.const 5) (i32.const 0)) "undefined element")
