;; purpose: a data segment out of bounds aborts instantiation after the element segments and earlier data segments ran; left-behind functions see their own memory as far as it was written, and writes to main's memory stay
(module $main
  (type $ii (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 4 funcref)
  (func (export "call_i") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get (local.get 0)))))
(register "main" $main)

;; its own memory: segment 1 written, segment 2 (3 bytes at 65534) does not fit, segment 3 never runs
(assert_trap
  (module
    (type $ii (func (param i32) (result i32)))
    (import "main" "table" (table 4 funcref))
    (memory 1)
    (global $g (mut i32) (i32.const 1))
    (elem (i32.const 0) func $load $store $get_g)
    (data (i32.const 0) "\11\22\33\44")
    (data (i32.const 65534) "\01\02\03")
    (data (i32.const 100) "\ff")
    (func $load (type $ii) (i32.load (local.get 0)))
    ;; stores x at 200, returns the word at 200 plus x
    (func $store (type $ii)
      (i32.store (i32.const 200) (i32.add (i32.load (i32.const 200)) (local.get 0)))
      (i32.load (i32.const 200)))
    (func $get_g (type $ii) (global.get $g))
    (func $start (global.set $g (i32.const 999)))
    (start $start))
  "out of bounds memory access")

;; main's shared memory: segment 1 written into it, segment 2 out of bounds
(assert_trap
  (module
    (type $ii (func (param i32) (result i32)))
    (import "main" "table" (table 4 funcref))
    (import "main" "memory" (memory 1))
    (global $k (mut i32) (i32.const 40))
    (elem (i32.const 3) func $read_main)
    (data (i32.const 300) "ABCD")
    (data (i32.const 65536) "X")
    ;; reads main's memory at x, adds and bumps its own global
    (func $read_main (type $ii)
      (global.set $k (i32.add (global.get $k) (i32.const 1)))
      (i32.add (i32.load8_u (local.get 0)) (global.get $k))))
  "out of bounds memory access")
(assert_return (invoke $main "load" (i32.const 300)) (i32.const 0x44434241))
(assert_return (invoke $main "load" (i32.const 65532)) (i32.const 0))
(assert_return (invoke $main "is_null" (i32.const 3)) (i32.const 0))

;; the functions left behind
(assert_return (invoke $main "call_i" (i32.const 0) (i32.const 0)) (i32.const 0x44332211))
(assert_return (invoke $main "call_i" (i32.const 0) (i32.const 65532)) (i32.const 0))
(assert_return (invoke $main "call_i" (i32.const 0) (i32.const 100)) (i32.const 0))
(assert_trap (invoke $main "call_i" (i32.const 0) (i32.const 65533)) "out of bounds memory access")
(assert_return (invoke $main "call_i" (i32.const 1) (i32.const 3)) (i32.const 3))
(assert_return (invoke $main "call_i" (i32.const 1) (i32.const 4)) (i32.const 7))
(assert_return (invoke $main "call_i" (i32.const 0) (i32.const 200)) (i32.const 7))
(assert_return (invoke $main "call_i" (i32.const 2) (i32.const 0)) (i32.const 1))
(assert_return (invoke $main "call_i" (i32.const 3) (i32.const 301)) (i32.const 107))
(assert_return (invoke $main "call_i" (i32.const 3) (i32.const 301)) (i32.const 108))
