;; purpose: weak undefined GOT entries stay 0 (a call traps on main's null slot 0, a load reads address 0) until a later load resolves them; the side sees the new GOT values at once
(module $main
  (type $ii (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (data (i32.const 0) "\63\00\00\00")
  (func (export "call_i") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "grow_table") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))
(register "main" $main)
(register "env" $main)

(module $got
  (global $weak_fn (export "weak_fn") (mut i32) (i32.const 0))
  (global $weak_data (export "weak_data") (mut i32) (i32.const 0))
  (func (export "set_weak_fn") (param i32) (global.set $weak_fn (local.get 0)))
  (func (export "set_weak_data") (param i32) (global.set $weak_data (local.get 0))))
(register "GOT.func" $got)
(register "GOT.mem" $got)

(module $side
  (type $ii (func (param i32) (result i32)))
  (import "env" "memory" (memory 1))
  (import "env" "table" (table 1 funcref))
  (import "GOT.func" "weak_fn" (global $weak_fn (mut i32)))
  (import "GOT.mem" "weak_data" (global $weak_data (mut i32)))
  ;; if (&weak_fn) weak_fn(x) else -1
  (func (export "maybe_call") (param i32) (result i32)
    (if (result i32) (global.get $weak_fn)
      (then (call_indirect (type $ii) (local.get 0) (global.get $weak_fn)))
      (else (i32.const -1))))
  ;; calls without checking
  (func (export "call") (param i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (global.get $weak_fn)))
  (func (export "read_data") (result i32) (i32.load (global.get $weak_data))))

(assert_return (invoke $side "maybe_call" (i32.const 5)) (i32.const -1))
(assert_trap (invoke $side "call" (i32.const 5)) "uninitialized element")
(assert_return (invoke $side "read_data") (i32.const 0x63))

;; a later library defines the symbols: the loader places its function and fills the GOT
(assert_return (invoke $main "grow_table" (i32.const 1)) (i32.const 1))
(module $lib
  (type $ii (func (param i32) (result i32)))
  (import "env" "memory" (memory 1))
  (import "env" "table" (table 2 funcref))
  (elem (i32.const 1) func $weak_fn)
  (data (i32.const 256) "\0d\f0\00\00")
  (func $weak_fn (type $ii) (i32.add (local.get 0) (i32.const 1000))))
(invoke $got "set_weak_fn" (i32.const 1))
(invoke $got "set_weak_data" (i32.const 256))
(assert_return (invoke $side "maybe_call" (i32.const 5)) (i32.const 1005))
(assert_return (invoke $side "call" (i32.const 6)) (i32.const 1006))
(assert_return (invoke $side "read_data") (i32.const 0xf00d))
(assert_return (invoke $main "call_i" (i32.const 1) (i32.const 7)) (i32.const 1007))
