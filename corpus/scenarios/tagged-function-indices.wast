;; purpose: the tagged-index design (module_id << 16 | index) with per-module tables, dispatched by a wasm trampoline: the same index means different functions per module, and bad tags trap
(module $a
  (type $ii (func (param i32) (result i32)))
  (table (export "table") 2 funcref)
  (func $a0 (type $ii) (i32.add (local.get 0) (i32.const 100)))
  (func $a1 (type $ii) (i32.add (local.get 0) (i32.const 200)))
  (elem (i32.const 0) func $a0 $a1))
(register "a" $a)
(module $b
  (type $ii (func (param i32) (result i32)))
  (table (export "table") 1 funcref)
  (func $b0 (type $ii) (i32.mul (local.get 0) (i32.const 3)))
  (elem (i32.const 0) func $b0))
(register "b" $b)

(module $trampoline
  (type $ii (func (param i32) (result i32)))
  (import "a" "table" (table $ta 1 funcref))
  (import "b" "table" (table $tb 1 funcref))
  (func (export "call_tagged") (param $tag i32) (param $x i32) (result i32)
    (local $idx i32)
    (local.set $idx (i32.and (local.get $tag) (i32.const 0xffff)))
    (block $mb
      (block $ma
        (block $bad
          (br_table $ma $mb $bad (i32.shr_u (local.get $tag) (i32.const 16))))
        (unreachable))
      (return (call_indirect $ta (type $ii) (local.get $x) (local.get $idx))))
    (call_indirect $tb (type $ii) (local.get $x) (local.get $idx))))
(register "rt" $trampoline)

(module $main
  (import "rt" "call_tagged" (func $call_tagged (param i32 i32) (result i32)))
  (memory 1)
  ;; C function pointers, tagged: a:1, b:0, a:0
  (data (i32.const 0) "\01\00\00\00\00\00\01\00\00\00\00\00")
  (func (export "call_ptr") (param i32 i32) (result i32)
    (call $call_tagged (i32.load (i32.shl (local.get 0) (i32.const 2))) (local.get 1))))

(assert_return (invoke $main "call_ptr" (i32.const 0) (i32.const 1)) (i32.const 201))
(assert_return (invoke $main "call_ptr" (i32.const 1) (i32.const 7)) (i32.const 21))
(assert_return (invoke $main "call_ptr" (i32.const 2) (i32.const 1)) (i32.const 101))
(assert_return (invoke $trampoline "call_tagged" (i32.const 0x10000) (i32.const 2)) (i32.const 6))
(assert_trap (invoke $trampoline "call_tagged" (i32.const 0x10001) (i32.const 2)) "undefined element")
(assert_trap (invoke $trampoline "call_tagged" (i32.const 0x20000) (i32.const 2)) "unreachable")
(assert_trap (invoke $trampoline "call_tagged" (i32.const 2) (i32.const 2)) "undefined element")
